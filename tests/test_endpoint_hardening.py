"""The endpoint under adversarial input (#17, point 8): oversized requests are refused before
they are read whole, input the parser or PostgreSQL cannot take is a named 400/422, an
unknown user is 401, a restarted database costs no request, and every refusal is JSON with
nothing written."""
from __future__ import annotations

import json
import select
import socket
from itertools import repeat
from urllib.parse import urlsplit

import pytest

from helpers import at_once, run_cli
from legacy_cases import U1, habit
from scripts.dual_write.app import PATH
from scripts.dual_write.local_server import running_endpoint
from test_dual_write import SECRET, counts, create, endpoint, post, token, update  # noqa: F401 (endpoint: a fixture)

UNKNOWN_USER = "33333333-3333-3333-3333-333333333333"
MB = 1024 * 1024


def body(data_json: str, operation: str = "create_week") -> str:
    """A request body with data written as raw JSON text (what json.dumps would not produce)."""
    return f'{{"operation": "{operation}", "data": {data_json}}}'


def week(**fields: str) -> str:
    """create_week's data for another child than the fixture's week, each field raw JSON text."""
    data = {"child_name": '"서연"', "week_start_date": '"2025-07-21"', "habits": "[]", **fields}
    return "{" + ", ".join(f'"{k}": {v}' for k, v in data.items()) + "}"


# (body, status, code, field)
UNTAKEABLE = {
    "nesting past the parser (2,000 levels)": (body(week(reflection="[" * 2000 + "]" * 2000)), 400, "invalid_json",
                                               None),
    "nesting past 32 levels": (body(week(reflection="[" * 40 + "]" * 40)), 422, "invalid_data",
                               "data.reflection" + "[0]" * 31),
    "NaN": (body(week(reflection='{"score": NaN}')), 422, "invalid_data", "data.reflection.score"),
    "Infinity": (body(week(habits='[{"id": 1, "name": "독서", "times": [], "weight": -Infinity}]')), 422,
                 "invalid_data", "data.habits[0].weight"),
    "1e999": (body(week(reflection='{"score": [1, 1e999]}')), 422, "invalid_data",
              "data.reflection.score[1]"),
    "NUL in a string": (body(week(child_name='"서\\u0000연"')), 422, "invalid_data", "data.child_name"),
    "NUL in a key": (body(week(reflection='{"a\\u0000b": 1}')), 422, "invalid_data", "data.reflection"),
    "lone surrogate": (body(week(theme='"\\ud800"')), 422, "invalid_data", "data.theme"),
    "lone surrogate in a habit name": (body(week(habits='[{"id": 1, "name": "\\udfff", "times": []}]')), 422,
                                       "invalid_data", "data.habits[0].name"),
    "ISO week date": (body(week(week_start_date='"2025-W36-1"')), 422, "invalid_data", "data.week_start_date"),
    "February 30": (body(week(week_start_date='"2025-02-30"')), 422, "invalid_data", "data.week_start_date"),
    "ISO week date on update": (body('{"child_name": "민준", "week_start_date": "2025-W30-1", "habit_name": "독서", '
                                     '"day_index": 1, "status": "red"}', "update_habit_record"), 422, "invalid_data",
                                "data.week_start_date"),
}


@pytest.mark.parametrize("case", list(UNTAKEABLE))
def test_json_the_parser_or_postgresql_cannot_take_is_named_and_changes_nothing(endpoint, db, case):
    assert endpoint(create()).status_code == 201
    before = counts(db)
    sent, status, code, field = UNTAKEABLE[case]
    response = endpoint(sent.encode("utf-8", "surrogatepass"))
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code and error.get("field") == field, error
    assert counts(db) == before


def test_a_token_of_a_user_not_in_auth_users_is_401_and_writes_nothing(endpoint, db):
    assert endpoint(create()).status_code == 201
    before = counts(db)
    for sent in (create(child="서연"), update(), {"operation": "delete_week",
                                                 "data": {"child_name": "민준", "week_start_date": "2025-07-21"}}):
        response = endpoint(sent, user=UNKNOWN_USER)
        assert response.status_code == 401, response.text
        assert response.json()["error"]["code"] == "unknown_user"
    assert counts(db) == before


def test_another_path_or_method_is_a_json_404_or_405(endpoint):
    client = endpoint.client
    missing = client.post("/functions/v1/other", json=create())
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    assert PATH in missing.json()["error"]["message"]
    for method in ("GET", "PUT", "DELETE", "PATCH"):
        wrong = client.request(method, PATH)
        assert wrong.status_code == 405, (method, wrong.text)
        assert wrong.json()["error"]["code"] == "method_not_allowed"
        assert wrong.headers["allow"] == "POST, OPTIONS"


def test_serve_refuses_a_jwt_secret_under_32_bytes(database_url):
    result = run_cli("scripts.dual_write.serve", database_url=database_url, SUPABASE_JWT_SECRET="x" * 31)
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and result.stderr.startswith(
        "serve: error: SUPABASE_JWT_SECRET is shorter than 32 bytes"), result.stderr


