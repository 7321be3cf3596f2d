"""Click commands, one module per area; each module exports `COMMANDS` and stays import-light."""
