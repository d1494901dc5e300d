"""One module per group of pages, each with its own router (FastAPI's bigger-applications
layout): login, dashboard, vend and receipts, catalogue, vendors, handhelds, engineering,
reports, audit, operators."""
