"""A legacy habit_tracker row read in Python, from its JSON and the specification alone.

`make read-parity` must not trust the mapping it checks (migration.placement() and the
functions it uses), so it reads the legacy rows itself, by SCHEMA_FACTS §1 and README's
rule: a row's first day is its week_start_date, else the date its week_period label begins
with; habits is an array of {name, times}; times[p] (p < 7) not '' nor null is a filled day, on
the date first day + p, in the Monday week (Monday to Sunday) holding that date.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, timedelta

LABEL_START = re.compile(r"^\s*(\d{4})년\s*(\d{1,2})월\s*(\d{1,2})일")
DAYS_A_WEEK = 7
# Week fields the app shows; a Monday-start row's must read back exactly.
WEEK_FIELDS = ("theme", "reflection", "reward")


@dataclass(frozen=True)
class LegacyRow:
    id: int
    child_name: str
    week_period: str
    week_start_date: date | None
    theme: str | None
    habits: object
    reflection: object
    reward: str | None


@dataclass(frozen=True)
class Day:
    """One filled day of a legacy row: habit `habit` has `status` on `record_date`."""
    legacy_id: int
    habit: str
    record_date: date
    status: str

    @property
    def monday(self) -> date:
        return monday_of(self.record_date)


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def week_period(monday: date) -> str:
    """The legacy label of the week starting `monday`: no zero padding, end = start + 6."""
    end = monday + timedelta(days=6)
    return f"{monday.year}년 {monday.month}월 {monday.day}일 ~ {end.year}년 {end.month}월 {end.day}일"


def first_day(row: LegacyRow) -> date | None:
    """The row's first day: week_start_date, else its label's first date; None when neither reads."""
    if row.week_start_date is not None:
        return row.week_start_date
    found = LABEL_START.match(row.week_period or "")
    if not found:
        return None
    try:
        return date(*(int(part) for part in found.groups()))
    except ValueError:
        return None


def status_text(value) -> str | None:
    """A day slot as text ('' and null: not filled); a non-string is its JSON text."""
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def habits_of(row: LegacyRow) -> tuple[list[tuple[str, list]], str | None]:
    """[(name, times)] of the row, or a problem when its habits cannot be read at all."""
    if row.habits is None:
        return [], None
    if not isinstance(row.habits, list):
        return [], "habits is not an array"
    found = []
    for position, element in enumerate(row.habits):
        if not isinstance(element, dict) or not isinstance(element.get("name"), str):
            return [], f"habit {position} has no text name"
        times = element.get("times")
        found.append((element["name"], times if isinstance(times, list) else []))
    return found, None


def filled_days(row: LegacyRow) -> tuple[list[Day], str | None]:
    """Every filled day of the row on its own date, or a problem when the row cannot be read."""
    start = first_day(row)
    if start is None:
        return [], "no readable start (week_start_date NULL and no date in week_period)"
    habits, problem = habits_of(row)
    if problem:
        return [], problem
    days = []
    for name, times in habits:
        for position, value in enumerate(times[:DAYS_A_WEEK]):
            status = status_text(value)
            if status is not None:
                days.append(Day(row.id, name, start + timedelta(days=position), status))
    return days, None


def is_empty(field: str, value) -> bool:
    """Whether a week field holds nothing a person wrote (NULL, '', a reflection of empty answers)."""
    if value is None or value == "":
        return True
    if field == "reflection" and isinstance(value, dict):
        return all(answer in ("", None) for answer in value.values())
    return False
