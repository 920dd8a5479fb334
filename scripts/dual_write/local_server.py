"""`make serve` as a subprocess on a free loopback port, for the demo, the benchmark and tests."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from scripts.dual_write.app import PATH
from scripts.db.errors import UsageError

REPO_ROOT = Path(__file__).resolve().parents[2]
START_SECONDS = 15


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Served(str):
    """The endpoint's URL, and the `serve` process answering on it (tests read its memory)."""
    process: subprocess.Popen


@contextmanager
def running_endpoint(database_url: str, jwt_secret: str, pool_size: int = 10, origins: str = "*"):
    """Yield the endpoint's URL (a Served) while a `serve` process answers on it; stop it afterwards."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "SUPABASE_JWT_SECRET": jwt_secret,
           "ALLOWED_ORIGINS": origins, "DB_POOL_SIZE": str(pool_size)}
    process = subprocess.Popen([sys.executable, "-m", "scripts.dual_write.serve", "--port", str(port)],
                               cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise UsageError(f"the endpoint did not start: {(process.stderr.read() or '').strip()[-300:]}")
                time.sleep(0.05)
        served = Served(f"http://127.0.0.1:{port}{PATH}")
        served.process = process
        yield served
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
