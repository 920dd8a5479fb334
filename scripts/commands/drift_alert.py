"""Post a drift report to a Discord-compatible webhook (DRIFT_WEBHOOK_URL).

The message: a title, the number of findings, and the ten most severe findings as embed
fields. Returns None on success or a one-line reason on failure: the caller reports it on
stderr and keeps its exit code; an alert that cannot be sent never hides the drift itself.
"""
from __future__ import annotations

import json
import urllib.error
import urllib.request

TIMEOUT_SECONDS = 10
RED = 0xFF0000


def build_message(findings, most_severe) -> dict:
    return {
        "embeds": [{
            "title": "Schema drift detected: habit_tracker vs the new tables",
            "description": f"{len(findings)} findings; the {len(most_severe)} most severe below",
            "color": RED,
            "fields": [
                {"name": f"{f.severity}: {f.kind}",
                 "value": (f"legacy {f.legacy_id}; " if f.legacy_id is not None else "")
                 + f"new {', '.join(f.new_ids) or '-'}: {f.detail}"[:1000],
                 "inline": False}
                for f in most_severe
            ],
        }]
    }


def post_alert(url: str, findings, most_severe) -> str | None:
    body = json.dumps(build_message(findings, most_severe), ensure_ascii=False).encode()
    request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            if response.status >= 300:
                return f"webhook answered HTTP {response.status}"
    except urllib.error.HTTPError as exc:
        return f"webhook answered HTTP {exc.code}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return f"webhook unreachable: {getattr(exc, 'reason', exc)}"
    return None
