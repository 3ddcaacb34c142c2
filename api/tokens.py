"""API tokens: issued once as ``wt_<id>_<secret>``, stored only as a digest, checked in constant time, revoked by id."""

from __future__ import annotations

import hmac
import re
import secrets
from dataclasses import replace
from datetime import datetime

from api.errors import ApiError
from graph.controls import TOKEN_SCOPES, AccessToken, TokenScope, secret_digest
from graph.errors import NotFound
from graph.store import GraphStore

PREFIX = "wt_"
ID_BYTES = 6
"""12 hex characters: short enough to read out and type, long enough never to collide in practice."""
SECRET_BYTES = 32
MAX_LABEL = 200
MAX_TOKEN_LENGTH = 200
"""Longer strings are not ours and are refused before any hashing."""

# The id never holds "_" (hex), so the first "_" after the prefix ends it; the url-safe secret may hold "_" and "-".
_TOKEN = re.compile(r"wt_(?P<id>[A-Za-z0-9-]{8,64})_(?P<secret>[A-Za-z0-9_-]{16,})")
# Compared against when the id is unknown, so an unknown id costs the same time as a wrong secret.
_NO_DIGEST = secret_digest("wt_unknown_" + "0" * 43)


class Unauthorized(ApiError):
    """The request carries no valid token: missing, malformed, unknown, wrong or revoked (HTTP 401)."""


class TokenRequestError(ApiError):
    """A token was asked for with options that do not fit together."""


def issue_token(
    store: GraphStore, *, scope: TokenScope, person: str | None = None, label: str = "", now: datetime
) -> tuple[AccessToken, str]:
    """Create and store a token; return its record and the plaintext, which exists only in this return value.

    A ``person`` token acts for one existing person (``person`` is required and must be in the graph);
    ``admin`` and ``ingest`` tokens act for nobody in particular, so ``person`` must be ``None``.
    """
    if scope not in TOKEN_SCOPES:
        raise TokenRequestError(f"unknown token scope {scope!r}; use one of {', '.join(TOKEN_SCOPES)}")
    if scope == "person":
        if not person:
            raise TokenRequestError("a person token needs the id of the person it acts for (--person ID)")
        store.person(person)  # NotFound for someone not in the graph
    elif person is not None:
        raise TokenRequestError(f"an {scope} token acts for nobody in particular; leave out the person")
    label = " ".join(label.split())
    if len(label) > MAX_LABEL:
        raise TokenRequestError(f"the label is {len(label)} characters long; keep it to {MAX_LABEL}")
    token_id = _fresh_id(store)
    plaintext = f"{PREFIX}{token_id}_{secrets.token_urlsafe(SECRET_BYTES)}"
    record = AccessToken(
        id=token_id,
        digest=secret_digest(plaintext),
        scope=scope,
        person=person if scope == "person" else None,
        created_at=now,
        label=label,
    )
    store.save_token(record)
    return record, plaintext


def revoke_token(store: GraphStore, token_id: str, *, now: datetime) -> AccessToken:
    """Revoke a token by id (NotFound for an unknown id); revoking it again keeps the first revocation time."""
    record = store.token(token_id)
    if record.revoked_at is not None:
        return record
    revoked = replace(record, revoked_at=now)
    store.save_token(revoked)
    return revoked


def token_id_of(plaintext: str) -> str | None:
    """The public id a token string claims, or None if it is not shaped like one of ours (nothing is verified)."""
    if len(plaintext) > MAX_TOKEN_LENGTH:
        return None
    match = _TOKEN.fullmatch(plaintext)
    return match["id"] if match else None


def verify_token(store: GraphStore, plaintext: str) -> AccessToken:
    """The active token ``plaintext`` is, or :class:`Unauthorized`. The caller learns no more than "not valid"
    unless the secret matched (then "revoked")."""
    token_id = token_id_of(plaintext)
    if token_id is None:
        raise Unauthorized("the bearer token is not a weaktie token (wt_…); issue one with `weaktie token issue`")
    try:
        record: AccessToken | None = store.token(token_id)
    except NotFound:
        record = None
    expected = record.digest if record is not None else _NO_DIGEST
    if not hmac.compare_digest(secret_digest(plaintext), expected) or record is None:
        raise Unauthorized("the bearer token is not valid; ask an administrator for a new one")
    if record.revoked_at is not None:
        raise Unauthorized("the bearer token has been revoked; ask an administrator for a new one")
    return record


def _fresh_id(store: GraphStore) -> str:
    while True:
        candidate = secrets.token_hex(ID_BYTES)
        try:
            store.token(candidate)
        except NotFound:
            return candidate
