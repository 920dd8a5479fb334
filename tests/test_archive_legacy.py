"""`make archive-legacy` and `make restore-legacy` (issue #21 point 4), with revision 0037's
migration.legacy_archives, table_checksum() and archive_matches(), on real PostgreSQL.

The data is the awkward kind: the seed generator's rows with a DIRTY share (habits NULL, not an
array, no user_id, ...), a row of Korean text with quotes, backslashes, tabs and newlines,
jsonb with nested arrays, NULLs and numbers with trailing zeros, timestamps written with +09
and -07:30 offsets; then the backfill and an operator's discard of every unresolved row, so the
quarantine decisions and the discarded-rows archive hold rows too. The archive is written by a
session whose TimeZone is Asia/Seoul and restored by one in America/Los_Angeles: the file and
the checksums must not care.

The restore goes to a second database, `habits` (a throwaway name) on the test's server,
cloned at head: COPY TO STDOUT of each restored table equals the original's byte for byte."""
from __future__ import annotations

import hashlib
import io
import json
import tarfile

import psycopg2
import pytest
from psycopg2 import sql

from helpers import LEGACY_WRITABLE, run_in_process, scalar, starts_at, unschedule_drain
from legacy_cases import U1
from scripts.commands.seed_legacy import seed
from scripts.dev.throwaway_pg import DEFAULT_DBNAME

ARCHIVED = ("public.habit_tracker", "migration.quarantine_decisions", "migration.placement_conflicts",
            "migration.discarded_legacy_rows", "migration.backfill_quarantine")
AWKWARD_HABITS = json.dumps([
    {"id": 1753000000000, "name": "책 읽기 📚 \"따옴표\" \\ 백슬래시", "color": "green",
     "times": ["green", None, "", ["nested", [1, 2.50, {"깊이": [[]]}]], {"k": None}, "red", "yellow"]},
    {"id": 2, "name": "탭\t과 줄\n바꿈", "color": None, "times": [[], [[]], "", "", "", "", ""]},
], ensure_ascii=False)


def archive(database_url, *args, tz="Asia/Seoul"):
    return run_in_process("scripts.commands.archive_legacy", *args, database_url=database_url, PGTZ=tz)


def restore(database_url, path, tz="America/Los_Angeles"):
    return run_in_process("scripts.commands.restore_legacy", "--file", str(path), database_url=database_url, PGTZ=tz)


@pytest.fixture
@starts_at(LEGACY_WRITABLE)
def legacy(db, migrate, database_url):
    """At the last revision before the freeze (0037 is in it): 34 seeded legacy rows, a share dirty, one awkward row of U1's; backfilled; every
    unresolved row discarded by an operator (recorded in quarantine_decisions and archived in
    discarded_legacy_rows)."""
    migrate("upgrade", LEGACY_WRITABLE)
    unschedule_drain(db)
    summary = seed(db, 34, seed=7, dirty_share=0.3)
    assert summary["dirty"] == 10
    with db.cursor() as cur:
        cur.execute("INSERT INTO auth.users (id) VALUES (%s)", (U1,))
        cur.execute("BEGIN")
        cur.execute("SET LOCAL migration.skip_sync_trigger = 'on'")
        cur.execute("""
            INSERT INTO habit_tracker (child_name, week_period, theme, habits, reflection, reward, created_at,
                                       updated_at, week_start_date, user_id)
            VALUES ('하윤 "작은따옴표''" \\ 탭	끝', E'2025년 7월 21일 ~ 2025년 7월 27일\\n둘째 줄', NULL, %s,
                    '{"best": "잘함", "worst": null, "next": [1, [2, [3.10]]]}', E'보상\\r\\n끝',
                    '2025-07-21 23:59:59.123456+09', '2025-07-22 00:00:00-07:30', '2025-07-21', %s)""",
                    (AWKWARD_HABITS, U1))
        cur.execute("COMMIT")
    backfill = run_in_process("scripts.commands.backfill", "--batch", "10", database_url=database_url)
    assert backfill.returncode in (0, 1), backfill.stderr
    with db.cursor() as cur:
        cur.execute("SELECT legacy_id FROM migration.unresolved_legacy_rows ORDER BY 1")
        unresolved = [row[0] for row in cur.fetchall()]
    assert unresolved, "the dirty share leaves rows for an operator"
    for legacy_id in unresolved:
        done = run_in_process("scripts.commands.quarantine", "resolve", "--id", str(legacy_id), "--action", "discard",
                              "--by", "test", database_url=database_url)
        assert done.returncode == 0, done.stderr
    return db


