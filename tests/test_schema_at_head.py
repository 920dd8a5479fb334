"""At the end of week 1 (0004), the catalog holds exactly the schema of SCHEMA_FACTS §1–§2.

The expectations are written out here from the specification, independently of the
revisions, so that a revision that drifts from the deployed schema fails this test.
"""
from __future__ import annotations

import pytest

from helpers import starts_at

SHARED = [("id", "uuid", True), ("source_version", "text", False), ("created_at", "timestamp with time zone", True)]
UPDATED_AT = [("updated_at", "timestamp with time zone", True)]

EXPECTED_COLUMNS = {
    "habit_tracker": [
        ("id", "bigint", True), ("child_name", "text", True), ("week_period", "text", True),
        ("theme", "text", False), ("habits", "jsonb", False), ("reflection", "jsonb", False),
        ("reward", "text", False), ("created_at", "timestamp with time zone", False),
        ("updated_at", "timestamp with time zone", False), ("week_start_date", "date", False),
        ("user_id", "uuid", False),
    ],
    "children": SHARED + UPDATED_AT + [("user_id", "uuid", True), ("name", "text", True)],
    "weeks": SHARED + UPDATED_AT + [
        ("user_id", "uuid", True), ("child_id", "uuid", True), ("week_start_date", "date", True),
        ("week_end_date", "date", True), ("theme", "text", False), ("reflection", "jsonb", False),
        ("reward", "text", False), ("template_id", "uuid", False),
    ],
    "habits": SHARED + UPDATED_AT + [
        ("week_id", "uuid", True), ("name", "text", True), ("time_period", "text", False),
        ("display_order", "integer", True),
    ],
    "habit_records": SHARED + UPDATED_AT + [
        ("habit_id", "uuid", True), ("record_date", "date", True), ("status", "text", True),
        ("note", "text", False),
    ],
    "habit_templates": SHARED + UPDATED_AT + [
        ("user_id", "uuid", True), ("child_id", "uuid", False), ("name", "text", True),
        ("description", "text", False), ("habits", "jsonb", True), ("is_default", "boolean", True),
    ],
    "notifications": SHARED + [
        ("user_id", "uuid", True), ("from_user_id", "uuid", False), ("type", "text", True),
        ("title", "text", True), ("message", "text", True), ("link_url", "text", False),
        ("metadata", "jsonb", False), ("is_read", "boolean", True),
    ],
}
NEW_TABLES = ["children", "weeks", "habits", "habit_records", "habit_templates", "notifications"]

NOT_VALID_CONSTRAINTS = {
    "children": {"fk_children_user_id", "ck_children_name_length"},
    "weeks": {"fk_weeks_user_id", "fk_weeks_child_id", "ck_weeks_date_range", "ck_weeks_start_monday"},
    "habits": {"fk_habits_week_id", "ck_habits_name_length", "ck_habits_display_order"},
    "habit_records": {"fk_habit_records_habit_id", "ck_habit_records_status", "ck_habit_records_note_length"},
    "habit_templates": {
        "fk_habit_templates_user_id", "fk_habit_templates_child_id", "ck_habit_templates_name_length",
        "ck_habit_templates_description_length", "ck_habit_templates_habits_is_array",
    },
    "notifications": {
        "fk_notifications_user_id", "fk_notifications_from_user_id", "ck_notifications_type",
        "ck_notifications_title_length", "ck_notifications_message_length",
        "ck_notifications_metadata_is_object",
    },
}
DEFERRABLE_UNIQUES = {
    "children": "uq_children_user_name", "weeks": "uq_weeks_child_start_date",
    "habits": "uq_habits_week_name", "habit_records": "uq_habit_records_habit_date",
}

SHADOW_INDEXES = {
    "children": {"idx_children_user_id", "idx_children_name", "idx_children_user_name",
                 "idx_children_created_at_desc", "idx_children_source_version"},
    "weeks": {"idx_weeks_user_id", "idx_weeks_child_id", "idx_weeks_start_date_desc", "idx_weeks_child_date",
              "idx_weeks_user_date", "idx_weeks_source_version"},
    "habits": {"idx_habits_week_id", "idx_habits_week_order", "idx_habits_name", "idx_habits_week_name",
               "idx_habits_source_version"},
    "habit_records": {"idx_habit_records_habit_id", "idx_habit_records_date_desc", "idx_habit_records_habit_date",
                      "idx_habit_records_status", "idx_habit_records_habit_status",
                      "idx_habit_records_date_status", "idx_habit_records_source_version"},
    "habit_templates": {"idx_habit_templates_user_id", "idx_habit_templates_child_id",
                        "idx_habit_templates_user_child", "idx_habit_templates_default_unique",
                        "idx_habit_templates_habits_gin", "idx_habit_templates_user_default",
                        "idx_habit_templates_source_version"},
    "notifications": {"idx_notifications_user_id", "idx_notifications_user_read",
                      "idx_notifications_created_at_desc", "idx_notifications_user_created",
                      "idx_notifications_type", "idx_notifications_from_user_id", "idx_notifications_unread",
                      "idx_notifications_metadata_gin", "idx_notifications_source_version"},
}
LEGACY_INDEXES = {
    "habit_tracker_pkey", "habit_tracker_child_week_unique", "idx_habit_tracker_child_name",
    "idx_habit_tracker_updated_at", "idx_habit_tracker_child_week", "idx_habit_tracker_user_id",
    "idx_habit_tracker_user_child_week",
}


