"""verify_consistency: the caller's own rows checked for drift, one prepared statement a request.

It is `make drift`'s check limited to one user (scripts/drift.py, one_user_check): the same
relations and finding queries, as the CTEs of one statement. Prepared once per connection
with the user as $1, and run in autocommit (the pool's connections are asynchronous): one
statement reads one snapshot. The endpoint's sessions plan it once (force_generic_plan): the scope
"one user" keeps every filter on the user an index condition in a generic plan.
"""
from __future__ import annotations

from scripts.db import drift
from scripts.dual_write.prepared import Statement

# As the endpoint checks: every row however recent, unchanged rows taken on trust.
USER_CHECK = Statement("verify_consistency", ("UUID",),
                       drift.one_user_check() % {"user_id": "$1", "min_age": "0", "full": "FALSE"})
STATEMENTS = (USER_CHECK,)


async def check(cur, user_id: str) -> drift.Report:
    await USER_CHECK.run(cur, user_id)
    return drift.findings(drift.report_row(cur), one_user=True)
