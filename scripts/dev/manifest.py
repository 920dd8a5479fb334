"""Add the released revisions and their frozen SQL to migrations/MANIFEST (`make manifest`).

    python -m scripts.dev.manifest

MANIFEST lists, in `sha256sum` format, the sha256 of every released revision file, of every
frozen SQL file (migrations/sql/**/<object>@<revision>.sql) and of the helpers the revisions
import; tests/test_released_manifest.py fails, naming the file, when one of them changes. This
command only ADDS the files not listed yet: run it when a revision is released (merged), after
its review. It never rewrites an entry: a released file that must change is a new revision, and
the rare exception is an entry edited by hand, where the review sees it.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from scripts.db.errors import cli_main

REPO_ROOT = Path(__file__).resolve().parents[2]
MANIFEST = REPO_ROOT / "migrations" / "MANIFEST"


def released_files() -> list[Path]:
    migrations = REPO_ROOT / "migrations"
    return sorted([*migrations.glob("*.py"), *migrations.glob("helpers/*.py"), *migrations.glob("sql/*/*@*.sql")])


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def listed() -> dict[str, str]:
    """path (relative to the repository) -> sha256, as MANIFEST lists them."""
    if not MANIFEST.exists():
        return {}
    entries = {}
    for line in MANIFEST.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            sha, path = line.split(maxsplit=1)
            entries[path] = sha
    return entries


def main(argv: list[str]) -> int:
    entries = listed()
    new = [p for p in released_files() if str(p.relative_to(REPO_ROOT)) not in entries]
    if not MANIFEST.exists():
        MANIFEST.write_text("# sha256 of every released revision, frozen SQL file and revision helper: never\n"
                            "# rewritten (tests/test_released_manifest.py); `make manifest` adds new ones.\n",
                            encoding="utf-8")
    with MANIFEST.open("a", encoding="utf-8") as out:
        for path in new:
            out.write(f"{digest(path)}  {path.relative_to(REPO_ROOT)}\n")
    print(f"{len(new)} files added to {MANIFEST.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    cli_main(main)()