WEEK1 = "0004_shadow_rls_policies"


@pytest.fixture
@starts_at(WEEK1)
def head(db, migrate):
    """The database at the end of week 1, as production was when this repository began."""
    migrate("upgrade", WEEK1)
    return db


def query(conn, sql, params=None):
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def test_tables_and_columns_are_exactly_the_specified_ones(head):
    rows = query(head, """
        SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull
        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
          AND c.relname <> 'alembic_version'""")
    actual: dict[str, set] = {}
    for table, column, type_, not_null in rows:
        actual.setdefault(table, set()).add((column, type_, not_null))
    assert actual == {table: set(columns) for table, columns in EXPECTED_COLUMNS.items()}


def test_the_23_constraints_exist_and_are_not_valid(head):
    rows = query(head, """
        SELECT conrelid::regclass::text, conname, convalidated FROM pg_constraint
        WHERE connamespace = 'public'::regnamespace AND contype IN ('f', 'c')
          AND conrelid::regclass::text = ANY(%s)""", (NEW_TABLES,))
    assert len(rows) == 23
    assert {(t, n) for t, n, _ in rows} == {(t, n) for t, names in NOT_VALID_CONSTRAINTS.items() for n in names}
    assert [n for _, n, valid in rows if valid] == []


def test_uniques_are_deferrable_initially_immediate(head):
    rows = query(head, """
        SELECT conrelid::regclass::text, conname, condeferrable, condeferred FROM pg_constraint
        WHERE connamespace = 'public'::regnamespace AND contype = 'u'""")
    assert {(t, n): (d, i) for t, n, d, i in rows} == {
        **{(t, n): (True, False) for t, n in DEFERRABLE_UNIQUES.items()},
        ("habit_tracker", "habit_tracker_child_week_unique"): (False, False),
    }


def test_the_39_indexes_exist_and_are_valid(head):
    rows = query(head, """
        SELECT t.relname, i.relname, x.indisvalid, x.indisready FROM pg_index x
        JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
        WHERE t.relnamespace = 'public'::regnamespace AND i.relname LIKE 'idx\\_%%'""")
    expected = {(t, n) for t, names in SHADOW_INDEXES.items() for n in names}
    shadow = {(t, n) for t, n, _, _ in rows if t in SHADOW_INDEXES}
    assert len(expected) == 39
    assert shadow == expected
    assert [n for _, n, valid, ready in rows if not (valid and ready)] == []


def test_partial_and_special_indexes_have_their_definitions(head):
    defs = dict(query(head, "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'"))
    for table in NEW_TABLES:
        assert defs[f"idx_{table}_source_version"].endswith(
            "(source_version) WHERE (source_version = ANY (ARRAY['dual_write'::text, 'migration'::text]))")
    assert defs["idx_habit_templates_default_unique"].startswith("CREATE UNIQUE INDEX")
    assert "COALESCE(child_id, '00000000-0000-0000-0000-000000000000'::uuid)" in defs["idx_habit_templates_default_unique"]
    assert "USING gin (habits)" in defs["idx_habit_templates_habits_gin"]
    assert "USING gin (metadata)" in defs["idx_notifications_metadata_gin"]
    assert defs["idx_notifications_unread"].endswith("(user_id) WHERE (is_read = false)")
    assert defs["idx_weeks_child_date"].endswith("(child_id, week_start_date DESC)")


def test_legacy_table_is_as_deployed(head):
    indexes = {n for (n,) in query(head, "SELECT indexname FROM pg_indexes WHERE tablename = 'habit_tracker'")}
    assert indexes == LEGACY_INDEXES
    fk = query(head, """SELECT confrelid::regclass::text, confdeltype FROM pg_constraint
                        WHERE conname = 'fk_habit_tracker_user_id'""")
    assert fk == [("auth.users", "c")]
    policies = query(head, "SELECT polname, polcmd FROM pg_policy WHERE polrelid = 'habit_tracker'::regclass")
    assert policies == [("Users can only access their own data", "*")]
    triggers = query(head, "SELECT tgname FROM pg_trigger WHERE tgrelid = 'habit_tracker'::regclass AND NOT tgisinternal")
    assert triggers == [("update_habit_tracker_updated_at",)]


def test_24_policies_and_rls_state(head):
    rows = query(head, """
        SELECT c.relname, c.relrowsecurity, p.polname, p.polcmd FROM pg_class c
        LEFT JOIN pg_policy p ON p.polrelid = c.oid
        WHERE c.relnamespace = 'public'::regnamespace AND c.relname = ANY(%s)""", (NEW_TABLES,))
    commands = {"select": "r", "insert": "a", "update": "w", "delete": "d"}
    assert {(t, p, c) for t, _, p, c in rows} == {
        (t, f"{t}_{cmd}_policy", code) for t in NEW_TABLES for cmd, code in commands.items()}
    assert {t for t, rls, _, _ in rows if rls} == set()
    assert query(head, "SELECT relrowsecurity FROM pg_class WHERE oid = 'habit_tracker'::regclass") == [(True,)]


def test_updated_at_triggers_on_five_tables(head):
    rows = query(head, """SELECT tgrelid::regclass::text, tgname FROM pg_trigger
                          WHERE NOT tgisinternal AND tgname LIKE 'set\\_%%'""")
    assert set(rows) == {(t, f"set_{t}_updated_at") for t in NEW_TABLES if t != "notifications"}
