"""base -> head -> base -> head leaves an identical schema, and never touches `auth`."""
from __future__ import annotations

import subprocess

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

    migrate("upgrade", "head")
    first_head = schema_dump(database_url, "public", "migration")
    assert "CREATE TABLE public.habit_records" in first_head

    migrate("downgrade", "base")
    assert schema_dump(database_url, "public") == public_before

    migrate("upgrade", "head")
    assert schema_dump(database_url, "public", "migration") == first_head
    assert schema_dump(database_url, "auth") == auth_before


def test_each_step_down_restores_the_previous_step(database_url, migrate):
    """Walk up one revision at a time, then down one at a time, comparing dumps at each level."""
    history = migrate("history").stdout
    # The mapping's revisions change only the schema `migration`.
    dumps = [schema_dump(database_url, "public", "migration")]
    steps = sum(1 for line in history.splitlines() if "->" in line)
    for _ in range(steps):
        migrate("upgrade", "+1")
        dumps.append(schema_dump(database_url, "public", "migration"))
    assert len(set(dumps)) == len(dumps), "every revision changes the schema"
    for expected in reversed(dumps[:-1]):
        migrate("downgrade", "-1")
        assert schema_dump(database_url, "public", "migration") == expected