@pytest.fixture
def scratch(templates, throwaway_server):
    """A second throwaway database, `habits`, cloned at head on the test's server; its URL."""
    with templates.shared_database(DEFAULT_DBNAME, LEGACY_WRITABLE) as url:
        yield url


def copy_text(url: str, table: str) -> bytes:
    """COPY ... TO STDOUT of a table, from a session of its own (TimeZone Asia/Seoul)."""
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute("SET TimeZone = 'Asia/Seoul'")
            out = io.BytesIO()
            schema, name = table.split(".")
            cur.copy_expert(sql.SQL("COPY {} TO STDOUT").format(sql.Identifier(schema, name)).as_string(conn), out)
        return out.getvalue()
    finally:
        conn.close()


def checksums(url: str, tables) -> dict[str, tuple[int, str]]:
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            result = {}
            for table in tables:
                schema, name = table.split(".")
                cur.execute(sql.SQL("SELECT count(*), migration.table_checksum(%s::REGCLASS) FROM {}").format(
                    sql.Identifier(schema, name)), (table,))
                result[table] = cur.fetchone()
        return result
    finally:
        conn.close()


def manifest_of(path) -> dict:
    with tarfile.open(path) as tar:
        return json.loads(tar.extractfile("manifest.json").read())


def test_archive_then_restore_is_byte_for_byte(legacy, database_url, scratch, tmp_path):
    out = tmp_path / "legacy.tar"
    written = archive(database_url, "--out", str(out), "--by", "dba 김")
    assert written.returncode == 0, written.stderr
    original = checksums(database_url, ARCHIVED)
    assert original["public.habit_tracker"][0] == 35
    assert original["migration.quarantine_decisions"][0] >= 1
    assert original["migration.discarded_legacy_rows"][0] == original["migration.quarantine_decisions"][0]

    manifest = manifest_of(out)
    assert [t["name"] for t in manifest["tables"]] == list(ARCHIVED)
    assert {t["name"]: (t["rows"], t["checksum"]) for t in manifest["tables"]} == original
    assert manifest["source_table"] == "habit_tracker"

    restored = restore(scratch, out)
    assert restored.returncode == 0, restored.stderr
    assert f"restored {len(ARCHIVED)} tables from {out}" in restored.stdout
    for table in ARCHIVED:
        copy = f"legacy_restore.{table.split('.')[1]}"
        assert copy_text(scratch, copy) == copy_text(database_url, table), table
        assert checksums(scratch, [copy])[copy] == original[table]
    # The awkward row came back as it was written, jsonb and time zones included.
    conn = psycopg2.connect(scratch)
    try:
        with conn.cursor() as cur:
            cur.execute("SET TimeZone = 'UTC'")
            cur.execute("""SELECT habits, reward, reflection, created_at::TEXT, updated_at::TEXT, theme
                           FROM legacy_restore.habit_tracker WHERE child_name LIKE '하윤%'""")
            habits, reward, reflection, created, updated, theme = cur.fetchone()
            # The restored table keeps the archived constraints: its primary key refuses a duplicate.
            cur.execute("SELECT count(*) FROM pg_constraint WHERE conrelid = 'legacy_restore.habit_tracker'::REGCLASS "
                        "AND contype IN ('p', 'u')")
            assert cur.fetchone()[0] == 2
    finally:
        conn.close()
    assert habits == json.loads(AWKWARD_HABITS)
    assert (reward, theme, reflection["next"]) == ("보상\r\n끝", None, [1, [2, [3.10]]])
    assert (created, updated) == ("2025-07-21 14:59:59.123456+00", "2025-07-22 07:30:00+00")


