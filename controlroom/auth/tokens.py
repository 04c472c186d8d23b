"""Bearer tokens: signed, self-contained, revocable through the account file.

A token is ``base64url(json{u, c, iat, pv}) "." base64url(hmac_sha256)``, signed with a
secret kept in the data directory (created 0600 on first start, so tokens survive a
restart). ``pv`` is a fingerprint of the account's password hash: changing the
password invalidates every token issued before; revoking the account refuses them
all, because every check looks the account up again.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from pathlib import Path
from typing import Any

DEFAULT_TTL_S = 7 * 24 * 3600


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def password_fingerprint(password_hash: str) -> str:
    """A short digest of the stored hash, so a password change voids old tokens."""
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


def load_secret(data_dir: Path) -> bytes:
    """Read the signing secret from ``data_dir``, creating it on first use."""
    path = data_dir / "token.secret"
    if path.exists():
        return path.read_bytes()
    data_dir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(secret)
    return secret


class TokenSigner:
    """Issues and checks tokens with one secret."""

    def __init__(self, secret: bytes, ttl_s: int = DEFAULT_TTL_S) -> None:
        self._secret = secret
        self.ttl_s = ttl_s

    def _sign(self, body: str) -> str:
        return _b64(hmac.new(self._secret, body.encode(), hashlib.sha256).digest())

    def issue(self, username: str, password_hash: str, now_s: int, conference: str) -> str:
        """A token for ``username`` of ``conference``, valid for ``ttl_s`` from ``now_s``.

        The conference is a signed claim (``c``): a token cannot be carried over to
        another conference served with the same secret.
        """
        claims = {
            "u": username,
            "c": conference,
            "iat": now_s,
            "pv": password_fingerprint(password_hash),
        }
        body = _b64(json.dumps(claims, separators=(",", ":")).encode())
        return f"{body}.{self._sign(body)}"

    def claims(self, token: Any, now_s: int) -> dict[str, Any] | None:
        """The claims of a well-signed, unexpired token; None otherwise."""
        if not isinstance(token, str) or len(token) > 1024 or not token.isascii():
            return None  # hmac.compare_digest refuses non-ASCII text: not a token of ours
        if token.count(".") != 1:
            return None
        body, sig = token.split(".")
        if not hmac.compare_digest(sig, self._sign(body)):
            return None
        try:
            claims = json.loads(_unb64(body))
        except ValueError:
            return None
        if not isinstance(claims, dict) or not isinstance(claims.get("iat"), int):
            return None
        if now_s - claims["iat"] > self.ttl_s:
            return None
        return claims
