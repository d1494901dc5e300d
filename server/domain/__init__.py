"""The vending domain: pricing, TIDs, key changes, ledger entries, roles, audit chaining.

Nothing in here does I/O; the services feed it values read through the unit of work.
"""
