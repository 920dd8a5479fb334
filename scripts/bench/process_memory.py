"""Resident memory of the processes a soak runs, read from /proc (Linux).

The endpoint is one process: its RSS. A PostgreSQL server is many (the postmaster, its
auxiliary processes, one backend per connection) sharing one segment (shared_buffers and the
rest), allocated whole at start and resident as far as its pages have been touched; each
process's RSS counts the touched pages again. Two sums say what the server holds:
- private: each process's RssAnon, its own memory (caches, sorts, plans): what a leak grows;
- total: each process's PSS (a shared page divided among the processes mapping it), the
  server's whole resident memory, which also grows while the data a run adds is read into
  shared buffers, up to shared_buffers.
"""
from __future__ import annotations

from pathlib import Path

from scripts.bench.cpu_usage import _stat, children


def _kib(path: str, field: str) -> int | None:
    """The `field:` line of a /proc file in KiB, None once the process has gone."""
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def rss_mib(pids: list[int]) -> float:
    return sum(_kib(f"/proc/{pid}/status", "VmRSS") or 0 for pid in pids) / 1024


def anon_mib(pids: list[int]) -> float:
    return sum(_kib(f"/proc/{pid}/status", "RssAnon") or 0 for pid in pids) / 1024


def pss_mib(pids: list[int]) -> float:
    return sum(_kib(f"/proc/{pid}/smaps_rollup", "Pss") or 0 for pid in pids) / 1024


def process_tree(pid: int) -> list[int]:
    """The process and its descendants."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            todo += children(current)
        except OSError:  # exited meanwhile
            pass
    return found


def postmaster_of(conn) -> int | None:
    """The server's postmaster (the parent of this connection's backend), when the server runs on
    this machine where /proc shows it; None otherwise."""
    with conn.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        backend = cur.fetchone()[0]
    conn.rollback()
    fields = _stat(backend)
    if fields is None or fields[0] != "postgres":
        return None
    parent = int(fields[2])
    stat = _stat(parent)
    return parent if stat is not None and stat[0] == "postgres" else None
