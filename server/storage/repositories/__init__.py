"""Repositories: one per aggregate, each a thin layer of queries over the unit of work's session."""
