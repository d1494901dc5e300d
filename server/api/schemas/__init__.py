"""Pydantic models: the single statement of each request's and response's shape."""
