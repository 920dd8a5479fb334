"""`make seed`: fill habit_tracker with realistic legacy rows, the same ones for the same seed.

    python -m scripts.commands.seed_legacy --rows N [--seed S] [--dirty-share F] [--users U]

Inserts N rows into the legacy table `habit_tracker` (it exists once `make upgrade` has run)
and the auth.users rows they belong to, shaped like the real 34-row backup
(SCHEMA_FACTS.md section 1): about 6 children per user and 34 rows per 6 children, each
child's weeks consecutive; 25/34 weeks stored on a Monday, 5/34 on the Sunday before (a
Korean Monday stored through UTC; the label still shows the Monday) and 4/34 on a Tuesday
(label and date agree); 4-15 habits a week, most often 5, about 21% of them with 13-digit
`Date.now()` ids; 7 day slots each, mixed like the backup ('' 57%, green 37%, yellow 6%,
red 0.5%); theme NULL or '' in 22/34 rows; the reflection always with its three keys;
1 row in 34 without a user_id (a row older than the column).

A share --dirty-share (0..1, default 0) of the rows then carries one defect each, taken in
turn from DIRTY_CASES: the dirty cases a live table of this kind accumulates.

Deterministic: everything, uuids and timestamps included, comes from random.Random(seed),
so the same arguments give byte-identical table content on an empty table (ids included,
when the id sequence starts afresh). The rows stand for legacy data that predates the
migration: the sync trigger's skip switch is set, the backfill migrates them. Child names are unique across users, so the global
unique (child_name, week_period) never rejects a row. Rows go in by batches
(psycopg2.extras.execute_values), in one transaction.

The table must be empty: seeding refuses (exit 2) a habit_tracker that holds rows, which
also keeps it away from a production database. Exit 2 for bad arguments or a database that
cannot be used, with one line on stderr.
"""
from __future__ import annotations

import json
import math
import random
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

import psycopg2
from psycopg2.extras import execute_values

from scripts.db.database_url import connect, require_supabase_auth
from scripts.db.errors import OneLineParser, CheckFailed, UsageError, cli_main, one_line
from scripts.db.freeze import FREEZE_REVISION, frozen
from scripts.db.legacy_table import retired

USAGE = "usage: python -m scripts.commands.seed_legacy --rows N [--seed S] [--dirty-share F] [--users U]"

# One defect per dirty row, assigned round-robin in this order.
DIRTY_CASES = (
    "habits_null",           # habits IS NULL
    "habits_empty",          # habits = '[]'
    "habits_not_array",      # habits is a JSON object (one habit, unwrapped)
    "times_short",           # one habit's times has 5 entries
    "times_long",            # one habit's times has 8 entries, the 8th 'green'
    "unknown_status",        # one day slot is 'blue'
    "duplicate_habit_name",  # two habits of the week share a name
    "empty_habit_name",      # one habit's name is ''
    "long_habit_name",       # one habit's name is 250 characters
    "week_start_null",       # week_start_date IS NULL (the label is valid)
    "period_mismatch",       # week_period labels another week than week_start_date
    "user_id_null",          # user_id IS NULL
)

# --- the backup's shapes (34 rows) ---------------------------------------------------------

BACKUP_ROWS = 34
BACKUP_CHILDREN = 6
CHILDREN_PER_USER = 6
# How each week is stored: Monday 25, Sunday before 5, Tuesday 4 (of 34).
STORAGE_KINDS = (("monday", 25), ("sunday", 5), ("tuesday", 4))
# Habits per week: 34 weeks, 208 habits, 4-15, most often 5.
HABITS_PER_WEEK = ((4, 3), (5, 18), (6, 4), (7, 3), (8, 3), (10, 1), (12, 1), (15, 1))
# A week of 4 or 5 habits that swapped a default habit for one added in the app: with the
# weeks above this gives about 43 of 208 habits (21%) with 13-digit ids.
SWAP_DEFAULT_FOR_CUSTOM = 0.10
# The 1,456 day slots of the backup.
STATUSES = ("", "green", "yellow", "red")
STATUS_COUNTS = (831, 534, 84, 7)
# Drawing uniformly from the backup's own slots is drawing with its weights, and fast.
SLOT_POOL = tuple(status for status, n in zip(STATUSES, STATUS_COUNTS) for _ in range(n))
BLANK_THEME_ROWS = 22  # of 34

