"""A minimal client of the endpoint, as the React app calls it: a user token, a key, a body."""
from __future__ import annotations

import http.client
import json
import time
from urllib.parse import urlsplit

import jwt



def user_token(user_id: str, secret: str, lifetime_seconds: int = 3600) -> str:
    """A token shaped like Supabase's for a signed-in user."""
    claims = {"sub": user_id, "aud": "authenticated", "role": "authenticated",
              "exp": int(time.time()) + lifetime_seconds}
    return jwt.encode(claims, secret, algorithm="HS256")


class Client:
    """One keep-alive HTTP connection to the endpoint."""

    def __init__(self, url: str, token: str):
        parts = urlsplit(url)
        self.path = parts.path
        self.connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        self.token = token

    def call(self, operation: str, data: dict, key: str) -> tuple[int, dict]:
        body = json.dumps({"operation": operation, "data": data}, ensure_ascii=False).encode()
        self.connection.request("POST", self.path, body=body, headers={
            "Authorization": f"Bearer {self.token}", "X-Idempotency-Key": key, "Content-Type": "application/json"})
        response = self.connection.getresponse()
        return response.status, json.loads(response.read() or b"{}")

    def close(self) -> None:
        self.connection.close()
