"""Signed, self-contained tokens for links in e-mails (HMAC-SHA256): whoever holds one may act for one person,
for one purpose, without logging in. The key comes from ``WEAKTIE_SECRET_KEY`` or ``<data_dir>/secret-key``.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from api.errors import ApiError, ConfigurationError
from api.settings import Settings

KEY_FILE = "secret-key"
UNSUBSCRIBE = "unsubscribe"


class InvalidToken(ApiError):
    """A signed token that was altered, forged, made for another purpose, or is too old."""


@dataclass(frozen=True, slots=True)
class SignedClaim:
    """What a valid token vouches for."""

    person: str
    purpose: str
    issued_at: datetime


def sign(key: bytes, *, person: str, purpose: str, now: datetime) -> str:
    """A token for ``person`` and ``purpose`` issued at ``now``: ``<payload>.<mac>``, both urlsafe base64."""
    claims = {"p": person, "u": purpose, "t": int(now.timestamp())}
    payload = _encode(json.dumps(claims, separators=(",", ":"), ensure_ascii=False).encode())
    return f"{payload}.{_encode(_mac(key, payload))}"


def verify(
    key: bytes, token: str, *, purpose: str, now: datetime | None = None, max_age: timedelta | None = None
) -> SignedClaim:
    """The claim of a token made with ``key`` for ``purpose``; :class:`InvalidToken` for anything else.

    ``max_age`` (with ``now``) refuses tokens issued longer ago; without it tokens do not expire.
    """
    payload, dot, mac = token.strip().rpartition(".")
    if not dot or not payload:
        raise InvalidToken("the link's token is incomplete: open the link from the e-mail again, in full")
    try:
        given = _decode(mac)
    except ValueError:
        raise InvalidToken("the link's token is damaged: open the link from the e-mail again, in full") from None
    # Compare before reading anything from the payload: nothing unsigned is ever parsed.
    if not hmac.compare_digest(given, _mac(key, payload)):
        raise InvalidToken("the link's token is not valid: use the link from the most recent e-mail")
    try:
        claims = json.loads(_decode(payload))
        claim = SignedClaim(
            person=str(claims["p"]), purpose=str(claims["u"]), issued_at=datetime.fromtimestamp(int(claims["t"]), UTC)
        )
    except (ValueError, KeyError, TypeError, OverflowError):
        raise InvalidToken("the link's token is not valid: use the link from the most recent e-mail") from None
    if claim.purpose != purpose:
        raise InvalidToken(f"this link is not a {purpose} link: use the {purpose} link from the e-mail")
    if max_age is not None and now is not None and now - claim.issued_at > max_age:
        raise InvalidToken("the link has expired: use the link from the most recent e-mail")
    return claim


def signing_key(settings: Settings) -> bytes:
    """``settings.secret_key``, or the key kept in ``<data_dir>/secret-key`` (created once, mode 0600)."""
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value().encode()
    return _stored_key(settings.data_dir / KEY_FILE)


def _stored_key(path: Path) -> bytes:
    if path.exists():
        return _read_key(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written aside and linked into place: link() fails if the name exists, so when two processes start at once
    # both end up with the one key that won, and nobody ever reads a half-written file.
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(secrets.token_urlsafe(48) + "\n")
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return _read_key(path)


def _read_key(path: Path) -> bytes:
    key = path.read_text(encoding="ascii").strip()
    if len(key) < 32:
        raise ConfigurationError(
            f"{path} holds no usable key (at least 32 characters expected): delete it to have a new one made, "
            "or set WEAKTIE_SECRET_KEY"
        )
    return key.encode()


def _mac(key: bytes, payload: str) -> bytes:
    return hmac.new(key, payload.encode(), hashlib.sha256).digest()


def _encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _decode(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text.encode("ascii") + b"=" * (-len(text) % 4))
    except (binascii.Error, UnicodeEncodeError) as error:
        raise ValueError("not urlsafe base64") from error
