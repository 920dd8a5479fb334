"""The data a benchmark runs on: realistic legacy weeks, backfilled, planner statistics fresh."""
from __future__ import annotations

from scripts.commands import backfill
from scripts.commands.seed_legacy import seed


def seeded_and_backfilled(conn, rows: int, batch: int) -> None:
    """On an empty habit_tracker, seed `rows` generated weeks (seed 1) and backfill them; then ANALYZE.
    A database that already holds legacy rows is used as it is."""
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM habit_tracker")
        if cur.fetchone()[0] == 0:
            seed(conn, rows, seed=1)
            conn.commit()
            backfill.run(conn, batch, log=lambda line: None)
        cur.execute("ANALYZE")
    conn.commit()
