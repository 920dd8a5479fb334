"""A released revision, a frozen SQL file and a revision helper never change: migrations/MANIFEST
holds their sha256 (`make manifest` adds new ones), and this test names any that differs."""
from __future__ import annotations

from scripts.dev.manifest import MANIFEST, REPO_ROOT, digest, listed, released_files


def test_every_listed_file_is_unchanged():
    entries = listed()
    assert entries, f"{MANIFEST} lists nothing"
    missing = [path for path in entries if not (REPO_ROOT / path).exists()]
    assert not missing, f"released files removed: {missing}"
    changed = [path for path, sha in entries.items() if digest(REPO_ROOT / path) != sha]
    assert not changed, (f"released files changed: {changed}. A released revision and its frozen SQL are never "
                         "edited: write a new revision (and a new <object>@<revision>.sql) instead")


def test_every_frozen_sql_file_a_listed_revision_reads_is_listed():
    """A frozen file next to a released revision is released with it: `make manifest` forgot."""
    entries = listed()
    released = {path.split("-", 1)[1][:4] for path in entries if path.count("/") == 1 and path.endswith(".py")
                and "-" in path}
    unlisted = [str(p.relative_to(REPO_ROOT)) for p in released_files()
                if "@" in p.name and p.stem.rsplit("@", 1)[1] in released
                and str(p.relative_to(REPO_ROOT)) not in entries]
    assert not unlisted, f"frozen SQL of released revisions not in {MANIFEST.name}: {unlisted} (run `make manifest`)"