def test_archive_is_recorded_and_matches_until_a_row_changes(legacy, database_url, tmp_path):
    out = tmp_path / "recorded.tar"
    written = archive(database_url, "--out", str(out), "--by", "dba")
    assert written.returncode == 0, written.stderr
    assert scalar(legacy, "SELECT count(*) FROM migration.legacy_archives") == 1
    with legacy.cursor() as cur:
        cur.execute("SELECT archived_by, file_name, file_sha256, source_table, tables FROM migration.legacy_archives")
        by, name, sha, source, tables = cur.fetchone()
    assert (by, name, source) == ("dba", str(out), "habit_tracker")
    assert sha == hashlib.sha256(out.read_bytes()).hexdigest()
    assert tables == {t: {"rows": r, "checksum": c} for t, (r, c) in checksums(database_url, ARCHIVED).items()}
    for table in ARCHIVED:
        assert scalar(legacy, "SELECT migration.archive_matches(%s)", (table,)) is True, table
    with legacy.cursor() as cur:
        cur.execute("SET migration.skip_sync_trigger = 'on'")
        cur.execute("UPDATE habit_tracker SET reward = reward || '!' WHERE id = (SELECT min(id) FROM habit_tracker)")
        assert cur.rowcount == 1
    assert scalar(legacy, "SELECT migration.archive_matches('public.habit_tracker')") is False
    assert scalar(legacy, "SELECT migration.archive_matches('migration.quarantine_decisions')") is True
    # A second archive, of the table as it is now, matches again; the first stays recorded.
    again = archive(database_url, "--out", str(tmp_path / "again.tar"))
    assert again.returncode == 0, again.stderr
    assert scalar(legacy, "SELECT migration.archive_matches('public.habit_tracker')") is True
    assert scalar(legacy, "SELECT array_agg(archived_by ORDER BY id) FROM migration.legacy_archives") == ["dba", "postgres"]


def test_checksum_ignores_session_settings_and_row_order(legacy, database_url):
    with legacy.cursor() as cur:
        cur.execute("SET TimeZone = 'Pacific/Chatham'")
        cur.execute("SET DateStyle = 'SQL, DMY'")
        cur.execute("SELECT migration.table_checksum('habit_tracker')")
        away = cur.fetchone()[0]
        cur.execute("RESET ALL")
        cur.execute("CREATE TEMP TABLE shuffled AS SELECT * FROM habit_tracker ORDER BY random()")
        cur.execute("SELECT migration.table_checksum('habit_tracker'), migration.table_checksum('shuffled'), "
                    "migration.table_checksum('migration.legacy_archives')")
        home, shuffled, empty = cur.fetchone()
    assert away == home == shuffled
    assert empty == hashlib.md5(b"").hexdigest()


def test_a_flipped_byte_names_the_member(legacy, database_url, scratch, tmp_path):
    out = tmp_path / "flip.tar"
    assert archive(database_url, "--out", str(out)).returncode == 0
    with tarfile.open(out) as tar:
        member = tar.getmember("tables/public.habit_tracker.copy.gz")
        offset = member.offset_data + member.size // 2
    damaged = bytearray(out.read_bytes())
    damaged[offset] ^= 0x01
    bad = tmp_path / "damaged.tar"
    bad.write_bytes(bytes(damaged))
    result = restore(scratch, bad)
    assert result.returncode == 1, result.stderr
    assert "member tables/public.habit_tracker.copy.gz: sha256" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert scalar_at(scratch, "SELECT to_regnamespace('legacy_restore') IS NULL") is True

    with tarfile.open(out) as tar:
        offset = tar.getmember("manifest.json").offset_data + 40
    damaged = bytearray(out.read_bytes())
    damaged[offset] ^= 0x01
    bad.write_bytes(bytes(damaged))
    result = restore(scratch, bad)
    assert result.returncode == 1
    assert "member manifest.json: sha256 differs" in result.stderr


def scalar_at(url, query):
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute(query)
            return cur.fetchone()[0]
    finally:
        conn.close()


def test_restore_refused_on_a_database_not_throwaway(legacy, database_url, templates, tmp_path):
    out = tmp_path / "prod.tar"
    assert archive(database_url, "--out", str(out)).returncode == 0
    with templates.shared_database("postgres_copy", LEGACY_WRITABLE) as url:
        result = restore(url, out)
        assert result.returncode == 2
        assert result.stderr.count("\n") == 1
        assert "throwaway database only: database 'postgres_copy' is not a throwaway one" in result.stderr
        assert scalar_at(url, "SELECT to_regnamespace('legacy_restore') IS NULL") is True


