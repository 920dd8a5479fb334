"""The endpoint's load: signed-in parents sending the app's mix of writes, each in its own thread.

Shared by `make bench-api` (one timed window after a warm-up) and `make soak` (a window a
minute). Each client is one parent on a keep-alive connection, sending writes to their own
child's weeks and pausing THINK_MS (0.5-1.5x) between requests as a person between taps does:

    update_habit_record 70%, create_week 15%, delete_week 5% (of a week it created),
    a retry of its previous request with the same key 8% (must replay), verify_consistency 2%.

An error is any status the operation should not give (a 5xx included) or a dropped client.
"""
from __future__ import annotations

import random
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from scripts.dual_write.client import Client, user_token

MIX = (("update_habit_record", 0.70), ("create_week", 0.15), ("delete_week", 0.05), ("retry", 0.08),
       ("verify_consistency", 0.02))
EXPECTED = {"create_week": {201}, "update_habit_record": {200}, "delete_week": {200}, "verify_consistency": {200}}
STATUSES = ("green", "yellow", "red", "none", "")
HABIT_NAMES = ("독서", "줄넘기", "양치하기", "피아노", "운동", "일기 쓰기")
FIRST_MONDAY = date(2031, 1, 6)
USERS = "SELECT DISTINCT user_id::TEXT FROM habit_tracker WHERE user_id IS NOT NULL ORDER BY 1"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def legacy_users(conn) -> list[str]:
    """The users owning legacy rows: the clients sign in as them, one child each."""
    with conn.cursor() as cur:
        cur.execute(USERS)
        users = [row[0] for row in cur.fetchall()]
    conn.commit()
    return users


class Parent:
    """One client: a user with one child of their own, its weeks, and the last request sent."""

    def __init__(self, number: int, user_id: str, url: str, secret: str, seed: int):
        self.rng = random.Random(seed)
        self.client = Client(url, user_token(user_id, secret))
        self.child, self.number = f"부하-{number}", number
        self.weeks: dict[date, list[str]] = {}
        self.next_monday = FIRST_MONDAY
        self.sent = 0
        self.last: tuple[str, dict, str] | None = None

    def pick(self) -> str:
        """One draw from MIX."""
        roll, total = self.rng.random(), 0.0
        for kind, share in MIX:
            total += share
            if roll < total:
                return kind
        return MIX[0][0]

    def request(self, kind: str) -> tuple[str, dict]:
        """A new request of this kind (a create when the client has no week yet)."""
        if not self.weeks or kind == "create_week":
            monday, self.next_monday = self.next_monday, self.next_monday + timedelta(weeks=1)
            names = self.rng.sample(HABIT_NAMES, self.rng.randint(5, 6))
            self.weeks[monday] = names
            habits = [{"id": i + 1, "name": name, "times": [self.rng.choice(STATUSES) for _ in range(7)]}
                      for i, name in enumerate(names)]
            return "create_week", {"child_name": self.child, "week_start_date": monday.isoformat(), "habits": habits,
                                   "theme": "부하 시험"}
        if kind == "delete_week" and len(self.weeks) > 1:
            monday = self.rng.choice(list(self.weeks))
            del self.weeks[monday]
            return "delete_week", {"child_name": self.child, "week_start_date": monday.isoformat()}
        if kind == "verify_consistency":
            return "verify_consistency", {}
        monday = self.rng.choice(list(self.weeks))
        return "update_habit_record", {"child_name": self.child, "week_start_date": monday.isoformat(),
                                       "habit_name": self.rng.choice(self.weeks[monday]),
                                       "day_index": self.rng.randrange(7), "status": self.rng.choice(STATUSES)}

    def step(self) -> tuple[str, int, float, bool]:
        """(operation, status, seconds, as expected)."""
        kind = self.pick()
        if kind == "retry" and self.last:
            operation, data, key = self.last
            label = "retry"
        else:
            operation, data = self.request(kind)
            self.sent += 1
            key = f"client{self.number}-{self.sent}"
            label = operation
        started = time.perf_counter()
        status, _ = self.client.call(operation, data, key)
        elapsed = time.perf_counter() - started
        if operation != "verify_consistency":
            self.last = (operation, data, key)
        return label, status, elapsed, status in EXPECTED[operation]


@dataclass
class Window:
    """What the clients did since the last take(): seconds per request by label, outcomes counted."""
    samples: dict = field(default_factory=lambda: defaultdict(list))
    outcomes: Counter = field(default_factory=Counter)

    @property
    def every(self) -> list[float]:
        return [s for values in self.samples.values() for s in values]

    @property
    def errors(self) -> int:
        return sum(count for outcome, count in self.outcomes.items() if outcome != "ok")


class Load:
    """CLIENTS parents against the endpoint at `url`, from start() to stop(), read in windows."""

    def __init__(self, url: str, users: list[str], secret: str, clients: int, think_ms: float):
        self.parents = [Parent(n, users[n % len(users)], url, secret, seed=n) for n in range(clients)]
        self.think_ms = think_ms
        self.window = Window()
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._loop, args=(p,), daemon=True) for p in self.parents]

    def _loop(self, parent: Parent) -> None:
        try:
            while not self.stopping.is_set():
                label, status, seconds, expected = parent.step()
                with self.lock:
                    self.window.samples[label].append(seconds)
                    self.window.outcomes["ok" if expected else f"{label} {status}"] += 1
                time.sleep(self.think_ms / 1000 * parent.rng.uniform(0.5, 1.5))
        except Exception as exc:  # a dropped connection is an error of the run, not a crash of the load
            with self.lock:
                self.window.outcomes[f"client error {type(exc).__name__}"] += 1
        finally:
            parent.client.close()

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def take(self) -> Window:
        """The window since the last take (or start), and a new one begun."""
        with self.lock:
            window, self.window = self.window, Window()
        return window

    def stop(self) -> None:
        """Each client finishes its request in flight (it lands in the current window) and stops."""
        self.stopping.set()
        for thread in self.threads:
            thread.join()
