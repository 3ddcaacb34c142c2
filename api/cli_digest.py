"""``weaktie digest``: compose and send (or write) the weekly serendipity e-mails."""

from __future__ import annotations


def digest(period: str) -> None:
    """Compose the serendipity e-mails of a period (stub: being built)."""
    raise NotImplementedError
