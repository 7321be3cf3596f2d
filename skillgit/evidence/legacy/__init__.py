"""The evidence engine as it was before the evidence database: the marshal pack store, its ingest, and
attribution, metrics, diagnosis, expectations and watch over sessions held in memory. Kept only to
compare its outputs with the database's on generated traces (tests/test_evidence_db_compare.py)."""
