"""The endpoint's configuration, from the environment (a `.env` file may set DATABASE_URL)."""
from __future__ import annotations

import os
from dataclasses import dataclass

from scripts.db.database_url import database_url
from scripts.db.errors import UsageError

# The headers the original Edge Function allowed (WEEK2_PLAN.md, T0.18).
ALLOWED_HEADERS = "authorization, x-client-info, apikey, content-type, x-idempotency-key"
# An HS256 key shorter than the hash (RFC 7518 3.2) can be guessed offline from one token.
MIN_SECRET_BYTES = 32


@dataclass(frozen=True)
class Settings:
    database_url: str
    jwt_secret: str
    allowed_origins: tuple[str, ...]
    pool_size: int = 10

    def origin_allowed(self, origin: str | None) -> bool:
        return origin is not None and ("*" in self.allowed_origins or origin in self.allowed_origins)

    def allow_origin_header(self, origin: str | None) -> str | None:
        """The Access-Control-Allow-Origin value for this origin, or None (no CORS headers)."""
        if "*" in self.allowed_origins:
            return "*"
        return origin if self.origin_allowed(origin) else None


def from_environment() -> Settings:
    """UsageError (exit 2) naming what is missing; nothing starts half-configured."""
    secret = os.environ.get("SUPABASE_JWT_SECRET", "")
    if not secret:
        raise UsageError("SUPABASE_JWT_SECRET is not set (Supabase signs user tokens with it, HS256)")
    if len(secret.encode()) < MIN_SECRET_BYTES:
        raise UsageError(f"SUPABASE_JWT_SECRET is shorter than {MIN_SECRET_BYTES} bytes: too weak for HS256 "
                         "(use the project's JWT secret)")
    origins = tuple(o.strip() for o in os.environ.get("ALLOWED_ORIGINS", "*").split(",") if o.strip())
    if not origins:
        raise UsageError("ALLOWED_ORIGINS is empty (a comma-separated list of origins, or *)")
    try:
        pool_size = int(os.environ.get("DB_POOL_SIZE", "10"))
    except ValueError:
        raise UsageError("DB_POOL_SIZE must be a whole number") from None
    if pool_size < 1:
        raise UsageError("DB_POOL_SIZE must be at least 1")
    return Settings(database_url(), secret, origins, pool_size)
