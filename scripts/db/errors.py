"""The two ways an operator command fails, and how each is reported.

Expected failures never print a traceback: they print one line on stderr and exit with
2 (usage or connection problem: the command could not do its job) or 1 (it ran, and a
check failed).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from collections.abc import Callable
from functools import wraps

EXIT_CHECK_FAILED = 1
EXIT_USAGE = 2


class UsageError(Exception):
    """The command cannot run: bad arguments, no database, wrong database. Exit 2."""


class CheckFailed(Exception):
    """The command ran and found a problem (a failed check, a failed migration). Exit 1."""


def one_line(exc: BaseException) -> str:
    """The first line of an exception's message, whitespace folded."""
    text = str(exc).strip() or exc.__class__.__name__
    return " ".join(text.splitlines()[0].split())


def cli_main(main: Callable[[list[str]], int]) -> Callable[[], None]:
    """Wrap a `main(argv) -> exit code` so expected failures exit cleanly."""

    @wraps(main)
    def run() -> None:
        name = Path(sys.argv[0]).stem if main.__module__ == "__main__" else main.__module__.rsplit(".", 1)[-1]
        try:
            code = main(sys.argv[1:])
        except UsageError as exc:
            print(f"{name}: error: {one_line(exc)}", file=sys.stderr)
            code = EXIT_USAGE
        except CheckFailed as exc:
            print(f"{name}: FAILED: {one_line(exc)}", file=sys.stderr)
            code = EXIT_CHECK_FAILED
        except KeyboardInterrupt:
            print(f"{name}: interrupted", file=sys.stderr)
            code = 130
        sys.exit(code)

    return run


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a bad argument is one line and exit 2 (a UsageError), not a usage block."""

    def __init__(self, *args, usage_line: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.usage_line = usage_line

    def error(self, message: str):
        raise UsageError(f"{self.usage_line} ({message})")