ANCHOR_MONDAY = date(2025, 7, 21)  # the most recent week of the data set (the spec's example)
KST = timezone(timedelta(hours=9))
LONG_NAME_LENGTH = 250

SURNAMES = ("김", "이", "박", "최", "정", "강", "조", "윤", "장", "임", "한", "오", "서", "신", "권",
            "황", "안", "송", "류", "홍")
DOUBLE_SURNAMES = ("남궁", "선우", "제갈", "황보", "독고")
GIVEN_SYLLABLES = ("민", "준", "서", "연", "지", "우", "하", "윤", "도", "현", "수", "아", "예", "은",
                   "시", "유", "주", "원", "진", "호", "건", "재", "린", "율", "소", "채", "다", "빈",
                   "나", "온", "이", "한", "태", "성", "혜", "정", "승", "희", "경", "라")
# 2 characters (민준), 3 (surname + given: 김민준), 4 (double surname + given: 남궁민준).
NAME_SHAPES = ((2, 55), (3, 35), (4, 10))

DEFAULT_HABITS = ("독서", "양치하기", "일찍 자기", "숙제하기", "정리정돈", "물 마시기", "운동",
                  "일찍 일어나기", "편식 안 하기", "손 씻기")
CUSTOM_HABITS = ("줄넘기", "피아노 연습", "영어 단어 외우기", "수학 문제집", "일기 쓰기", "태권도",
                 "수영", "동생이랑 사이좋게", "스스로 옷 입기", "방 청소", "식물 물 주기", "한자 공부",
                 "받아쓰기 연습", "색칠 공부", "신발 정리", "숟가락 놓기", "감사 일기", "스트레칭",
                 "책가방 챙기기", "학습지", "리코더 연습", "블록 정리", "우유 마시기", "줄넘기 100개")
CUSTOM_PER_CHILD = 10  # the most a week needs: 15 habits = 5 defaults + 10 added
THEMES = ("책 읽는 한 주", "건강한 습관 만들기", "스스로 하기", "방학 특집", "일찍 일어나기 도전",
          "정리왕 되기", "감사하는 마음", "새 학기 준비", "운동하는 주", "약속 지키기")
WEEKDAYS = ("월요일", "화요일", "수요일", "목요일", "금요일", "토요일", "일요일")
GOALS = ("매일 책 30분 읽기", "일찍 자기 도전", "양치 스스로 하기", "숙제 먼저 하고 놀기",
         "줄넘기 100개", "초록불 더 많이 받기", "빨간불 없애기", "동생 도와주기")
REWARDS = ("아이스크림", "놀이공원 가기", "용돈 1000원", "보드게임 하기", "좋아하는 간식",
           "스티커 10장", "영화 보기", "키즈카페 가기")

BATCH_ROWS = 1000
INSERT_LEGACY = (
    "INSERT INTO habit_tracker (child_name, week_period, theme, habits, reflection, reward,"
    " created_at, updated_at, week_start_date, user_id) VALUES %s"
)
INSERT_TEMPLATE = "(%s, %s, %s, %s::JSONB, %s::JSONB, %s, %s, %s, %s, %s::UUID)"


@dataclass
class Child:
    index: int
    name: str
    user_id: str | None
    weeks: int
    last_monday: date
    defaults: list[dict]          # ids 1-5
    customs: list[dict]           # 13-digit ids, in the order they were added


@dataclass
class Row:
    child: Child
    week_index: int
    monday: date                  # the week the parent meant
    kind: str                     # monday | sunday | tuesday: how the start was stored
    week_start_date: date | None
    week_period: str
    theme: str | None
    habits: object                # list of habit dicts, or a defect
    reflection: dict
    reward: str | None
    created_at: datetime
    updated_at: datetime
    user_id: str | None
    dirty: str | None = None