def test_restore_refuses_a_second_time_and_bad_input(legacy, database_url, scratch, tmp_path):
    out = tmp_path / "twice.tar"
    assert archive(database_url, "--out", str(out)).returncode == 0
    assert restore(scratch, out).returncode == 0
    again = restore(scratch, out)
    assert again.returncode == 2
    assert "schema legacy_restore exists here" in again.stderr
    missing = restore(scratch, tmp_path / "nothing.tar")
    assert (missing.returncode, missing.stderr.count("\n")) == (2, 1)
    overwrite = archive(database_url, "--out", str(out))
    assert overwrite.returncode == 2
    assert "exists: archives are never overwritten" in overwrite.stderr
    assert scalar(legacy, "SELECT count(*) FROM migration.legacy_archives") == 1


def test_archives_habit_tracker_old_after_a_rename(legacy, database_url, scratch, tmp_path):
    """The lead's rename revision does not exist yet: the rename is simulated as the owner."""
    with legacy.cursor() as cur:
        cur.execute("ALTER TABLE habit_tracker RENAME TO habit_tracker_old")
    out = tmp_path / "old.tar"
    written = archive(database_url, "--out", str(out))
    assert written.returncode == 0, written.stderr
    manifest = manifest_of(out)
    assert (manifest["source_table"], manifest["tables"][0]["member"]) == (
        "habit_tracker_old", "tables/public.habit_tracker_old.copy.gz")
    assert scalar(legacy, "SELECT source_table FROM migration.legacy_archives") == "habit_tracker_old"
    assert scalar(legacy, "SELECT migration.archive_matches('public.habit_tracker_old')") is True
    assert restore(scratch, out).returncode == 0
    assert copy_text(scratch, "legacy_restore.habit_tracker_old") == copy_text(database_url, "public.habit_tracker_old")

    with legacy.cursor() as cur:
        cur.execute("ALTER TABLE habit_tracker_old RENAME TO legacy_elsewhere")
    none = archive(database_url, "--out", str(tmp_path / "none.tar"))
    assert none.returncode == 2
    assert "no legacy table here" in none.stderr
    assert not (tmp_path / "none.tar").exists()


@pytest.mark.start_at("0036_legacy_reader_windows")
def test_below_0037_archive_says_what_is_missing(database_url, tmp_path):
    result = archive(database_url, "--out", str(tmp_path / "early.tar"))
    assert result.returncode == 2
    assert "needs 0037_legacy_archive_log" in result.stderr
    assert not (tmp_path / "early.tar").exists()


def test_read_back_finds_what_the_file_lost(legacy, database_url, tmp_path):
    """The check the command makes before recording (exit 1 when it finds anything), run on the
    file as written and on a copy that lost a byte."""
    from scripts.commands.archive_legacy import read_back

    out = tmp_path / "readback.tar"
    assert archive(database_url, "--out", str(out)).returncode == 0
    manifest = manifest_of(out)
    assert read_back(legacy, out, manifest) == []
    with tarfile.open(out) as tar:
        offset = tar.getmember("tables/migration.discarded_legacy_rows.copy.gz").offset_data + 12
    damaged = bytearray(out.read_bytes())
    damaged[offset] ^= 0x40
    bad = tmp_path / "lost.tar"
    bad.write_bytes(bytes(damaged))
    problems = read_back(legacy, bad, manifest)
    assert len(problems) == 1 and problems[0].startswith("member tables/migration.discarded_legacy_rows.copy.gz: sha256")
    # A manifest that says other rows than the file holds: the loaded table's checksum differs.
    altered = json.loads(json.dumps(manifest))
    altered["tables"][0]["checksum"] = "0" * 32
    problems = read_back(legacy, out, altered)
    assert "manifest.json does not read back as written" in problems
    assert any(p.startswith("public.habit_tracker: read back 35 rows") for p in problems)
    assert scalar(legacy, "SELECT count(*) FROM pg_class WHERE relname LIKE 'archived\\_%'") == 0
