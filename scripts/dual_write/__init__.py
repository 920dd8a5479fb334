"""The dual-write endpoint (Phase 1, T0.18): the application's write path to both schemas.

`make serve` runs it. Modules, one job each:
- settings: configuration from the environment;
- errors: the JSON error every failure becomes;
- auth: the user id from a Supabase user JWT (HS256);
- requests: the request's shape (operation, data, idempotency key), checked before the database;
- pool: a bounded, blocking connection pool;
- idempotency: the per-user key, claimed in the write's own transaction;
- operations: each operation's writes to habit_tracker and, through the mapping, the new tables;
- app: the Starlette application tying them together; serve: uvicorn on loopback.
"""
