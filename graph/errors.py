"""The root of every exception weaktie raises on purpose.

Each package subclasses :class:`WeaktieError`; the API and the CLI translate it
at the edge (problem+json, or one line on stderr and a non-zero exit code).
"""

from __future__ import annotations


class WeaktieError(Exception):
    """Base class of all weaktie errors. The message says what was expected and what to do."""


class StoreError(WeaktieError):
    """The graph store could not be read or written."""


class StoreUnavailable(StoreError):
    """The store's server cannot be reached right now; retrying later may work."""


class NotFound(WeaktieError):
    """A person, topic or post that was asked for does not exist in the store."""

    def __init__(self, kind: str, key: str) -> None:
        super().__init__(f"no {kind} with id {key!r} in the graph")
        self.kind = kind
        self.key = key
