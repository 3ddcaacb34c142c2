"""Whether a post reads as a question: what separates "asks about" from "knows about"."""

from __future__ import annotations

import re

# Openers that ask rather than announce: "How we migrated" is a write-up, "How do we migrate" is a question.
_OPENERS = re.compile(
    r"^\s*(?:(?:how|what|where|which|who|when|why) (?:do|does|did|can|could|should|would|is|are)\b|"
    r"is there|are there|has anyone|have you|does anyone|do you know|did anyone|anyone (?:know|seen|tried|have)|"
    r"can (?:someone|anyone|somebody)|could (?:someone|anyone|somebody)|any (?:idea|ideas|tips|advice|pointers)\b|"
    r"should (?:i|we)\b|help needed|question:)",
    re.IGNORECASE,
)
_HEAD_CHARS = 400


def reads_as_question(title: str | None, text: str) -> bool:
    """A title with a question mark or a question opener, or a body that opens by asking.

    Only the start of the body counts: a long write-up that ends with "thoughts?" is still a write-up.
    """
    if title and ("?" in title or _OPENERS.match(title)):
        return True
    head = text[:_HEAD_CHARS]
    first = re.split(r"(?<=[.!?])\s", head.strip(), maxsplit=1)[0] if head.strip() else ""
    return bool(first) and (first.rstrip().endswith("?") or bool(_OPENERS.match(first)))
