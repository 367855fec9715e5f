"""Deterministic Temporal workflows: one durable workflow per case. No I/O here."""
