"""base -> head -> base -> head leaves an identical schema, and never touches `auth`. "head" here
is the rename (0039), the last revision that can be undone: the drop (0040) is one-way, and its
refusal to go down leaves the schema as it was."""
from __future__ import annotations

import subprocess

from alembic.script import ScriptDirectory

from helpers import archive_for_drop, current_revision
from scripts.commands.migrate import alembic_config
from scripts.db.legacy_table import DROP_REVISION, RENAME_REVISION
from scripts.dev.pg_majors import installation


def schema_dump(database_url: str, *schemas: str) -> str:
    """pg_dump --schema-only, without the random per-dump \\restrict token lines. The server's
    own major's pg_dump for 15 (Debian's); pg_dump 18 for 17 and 18 (pg_dump refuses a newer
    server than itself, so Debian's 15 cannot dump them: scripts/dev/pg_majors.py)."""
    dump = subprocess.run(
        [str(installation().pg_dump), "--schema-only", "--no-owner", *(f"--schema={s}" for s in schemas),
         "--exclude-table=public.alembic_version", database_url],
        check=True, capture_output=True, text=True,
    ).stdout
    return "\n".join(line for line in dump.splitlines() if not line.startswith(("\\restrict", "\\unrestrict")))


def test_base_head_base_head_is_identical_and_auth_untouched(database_url, migrate):
    public_before, auth_before = schema_dump(database_url, "public"), schema_dump(database_url, "auth")

    migrate("upgrade", RENAME_REVISION)
    first_head = schema_dump(database_url, "public", "migration")
    assert "CREATE TABLE public.habit_records" in first_head

    migrate("downgrade", "base")
    assert schema_dump(database_url, "public") == public_before

    migrate("upgrade", RENAME_REVISION)
    assert schema_dump(database_url, "public", "migration") == first_head
    assert schema_dump(database_url, "auth") == auth_before


def test_each_step_down_restores_the_previous_step(database_url, migrate):
    """Walk up one revision at a time, then down one at a time, comparing dumps at each level."""
    order = [rev.revision for rev in reversed(list(ScriptDirectory.from_config(alembic_config()).walk_revisions()))]
    # The mapping's revisions change only the schema `migration`.
    dumps = [schema_dump(database_url, "public", "migration")]
    steps = order.index(RENAME_REVISION) + 1
    for _ in range(steps):
        migrate("upgrade", "+1")
        dumps.append(schema_dump(database_url, "public", "migration"))
    assert len(set(dumps)) == len(dumps), "every revision changes the schema"
    for expected in reversed(dumps[:-1]):
        migrate("downgrade", "-1")
        assert schema_dump(database_url, "public", "migration") == expected


def test_the_drop_refuses_to_go_down_and_changes_nothing(database_url, migrate, db, tmp_path):
    migrate("upgrade", RENAME_REVISION)
    archive_for_drop(database_url, tmp_path)
    migrate("upgrade", DROP_REVISION)
    dropped = schema_dump(database_url, "public", "migration")
    assert "CREATE TABLE public.habit_tracker" not in dropped and "CREATE TABLE migration.sync_queue" not in dropped
    refused = migrate("downgrade", "-1", check=False)
    assert refused.returncode == 1, refused.stderr
    assert f"{DROP_REVISION} is one-way" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert [line for line in refused.stderr.splitlines() if line.startswith("migrate:")] == [
        f"migrate: FAILED: downgrade refused: {refused.stderr.split('downgrade refused: ', 1)[1].strip()}"]
    assert current_revision(db) == DROP_REVISION
    assert schema_dump(database_url, "public", "migration") == dropped
