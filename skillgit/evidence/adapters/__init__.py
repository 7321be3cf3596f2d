"""Traces: adapters that read agent execution logs into normalized sessions."""