@dataclass
class Plan:
    users: list[tuple[str, str]]  # (id, email)
    children: list[Child]
    rows: list[Row] = field(default_factory=list)

    def summary(self, seed: int) -> dict:
        dirty = Counter(r.dirty for r in self.rows if r.dirty)
        return {
            "rows": len(self.rows),
            "children": len(self.children),
            "users": len(self.users),
            "dirty": sum(dirty.values()),
            "dirty_cases": {case: dirty.get(case, 0) for case in DIRTY_CASES},
            "dirty_rows": [(r.child.name, r.week_period, r.dirty) for r in self.rows if r.dirty],
            "null_user_rows": sum(r.user_id is None for r in self.rows),
            "seed": seed,
        }


# --- generation (pure Python, deterministic) ----------------------------------------------


def week_label(start: date) -> str:
    """`2025년 7월 21일 ~ 2025년 7월 27일`: no zero padding, end = start + 6 days."""
    end = start + timedelta(days=6)
    return f"{start.year}년 {start.month}월 {start.day}일 ~ {end.year}년 {end.month}월 {end.day}일"


def _half_up(x: float) -> int:
    return int(math.floor(x + 0.5))


def _quota(total: int, weights) -> list:
    """`total` values in the proportions of `weights` ((value, weight) pairs), largest
    remainder first: exactly the backup's counts at 34, proportional at any other size."""
    wsum = sum(w for _, w in weights)
    exact = [total * w / wsum for _, w in weights]
    counts = [int(x) for x in exact]
    by_remainder = sorted(range(len(weights)), key=lambda i: (counts[i] - exact[i], i))
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return [value for (value, _), n in zip(weights, counts) for _ in range(n)]


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _child_names(rng: random.Random, family_surnames: list[str], user_of_child: list[int]) -> list[str]:
    """Distinct 2-4 character Hangul names; 3-character ones carry the family's surname.
    Should the ~41,000 such names run out (past ~230,000 rows), names of 5+ characters that
    encode the child's index take over: still Hangul, still distinct."""
    shapes, weights = zip(*NAME_SHAPES)
    taken: set[str] = set()
    names = []
    for index, user in enumerate(user_of_child):
        name = None
        for _ in range(40):
            length = rng.choices(shapes, weights)[0]
            given = rng.choice(GIVEN_SYLLABLES) + rng.choice(GIVEN_SYLLABLES)
            if length == 2:
                candidate = given
            elif length == 3:
                candidate = (family_surnames[user] if user is not None else rng.choice(SURNAMES)) + given
            else:
                candidate = rng.choice(DOUBLE_SURNAMES) + given
            if candidate not in taken:
                name = candidate
                break
        if name is None:
            digits, n = [], index
            while n or len(digits) < 4:
                n, d = divmod(n, len(GIVEN_SYLLABLES))
                digits.append(GIVEN_SYLLABLES[d])
            name = SURNAMES[0] + "".join(reversed(digits))
        taken.add(name)
        names.append(name)
    return names


def _spread(total: int, parts: int, rng: random.Random) -> list[int]:
    """`total` rows over `parts` children, each at least 1, unevenly (as real children are)."""
    weights = [rng.uniform(0.5, 1.5) for _ in range(parts)]
    extra = total - parts
    wsum = sum(weights)
    exact = [extra * w / wsum for w in weights]
    counts = [int(x) for x in exact]
    for i in sorted(range(parts), key=lambda i: (counts[i] - exact[i], i))[: extra - sum(counts)]:
        counts[i] += 1
    return [1 + c for c in counts]


