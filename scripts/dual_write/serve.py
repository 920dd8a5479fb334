"""`make serve [PORT=8000]`: the dual-write endpoint under uvicorn, on loopback.

    python -m scripts.dual_write.serve [--port N]

Configuration from the environment: DATABASE_URL (or `.env`), SUPABASE_JWT_SECRET,
ALLOWED_ORIGINS (comma-separated, default *), DB_POOL_SIZE (default 10). A missing setting,
a JWT secret under 32 bytes or a port in use is one line on stderr and exit 2. A request head
over 32 KB is answered 431 before it is read whole (protocol.py), a body over 256 KB 413.
"""
from __future__ import annotations

import logging
import socket

import uvicorn

from scripts.dual_write.app import PATH, create_app
from scripts.dual_write.protocol import BoundedHeadProtocol
from scripts.dual_write.settings import from_environment
from scripts.db.errors import OneLineParser, UsageError, cli_main

HOST = "127.0.0.1"


def main(argv: list[str]) -> int:
    parser = OneLineParser(prog="serve", description=__doc__.splitlines()[0],
                            usage_line="usage: python -m scripts.dual_write.serve [--port N]")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    if not 1 <= args.port <= 65535:
        raise UsageError(f"--port {args.port} is not a TCP port")
    settings = from_environment()
    with socket.socket() as probe:
        if probe.connect_ex((HOST, args.port)) == 0:
            raise UsageError(f"port {args.port} on {HOST} is already in use (make serve PORT=...)")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    print(f"dual-write endpoint: POST http://{HOST}:{args.port}{PATH} (Ctrl-C stops)", flush=True)
    uvicorn.run(create_app(settings), host=HOST, port=args.port, log_level="warning", access_log=False,
                http=BoundedHeadProtocol)
    return 0


if __name__ == "__main__":
    cli_main(main)()
