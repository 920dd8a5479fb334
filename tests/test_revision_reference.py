"""docs/revisions.md is generated from the revision docstrings, and `make lint` notices when it is stale.

No database: the reference is rendered from the revision files alone. The altered copy lives in
a temporary directory (`--output`), so the repository's file is never touched.
"""
from __future__ import annotations

from helpers import REPO_ROOT, run_cli

from scripts.dev.revision_reference import DEFAULT_OUTPUT, render, revisions_in_order

MODULE = "scripts.dev.revision_reference"


def test_committed_reference_is_current():
    result = run_cli(MODULE, "--check", database_url=None)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "" and result.stderr == ""


def test_every_revision_in_order_with_its_change_record():
    text = render()
    positions = [text.index(f"\n## {rev.revision}\n") for rev in revisions_in_order()]
    assert positions == sorted(positions) and len(positions) >= 21
    for rev in revisions_in_order():
        title = rev.module.__doc__.strip().splitlines()[0].strip()
        section = text[text.index(f"\n## {rev.revision}\n"):]
        assert title in section.split("\n## ", 2)[1]
    assert text.count("### What and why") == len(positions)


def test_check_fails_with_one_line_when_the_file_is_altered(tmp_path):
    copy = tmp_path / "revisions.md"
    copy.write_text(DEFAULT_OUTPUT.read_text(encoding="utf-8"), encoding="utf-8")
    assert run_cli(MODULE, "--check", "--output", str(copy), database_url=None).returncode == 0

    copy.write_text(copy.read_text(encoding="utf-8").replace("What and why", "What, and why", 1),
                    encoding="utf-8")
    result = run_cli(MODULE, "--check", "--output", str(copy), database_url=None)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [f"{copy} is stale: run make docs"]

    copy.unlink()
    missing = run_cli(MODULE, "--check", "--output", str(copy), database_url=None)
    assert missing.returncode == 1 and len(missing.stderr.splitlines()) == 1


def test_without_check_it_writes_what_check_accepts(tmp_path):
    out = tmp_path / "docs" / "revisions.md"
    assert run_cli(MODULE, "--output", str(out), database_url=None).returncode == 0
    assert out.read_text(encoding="utf-8") == DEFAULT_OUTPUT.read_text(encoding="utf-8")
    assert run_cli(MODULE, "--check", "--output", str(out), database_url=None, cwd=REPO_ROOT).returncode == 0