def _make_child(rng: random.Random, index: int, name: str, user_id: str | None, weeks: int) -> Child:
    last_monday = ANCHOR_MONDAY - timedelta(weeks=rng.randrange(4))
    first_monday = last_monday - timedelta(weeks=weeks - 1)
    defaults = [{"id": n + 1, "name": habit} for n, habit in enumerate(rng.sample(DEFAULT_HABITS, 5))]
    # Date.now() of the moment each habit was added in the app: 13 digits, increasing.
    added_ms = int(datetime.combine(first_monday, datetime.min.time(), KST).timestamp() * 1000)
    customs = []
    for habit in rng.sample(CUSTOM_HABITS, CUSTOM_PER_CHILD):
        added_ms += rng.randrange(60_000, 3 * 24 * 3_600_000)
        customs.append({"id": added_ms, "name": habit})
    return Child(index, name, user_id, weeks, last_monday, defaults, customs)


def _week_habits(rng: random.Random, child: Child, count: int) -> list[dict]:
    chosen = list(child.defaults)
    customs = list(child.customs)
    if count == 4:
        del chosen[rng.randrange(len(chosen))]
    if count <= 5 and rng.random() < SWAP_DEFAULT_FOR_CUSTOM:
        del chosen[rng.randrange(len(chosen))]
        chosen.append(customs[0])
    chosen.extend(customs[: max(0, count - 5)])
    slots = rng.choices(SLOT_POOL, k=7 * len(chosen))
    return [{"id": h["id"], "name": h["name"], "times": slots[7 * i: 7 * i + 7]} for i, h in enumerate(chosen)]


def _reflection(rng: random.Random, habits: list[dict]) -> dict:
    return {
        "bestDay": rng.choice(WEEKDAYS) if rng.random() < 0.5 else "",
        "easiestHabit": rng.choice(habits)["name"] if rng.random() < 0.5 else "",
        "nextWeekGoal": rng.choice(GOALS) if rng.random() < 0.45 else "",
    }


def _created_at(rng: random.Random, monday: date, kind: str) -> datetime:
    """When the parent opened the week, in Korea: a Sunday-stored week was opened on Monday
    before 09:00 KST (still Sunday in UTC), a Monday one later that Monday, a Tuesday one on
    the Tuesday."""
    if kind == "sunday":
        day, minutes = monday, rng.randrange(0, 9 * 60)
    elif kind == "monday":
        day, minutes = monday, rng.randrange(9 * 60, 24 * 60)
    else:
        day, minutes = monday + timedelta(days=1), rng.randrange(0, 24 * 60)
    local = datetime.combine(day, datetime.min.time(), KST) + timedelta(minutes=minutes, seconds=rng.randrange(60))
    return local.astimezone(timezone.utc)


def _apply_defect(rng: random.Random, row: Row, case: str) -> None:
    row.dirty = case
    habits = row.habits
    target = habits[rng.randrange(len(habits))] if isinstance(habits, list) and habits else None
    if case == "habits_null":
        row.habits = None
    elif case == "habits_empty":
        row.habits = []
    elif case == "habits_not_array":
        row.habits = dict(habits[0])
    elif case == "times_short":
        target["times"] = target["times"][:5]
    elif case == "times_long":
        target["times"] = target["times"] + ["green"]
    elif case == "unknown_status":
        target["times"][rng.randrange(7)] = "blue"
    elif case == "duplicate_habit_name":
        habits[1]["name"] = habits[0]["name"]
    elif case == "empty_habit_name":
        target["name"] = ""
    elif case == "long_habit_name":
        target["name"] = ("매일 " + target["name"] + " 하기 ") * LONG_NAME_LENGTH
        target["name"] = target["name"][:LONG_NAME_LENGTH]
    elif case == "week_start_null":
        row.week_start_date = None
    elif case == "period_mismatch":
        # A week before the child's first: no other label of this child can equal it.
        row.week_period = week_label(row.monday - timedelta(weeks=row.child.weeks))
    elif case == "user_id_null":
        row.user_id = None
    else:  # pragma: no cover - DIRTY_CASES and this function change together
        raise AssertionError(case)