# --- a real uvicorn process -----------------------------------------------------------------

def exchange(url: str, chunks) -> tuple[int, dict, int]:
    """Send the chunks on one connection until the server answers or closes; return
    (status, JSON body, bytes sent). The server may refuse long before everything is sent."""
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=10)
    sock.setblocking(False)
    sent = 0
    try:
        for chunk in chunks:
            view = memoryview(chunk)
            while view:
                readable, writable, _ = select.select([sock], [sock], [], 10)
                assert readable or writable, "the server neither reads nor answers"
                if readable:
                    break
                try:
                    n = sock.send(view)
                except (BrokenPipeError, ConnectionResetError):
                    break
                sent, view = sent + n, view[n:]
            else:
                continue
            break
        response = b""
        while True:
            assert select.select([sock], [], [], 10)[0], "no answer"
            try:
                data = sock.recv(65536)
            except ConnectionResetError:
                break
            if not data:
                break
            response += data
    finally:
        sock.close()
    head, _, content = response.partition(b"\r\n\r\n")
    assert head, f"no response after {sent} bytes sent"
    return int(head.split()[1]), json.loads(content), sent


def memory_kb(pid: int) -> dict:
    """VmRSS (resident now) and VmHWM (peak resident) of a process, in kB."""
    with open(f"/proc/{pid}/status") as status:
        fields = dict(line.split(":", 1) for line in status)
    return {name: int(fields[name].split()[0]) for name in ("VmRSS", "VmHWM")}


def request_head(url: str, *extra: str) -> bytes:
    lines = [f"POST {urlsplit(url).path} HTTP/1.1", "Host: 127.0.0.1", f"Authorization: Bearer {token()}",
             "X-Idempotency-Key: big", "Content-Type: application/json", *extra]
    return ("\r\n".join(lines) + "\r\n").encode()


def test_oversized_bodies_and_headers_are_refused_before_they_are_read(synced, database_url):
    with running_endpoint(database_url, SECRET, pool_size=2) as url:
        assert post(url, create(), key="warm-up")[0] == 201
        pid = url.process.pid
        before = memory_kb(pid)
        fifty_mb = 50 * MB // 65536

        # A declared 50 MB body: refused on its Content-Length, before the body is read.
        status, error, sent = exchange(url, [request_head(url, f"Content-Length: {50 * MB}") + b"\r\n",
                                             *repeat(b"x" * 65536, fifty_mb)])
        assert (status, error["error"]["code"]) == (413, "body_too_large") and sent < 50 * MB

        # 50 MB chunked (no length): refused once 256 KB have streamed in.
        status, error, sent = exchange(url, [request_head(url, "Transfer-Encoding: chunked") + b"\r\n",
                                             *repeat(b"10000\r\n" + b"x" * 65536 + b"\r\n", fifty_mb)])
        assert (status, error["error"]["code"]) == (413, "body_too_large") and sent < 50 * MB

        # A 20 MB header: 431 once the head passes 32 KB.
        status, error, sent = exchange(url, [request_head(url) + b"X-Padding: ",
                                             *repeat(b"a" * 65536, 20 * MB // 65536), b"\r\n\r\n"])
        assert (status, error["error"]["code"]) == (431, "headers_too_large") and sent < 20 * MB

        after = memory_kb(pid)
        growth = {name: after[name] - before[name] for name in after}
        print(f"serve process memory growth (kB): {growth}, before {before}")
        assert max(growth.values()) < 5 * 1024, growth  # a few MB at most
        # The server still answers normally.
        assert post(url, update(), key="after")[0] == 200


def test_a_database_restart_fails_no_request(synced, database_url, throwaway_server):
    with running_endpoint(database_url, SECRET, pool_size=4) as url:
        assert post(url, create(), key="before")[0] == 201
        # Four requests at once: four pooled connections, all killed by the restart.
        at_once(lambda n: post(url, update(day=n), key=f"fill-{n}"), 4)
        throwaway_server.cluster.stop()
        throwaway_server.cluster._pg_ctl_start()
        statuses = at_once(lambda n: post(url, update(status="green", day=n % 7), key=f"after-{n}")[0], 8)
        statuses += [post(url, update(status="red", day=n % 7), key=f"then-{n}")[0] for n in range(8)]
        assert statuses == [200] * 16


def test_the_demo_fails_when_the_endpoint_answers_503(synced, migrate, database_url):
    """Against a database older than the endpoint (0017), every call is 503 database_not_ready."""
    migrate("downgrade", "0017_row_sync_generic_plans")
    synced.cursor().execute("INSERT INTO habit_tracker (child_name, week_period, week_start_date, habits, user_id) "
                            "VALUES ('민준', 'label', '2025-07-21', %s, %s)",
                            (json.dumps([habit("독서", [""] * 7)]), U1))
    result = run_cli("scripts.demo.demo_endpoint", database_url=database_url)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stderr.count("\n") == 1 and result.stderr.startswith(
        "demo_endpoint: error: the endpoint answered create_week with 503 database_not_ready"), result.stderr
