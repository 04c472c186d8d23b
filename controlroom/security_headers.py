"""Security headers on every HTTP response the hub sends (pages, scripts, the API).

- ``Content-Security-Policy``: the consoles load only their own scripts and styles
  (no inline code, no eval), talk only to their own host (``connect-src 'self'``
  covers its ``ws://``/``wss://``), and may not be framed (``frame-ancestors 'none'``);
- ``X-Frame-Options: DENY`` for browsers that predate frame-ancestors;
- ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: no-referrer``;
- ``Permissions-Policy``: the camera and microphone for this origin only (test calls);
- ``Cache-Control: no-store`` on ``/api/`` answers: tokens, state and reports never
  stay in a shared cache or a browser's disk cache.

A pure ASGI middleware: WebSocket traffic passes untouched.
"""

from __future__ import annotations

from typing import Any

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "media-src 'self' blob: mediastream:; connect-src 'self'; font-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
_ALWAYS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"permissions-policy", b"camera=(self), microphone=(self), geolocation=()"),
]
_NO_STORE = [(b"cache-control", b"no-store"), (b"pragma", b"no-cache")]


class SecurityHeaders:
    """Adds the headers above to every HTTP response of the wrapped application."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """ASGI entry point."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        api = str(scope.get("path", "")).startswith("/api/")

        async def with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (name, value)
                    for name, value in message.get("headers", [])
                    if not (api and name.lower() == b"cache-control")
                ]
                headers += _ALWAYS
                if api:
                    headers += _NO_STORE
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)