def plan(rows: int, seed: int = 1, dirty_share: float = 0.0, users: int | None = None) -> Plan:
    """The rows and users to insert, generated from random.Random(seed) alone."""
    check_arguments(rows, dirty_share, users)
    rng = random.Random(seed)
    n_children = min(rows, max(1, _half_up(rows * BACKUP_CHILDREN / BACKUP_ROWS))) if rows else 0
    if users is not None:
        n_children = max(n_children, min(users, rows))
    n_users = users if users is not None else math.ceil(n_children / CHILDREN_PER_USER)

    user_rows = [(_uuid(rng), f"parent{n + 1}@example.com") for n in range(n_users)]
    family_surnames = [rng.choice(SURNAMES) for _ in range(n_users)]
    user_of_child = [c * n_users // n_children for c in range(n_children)]
    names = _child_names(rng, family_surnames, user_of_child)
    weeks = _spread(rows, n_children, rng) if n_children else []
    children = [_make_child(rng, c, names[c], user_rows[user_of_child[c]][0], weeks[c])
                for c in range(n_children)]
    result = Plan(users=user_rows, children=children)

    kinds = _quota(rows, STORAGE_KINDS)
    habit_counts = _quota(rows, HABITS_PER_WEEK)
    blank_theme = _quota(rows, ((True, BLANK_THEME_ROWS), (False, BACKUP_ROWS - BLANK_THEME_ROWS)))
    for values in (kinds, habit_counts, blank_theme):
        rng.shuffle(values)

    n = 0
    for child in children:
        first_monday = child.last_monday - timedelta(weeks=child.weeks - 1)
        for k in range(child.weeks):
            monday = first_monday + timedelta(weeks=k)
            kind = kinds[n]
            stored = {"monday": monday, "sunday": monday - timedelta(days=1),
                      "tuesday": monday + timedelta(days=1)}[kind]
            habits = _week_habits(rng, child, habit_counts[n])
            if blank_theme[n]:
                theme = None if rng.random() < 0.6 else ""
            else:
                theme = rng.choice(THEMES)
            created = _created_at(rng, monday, kind)
            result.rows.append(Row(
                child=child, week_index=k, monday=monday, kind=kind, week_start_date=stored,
                # A Sunday-stored week's label shows the Monday the parent meant.
                week_period=week_label(monday if kind == "sunday" else stored),
                theme=theme, habits=habits, reflection=_reflection(rng, habits),
                reward=rng.choice(REWARDS) if rng.random() < 0.55 else None,
                created_at=created,
                updated_at=created + timedelta(minutes=rng.randrange(0, 7 * 24 * 60)),
                user_id=child.user_id,
            ))
            n += 1

    # One row in 34 predates the user_id column: a child's first week, without a user.
    if rows >= 2:
        first_weeks = [r for r in result.rows if r.week_index == 0]
        for row in rng.sample(first_weeks, min(len(first_weeks), max(1, _half_up(rows / BACKUP_ROWS)))):
            row.user_id = None

    # Dirty rows last, so that the clean rows are the same whatever the dirty share.
    n_dirty = min(rows, _half_up(rows * dirty_share))
    for i, index in enumerate(sorted(rng.sample(range(rows), n_dirty))):
        _apply_defect(rng, result.rows[index], DIRTY_CASES[i % len(DIRTY_CASES)])

    # Insertion order = the order the app wrote them: by creation time.
    result.rows.sort(key=lambda r: (r.created_at, r.child.index, r.week_index))
    return result


def check_arguments(rows: int, dirty_share: float, users: int | None) -> None:
    if isinstance(rows, bool) or not isinstance(rows, int) or rows < 0:
        raise UsageError(f"--rows must be a whole number >= 0, got {rows!r}")
    if not (isinstance(dirty_share, (int, float)) and 0.0 <= dirty_share <= 1.0):
        raise UsageError(f"--dirty-share must be a number from 0 to 1, got {dirty_share!r}")
    if users is not None and (isinstance(users, bool) or not isinstance(users, int) or users < 1):
        raise UsageError(f"--users must be a whole number >= 1, got {users!r}")


# --- the database -------------------------------------------------------------------------


def _json(value) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _check_database(cur) -> None:
    if retired(cur.connection):
        raise UsageError("habit_tracker is retired (renamed by 0039_rename_legacy, Phase 3): there is no legacy "
                         "table to seed; seed a database below the freeze (make upgrade TO=<revision>)")
    cur.execute("SELECT to_regclass('public.habit_tracker') IS NOT NULL")
    if not cur.fetchone()[0]:
        raise UsageError("habit_tracker does not exist: run `make upgrade` (python -m scripts.commands.migrate upgrade head) first")
    if frozen(cur.connection):
        raise UsageError(f"habit_tracker is frozen since {FREEZE_REVISION}: it takes no rows; seed a database below "
                         "the freeze (make upgrade TO=<revision>)")
    cur.execute("SELECT count(*) FROM habit_tracker")
    existing = cur.fetchone()[0]
    if existing:
        raise UsageError(f"habit_tracker already holds {existing} rows: seed only an empty table (a throwaway database)")


def seed(conn, rows: int, seed: int = 1, dirty_share: float = 0.0, users: int | None = None) -> dict:
    """Insert the plan for these arguments through `conn` (psycopg2) and return its summary:
    rows, children, users, dirty, dirty_cases {case: count}, dirty_rows [(child_name,
    week_period, case)], null_user_rows, seed.

    One transaction: on an autocommit connection it is committed here; on a connection
    already in transaction mode, committing is left to the caller."""
    check_arguments(rows, dirty_share, users)
    require_supabase_auth(conn)
    own_transaction = conn.autocommit
    if own_transaction:
        conn.autocommit = False
    try:
        with conn.cursor() as cur:
            # The dual-write trigger (Phase 0) raises a NOTICE per row: not worth shipping.
            cur.execute("SET LOCAL client_min_messages = warning")
            # Seeded rows stand for the legacy data that predates the migration: the backfill
            # migrates them, not the Phase 1 sync trigger (its skip switch, revision 0012).
            cur.execute("SET LOCAL migration.skip_sync_trigger = 'on'")
            _check_database(cur)  # before the generation, which takes seconds at scale
            generated = plan(rows, seed, dirty_share, users)
            execute_values(cur, "INSERT INTO auth.users (id, email) VALUES %s ON CONFLICT (id) DO NOTHING",
                           generated.users, page_size=BATCH_ROWS)
            execute_values(cur, INSERT_LEGACY, (
                (r.child.name, r.week_period, r.theme, _json(r.habits), _json(r.reflection), r.reward,
                 r.created_at, r.updated_at, r.week_start_date, r.user_id)
                for r in generated.rows
            ), template=INSERT_TEMPLATE, page_size=BATCH_ROWS)
        if own_transaction:
            conn.commit()
    except BaseException:
        if own_transaction:
            conn.rollback()
        raise
    finally:
        if own_transaction:
            conn.autocommit = True
    return generated.summary(seed)


# --- the command --------------------------------------------------------------------------


def main(argv: list[str]) -> int:
    parser = OneLineParser(prog="seed_legacy", description=__doc__.splitlines()[0], usage_line=USAGE)
    parser.add_argument("--rows", type=int, required=True, help="how many legacy rows to insert")
    parser.add_argument("--seed", type=int, default=1, help="the random seed (default 1)")
    parser.add_argument("--dirty-share", type=float, default=0.0, help="share of rows with one defect each, 0..1")
    parser.add_argument("--users", type=int, default=None, help="how many users (default: one per 6 children)")
    args = parser.parse_args(argv)
    check_arguments(args.rows, args.dirty_share, args.users)
    conn = connect()
    try:
        done = seed(conn, args.rows, seed=args.seed, dirty_share=args.dirty_share, users=args.users)
    except psycopg2.Error as exc:
        raise CheckFailed(f"nothing inserted: {one_line(exc)}") from None
    finally:
        conn.close()
    print(f"seeded {done['rows']} legacy rows ({done['children']} children, {done['users']} users, "
          f"{done['dirty']} dirty) with seed {done['seed']}")
    return 0


if __name__ == "__main__":
    cli_main(main)()
