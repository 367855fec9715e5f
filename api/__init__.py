"""The HTTP API (FastAPI): authentication, role checks, validation, and mapping onto workflows."""
