"""Evidence: what happened when agents used the skills — trace adapters, the store, ingest, attribution,
metrics, diagnosis and graded expectations."""
