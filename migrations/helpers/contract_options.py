"""The `-x` options of Phase 3's contract revisions: the override and the retention period.

    -x contract_override=true     the contract gate's FAIL lines do not stop the upgrade
                                  (throwaway databases only: scripts/commands/migrate.py checks
                                  that, and records the override in the version history)
    -x retention_days=N           days the renamed legacy table is kept before it may be
                                  dropped; default 7; 0 only with the override

`parse()` reads them from a {key: value} of `-x` arguments and raises OptionError (one line)
on a bad value; scripts/commands/migrate.py calls it before anything runs (exit 2). A revision
calls `retention_days()` / `contract_override()`, which read Alembic's own `-x` arguments
(context.get_x_argument) the same way, so a revision run by plain `alembic` gets the same
values and the same refusals (but not migrate.py's throwaway check).

Frozen like a released revision (migrations/helpers/__init__.py): fix forward in a new module.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_RETENTION_DAYS = 7
MAX_RETENTION_DAYS = 3650
OVERRIDE = "contract_override"
RETENTION = "retention_days"


class OptionError(ValueError):
    """A bad `-x` value: the message is the one line to print."""


@dataclass(frozen=True)
class ContractOptions:
    override: bool
    retention_days: int


def parse(x_args: Mapping[str, str]) -> ContractOptions:
    raw_override = x_args.get(OVERRIDE)
    if raw_override is None or raw_override.strip().lower() == "false":
        override = False
    elif raw_override.strip().lower() == "true":
        override = True
    else:
        raise OptionError(f"-x {OVERRIDE}={raw_override}: true or false")
    raw_days = x_args.get(RETENTION)
    if raw_days is None:
        return ContractOptions(override, DEFAULT_RETENTION_DAYS)
    if not re.fullmatch(r"[0-9]{1,4}", raw_days.strip()) or int(raw_days) > MAX_RETENTION_DAYS:
        raise OptionError(f"-x {RETENTION}={raw_days}: a whole number of days from 0 to {MAX_RETENTION_DAYS} "
                          f"(default {DEFAULT_RETENTION_DAYS})")
    days = int(raw_days)
    if days == 0 and not override:
        raise OptionError(f"-x {RETENTION}=0 needs -x {OVERRIDE}=true (throwaway databases only)")
    return ContractOptions(override, days)


def _from_alembic() -> ContractOptions:
    from alembic import context  # only inside a running migration

    return parse(context.get_x_argument(as_dictionary=True))


def retention_days() -> int:
    """For a revision: `-x retention_days`, 7 when not given."""
    return _from_alembic().retention_days


def contract_override() -> bool:
    """For a revision: whether `-x contract_override=true` was given."""
    return _from_alembic().override
