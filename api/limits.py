"""Abuse resistance as pure ASGI middleware: a cap on request bodies (413) and a token-bucket rate limit (429).

Both answer with problem+json before the application sees the request, so a flood of large or frequent requests
never reaches the store.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.auth import TOKEN_STATE_KEY
from api.problems import MEDIA_TYPE, problem_document
from api.tokens import token_id_of

MAX_TRACKED = 10_000
"""Buckets (or known token ids) kept before the idle ones are dropped: bounds memory under a flood of addresses."""


async def send_problem(
    send: Send, scope: Scope, status: int, *, slug: str, detail: str, headers: Iterable[tuple[str, str]] = ()
) -> None:
    """Answer with a problem+json document straight from a middleware."""
    body = json.dumps(problem_document(status, detail=detail, instance=scope.get("path", ""), slug=slug)).encode()
    raw = [
        (b"content-type", MEDIA_TYPE.encode()),
        (b"content-length", str(len(body)).encode()),
        *((name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers),
    ]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


# -- body size ----------------------------------------------------------------------------------------------------


class _BodyTooLarge(Exception):
    """Raised into the application when the streamed body passes the limit; never leaves :class:`BodyLimit`."""


class BodyLimit:
    """Refuse request bodies over ``max_bytes`` with 413: at once when ``Content-Length`` says so, otherwise as soon
    as the streamed (chunked) body passes the limit, whatever the application was doing with it."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self._refuse(send, scope)
            return

        received = 0
        exceeded = False
        started = False

        async def counted() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    exceeded = True
                    raise _BodyTooLarge
            return message

        async def guarded(message: Message) -> None:
            nonlocal started
            if exceeded:
                return  # whatever the application answers to a cut-off body, the 413 below replaces it
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, guarded)
        except Exception:
            # The application may wrap our signal in its own error (FastAPI turns it into a 400): any error
            # after the cut-off is a consequence of it.
            if not exceeded:
                raise
        if exceeded and not started:
            await self._refuse(send, scope)

    async def _refuse(self, send: Send, scope: Scope) -> None:
        detail = f"the request body is larger than {self.max_bytes:,} bytes; send less per request"
        await send_problem(send, scope, 413, slug="body-too-large", detail=detail, headers=[("Connection", "close")])


def _content_length(scope: Scope) -> int | None:
    value = Headers(scope=scope).get("content-length")
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


# -- rate ---------------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class TokenBuckets:
    """One token bucket per key: ``per_minute`` tokens, refilled continuously, so bursts of up to ``per_minute``."""

    per_minute: int
    clock: Callable[[], float] = time.monotonic
    max_keys: int = MAX_TRACKED
    _levels: dict[str, tuple[float, float]] = field(default_factory=dict)
    """key → (tokens left, when that was computed)."""

    @property
    def rate(self) -> float:
        """Tokens per second."""
        return self.per_minute / 60.0

    def take(self, key: str) -> float:
        """Take one token for ``key``: 0.0 when there was one, else the seconds until there will be one."""
        now = self.clock()
        level = self._level(key, now)
        allowed = level >= 1.0
        self._levels[key] = (level - 1.0 if allowed else level, now)
        if len(self._levels) > self.max_keys:
            self._prune(now)
        return 0.0 if allowed else (1.0 - level) / self.rate

    def _level(self, key: str, now: float) -> float:
        tokens, at = self._levels.get(key, (float(self.per_minute), now))
        return min(float(self.per_minute), tokens + (now - at) * self.rate)

    def _prune(self, now: float) -> None:
        # A full bucket is the same as no bucket: dropping it forgets nothing.
        for key in [key for key in self._levels if self._level(key, now) >= self.per_minute]:
            del self._levels[key]
        if len(self._levels) > self.max_keys:  # still flooded: keep the most recently used half
            recent = sorted(self._levels.items(), key=lambda item: item[1][1])[len(self._levels) // 2 :]
            self._levels = dict(recent)


class RateLimit:
    """Limit requests per token, or per client address for requests without a verified token (429).

    A token gets its own bucket only once the application has verified it (``current_caller`` leaves its id in the
    request state): made-up token ids share their sender's address bucket, so they cannot buy fresh buckets.
    A token answered with 401 (revoked) loses its bucket again.
    """

    def __init__(self, app: ASGIApp, *, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.app = app
        self.buckets = TokenBuckets(per_minute=per_minute, clock=clock)
        self._verified: dict[str, None] = {}
        """Token ids seen verified, oldest first."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        claimed = _claimed_token(scope)
        key = f"token:{claimed}" if claimed in self._verified else f"address:{_address(scope)}"
        wait = self.buckets.take(key)
        if wait > 0:
            retry = max(1, math.ceil(wait))
            detail = f"more than {self.buckets.per_minute} requests a minute; retry in {retry} seconds"
            await send_problem(
                send, scope, 429, slug="rate-limited", detail=detail, headers=[("Retry-After", str(retry))]
            )
            return

        status = 0

        async def watched(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        state = scope.setdefault("state", {})
        try:
            await self.app(scope, receive, watched)
        finally:
            verified = state.get(TOKEN_STATE_KEY)
            if verified is not None:
                self._remember(verified)
            elif status == 401 and claimed is not None:
                self._verified.pop(claimed, None)

    def _remember(self, token_id: str) -> None:
        self._verified.pop(token_id, None)
        self._verified[token_id] = None
        while len(self._verified) > MAX_TRACKED:
            del self._verified[next(iter(self._verified))]


def _claimed_token(scope: Scope) -> str | None:
    scheme, _, credentials = Headers(scope=scope).get("authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token_id_of(credentials.strip())


def _address(scope: Scope) -> str:
    client = scope.get("client")
    return client[0] if client else "unknown"
