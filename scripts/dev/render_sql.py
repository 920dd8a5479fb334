"""Write each revision's offline upgrade SQL to its own file, for lint and review.

    python -m scripts.dev.render_sql DIR

DIR/NN_<revision>.sql holds exactly what `alembic upgrade <previous>:<revision> --sql` prints,
so squawk can judge each revision on its own. No database is needed.
"""
from __future__ import annotations

import io
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from scripts.db.errors import UsageError, cli_main
from scripts.commands.migrate import ALEMBIC_INI


def revisions_in_order(cfg: Config) -> list[str]:
    """Revision ids from base to head (the chain is linear; a test checks single head)."""
    script = ScriptDirectory.from_config(cfg)
    return [rev.revision for rev in reversed(list(script.walk_revisions("base", "heads")))]


def render(rev_range: str) -> str:
    buffer = io.StringIO()
    cfg = Config(str(ALEMBIC_INI), output_buffer=buffer)
    cfg.attributes["skip_logging_config"] = True
    command.upgrade(cfg, rev_range, sql=True)
    return buffer.getvalue()


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        raise UsageError("usage: python -m scripts.dev.render_sql DIR")
    out = Path(argv[0])
    out.mkdir(parents=True, exist_ok=True)
    previous = None
    for number, rev in enumerate(revisions_in_order(Config(str(ALEMBIC_INI))), start=1):
        sql = render(f"{previous}:{rev}" if previous else rev)
        (out / f"{number:02d}_{rev}.sql").write_text(sql, encoding="utf-8")
        previous = rev
    return 0


if __name__ == "__main__":
    cli_main(main)()
