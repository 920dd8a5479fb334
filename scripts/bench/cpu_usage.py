"""CPU time of the processes a benchmark runs side by side, read from /proc (Linux).

A benchmark on this machine shares its cores between the load generator, the service and
PostgreSQL; where the CPU goes per request says which of them a latency target is up against.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:  # the process has exited
        return None
    # The command name is in parentheses and may hold spaces; the fields after it are plain.
    return [text[text.index("(") + 1:text.rindex(")")]] + text[text.rindex(")") + 2:].split()


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process so far (0 once it has exited)."""
    fields = _stat(pid)
    return 0.0 if fields is None else (int(fields[12]) + int(fields[13])) / TICKS


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except OSError:  # a thread that ended after the listing (a client thread just joined)
            continue
    return found


def processes_named(name: str) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat(int(entry.name))
            if fields is not None and fields[0] == name:
                pids.append(int(entry.name))
    return pids


class Sampler:
    """CPU seconds used by named groups of processes between start() and stop().

    Each group is a function listing its processes, called at both ends: a process started in
    between (a pooled backend opened on demand) counts from zero; one that exits in between
    counts up to its last sample only, so the groups should be long-lived processes."""

    def __init__(self, groups: dict[str, Callable[[], list[int]]]):
        self.groups = groups
        self.before: dict[int, float] = {}

    def start(self) -> None:
        self.before = {pid: cpu_seconds(pid) for list_pids in self.groups.values() for pid in list_pids()}

    def stop(self) -> dict[str, float]:
        return {group: sum(max(0.0, cpu_seconds(pid) - self.before.get(pid, 0.0)) for pid in list_pids())
                for group, list_pids in self.groups.items()}
