"""The dual-write endpoint (Phase 1, T0.18): the application's write path to both schemas.

`make serve` runs it. Modules, one job each:
- settings: configuration from the environment;
- errors: the JSON error every failure becomes;
- auth: the user id from a Supabase user JWT (HS256);
- requests: the request's shape (operation, data, idempotency key), checked before the database;
- aio: statements on psycopg2's asynchronous connections, awaited on the event loop;
- pool: a bounded pool of those connections;
- prepared: server-side prepared statements, one set per pooled connection;
- operations: a write as one call of migration.dual_write() (revision 0018: the per-user key,
  habit_tracker and, through the mapping, the new tables, in one statement; 0023: placed by
  date, as the trigger's drain places a legacy write);
- consistency: verify_consistency, the drift check of the caller's rows as one statement;
- app: the Starlette application tying them together; serve: uvicorn on loopback;
- protocol: uvicorn's httptools protocol with a bound on the request's headers (431).
"""
