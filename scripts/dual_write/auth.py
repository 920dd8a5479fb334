"""The caller's user id, from the Supabase user JWT in the Authorization header.

Supabase signs user tokens with HS256 and the project's JWT secret; the user id is `sub`,
the audience `authenticated` (the anon key is signed the same way but has no `sub` and the
role anon, so it is refused). PyJWT does the verification: algorithm pinned to HS256 (no
`none`, no algorithm confusion), signature, `exp` required and checked.
"""
from __future__ import annotations

import uuid

import jwt

from scripts.dual_write.errors import ApiError

AUDIENCE = "authenticated"


def user_id_from(authorization: str | None, secret: str) -> str:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "unauthorized", "Authorization: Bearer <user JWT> is required")
    try:
        claims = jwt.decode(token.strip(), secret, algorithms=["HS256"], audience=AUDIENCE,
                            options={"require": ["exp", "sub"]})
    except jwt.ExpiredSignatureError:
        raise ApiError(401, "token_expired", "the token has expired; sign in again") from None
    except jwt.InvalidTokenError as exc:
        raise ApiError(401, "invalid_token", f"the token is not valid: {exc}") from None
    try:
        return str(uuid.UUID(str(claims["sub"])))
    except ValueError:
        raise ApiError(401, "invalid_token", "the token's sub is not a user id") from None
