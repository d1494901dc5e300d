"""The HTTP API under /api/v1: one router per resource, pydantic models for every shape."""
