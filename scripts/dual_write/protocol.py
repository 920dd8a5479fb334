"""uvicorn's httptools protocol with a bound on a request's head (request line and headers).

Neither uvicorn nor httptools bounds the head: httptools joins the pieces of a header until
its line ends, and uvicorn keeps every header, so a 20 MB header costs the server 20 MB and
more (copies) before the application sees the request. This protocol counts the bytes read
while a head is incomplete and, past MAX_HEAD_BYTES, answers 431 with a JSON error and
closes the connection: the memory spent is the limit plus one read (at most 256 KB).
uvicorn's h11 protocol has a bound (h11_max_incomplete_event_size) but answers a plain-text
400, and costs more CPU per request than httptools.
"""
from __future__ import annotations

import json
import logging

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

# A Supabase user token is about 1 KB; browsers' own headers a few KB more.
MAX_HEAD_BYTES = 32 * 1024
_BODY = json.dumps({"error": {"code": "headers_too_large",
                              "message": f"the request line and headers are over {MAX_HEAD_BYTES} bytes"}}).encode()
_REFUSAL = (b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: application/json\r\n"
            b"content-length: %d\r\nconnection: close\r\n\r\n%s" % (len(_BODY), _BODY))
log = logging.getLogger("dual_write")


class BoundedHeadProtocol(HttpToolsProtocol):
    _head_bytes: int | None = None  # bytes read of the head being received; None outside one

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head_bytes = 0

    def on_headers_complete(self) -> None:
        self._head_bytes = None
        super().on_headers_complete()

    def data_received(self, data: bytes) -> None:
        in_head = self._head_bytes is not None
        super().data_received(data)
        if self._head_bytes is None or self.transport.is_closing():
            return
        # The read that began the head is not counted: part of it may be the previous
        # request's body. So the bound is exceeded by at most that one read.
        if in_head:
            self._head_bytes += len(data)
        if self._head_bytes > MAX_HEAD_BYTES:
            log.warning("refused a request head of over %d bytes from %s", MAX_HEAD_BYTES, self.client)
            self.transport.write(_REFUSAL)
            self.transport.close()
