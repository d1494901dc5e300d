"""The service layer: one function per use case, called alike by the HTTP API, CLI and MQTT.

Each takes a `ServiceContext` (database, security module, clock) and the `Actor` asking, checks
the actor's permission, and runs in one transaction.
"""
