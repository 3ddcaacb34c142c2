"""Unsubscribe links from the serendipity e-mails: GET shows a confirmation page, POST (RFC 8058) unsubscribes."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
