"""How much a post did the work: chatter (thanks, "+1", "possible duplicate of", a bare link) is never quoted as
evidence, and among the rest a write-up or an answer of some length on the matched topics is quoted first.

Everything here reads fields every :class:`graph.delta.Post` has, so it holds for every source alike.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection

from graph.delta import Post

SHORT_TERMS = 12
"""A post with fewer content terms than this that opens with a courtesy or points elsewhere is chatter."""
LONG_CHARS = 160
"""A post whose own text (links aside) runs this long is not too short to quote, however few content terms it has:
formulas and code have few. Snippets are cut at 200 characters, so this means "fills most of its snippet"."""
MIN_TERMS = 3
"""A post with fewer content terms than this says too little to quote, whatever it says."""
FULL_TERMS = 60
"""Content terms at which length stops adding substance (it grows with the log of the count up to here)."""
MAX_SUBSTANCE = 3.0
"""The most :func:`substance` can be: role, length and topic coverage each count up to 1."""
MAX_THREAD_DEPTH = 8
"""How far up a reply chain :func:`thread_of` looks for the post that titles the thread."""

_MENTION = r"(?:@_?\*\*[^*\n]{1,80}\*\*|@[\"“][^\"”\n]{1,80}[\"”]|<@[^>\s]{1,40}>|@[\w.\-]+)"
_MENTIONS = re.compile(_MENTION)
_LEAD = re.compile(rf"^(?:\s|{_MENTION}|[,:;.!–—>])*")
"""What a quote may open with before its first word: mentions of the people addressed, punctuation."""
_COURTESY = re.compile(
    r"(?:(?:huge|big|many|special) thanks\b|thanks?\b|thx\b|ty\b|cheers\b|kudos\b|shout-?outs?\b|props to\b"
    r"|much appreciated|appreciated\b|welcome\b|hi\b|hello\b"
    r"|hey\b|[+-]1\b|:\+1:|:thumbsup:|me too\b|same here\b|agreed\b|lgtm\b|congrat\w*|nice\b|great\b|awesome\b"
    r"|good (?:point|catch|question|answer|idea)\b)",
    re.IGNORECASE,
)
"""Courtesy openers in English: greetings, thanks, kudos, agreement, praise. Checked at the start of the text only."""
_POINTER = re.compile(
    r"\b(?:possible duplicate|duplicate of|see also|also related|related:|cross-?posted|google(?:d\b| search| it\b)"
    r"|lmgtfy|let me google|moved to chat)",
    re.IGNORECASE,
)
"""Formulas that point elsewhere instead of answering: duplicates, see-also links, "google it", moved threads."""
_LINK = re.compile(r"\[[^\]]*\]\([^)]*(?:\)|$)|\[[^\]]*$|<https?://[^>]*>|https?://\S+|www\.\S+", re.IGNORECASE)
"""Markdown links (label and target, also when the snippet cuts one short), ``<url|label>`` links and bare URLs."""
_WORD = re.compile(r"[^\W\d_]{2,}")


def content_size(post: Post) -> int:
    """How much a post says: its content terms, or (for a post built without terms) the words of its text outside
    links and mentions."""
    if post.terms:
        return len(post.terms)
    return len(_WORD.findall(_MENTIONS.sub(" ", _LINK.sub(" ", f"{post.title or ''} {post.snippet}"))))


def is_chatter(post: Post) -> bool:
    """Whether ``post`` only greets, thanks, agrees or points elsewhere: never worth quoting as evidence.

    A titled root post (a question, a write-up, a thread's opening message) is never chatter. A reply or an untitled
    post is chatter when

    - it opens with a pointer (:data:`_POINTER`: "Possible duplicate of…", "See also…", "Google search…") and says
      fewer than :data:`SHORT_TERMS` words of its own outside links; or
    - it has fewer than :data:`SHORT_TERMS` content terms and opens with a courtesy (:data:`_COURTESY`: "Thanks!",
      "Welcome to…", "+1", "Kudos to…"); or
    - it is short (fewer than :data:`SHORT_TERMS` content terms and less than :data:`LONG_CHARS` characters of its
      own text) and has fewer than :data:`MIN_TERMS` content terms, contains a pointer, or is little more than a link.

    A post with :data:`SHORT_TERMS` content terms or more is not chatter, whatever it opens with: it does some work.
    """
    if post.reply_to is None and post.title:
        return False  # a thread's opening post: its title says what the thread is about
    text = post.snippet or post.title or ""
    own = _LINK.sub(" ", text)  # what the post says itself: a linked title is someone else's words
    opening = own[_LEAD.match(own).end() :]  # type: ignore[union-attr]  # the pattern matches the empty string
    if _POINTER.match(opening) and len(_WORD.findall(own)) < SHORT_TERMS:
        return True
    size = content_size(post)
    if size >= SHORT_TERMS:
        return False
    if _COURTESY.match(opening):
        return True
    if len(own.strip()) >= LONG_CHARS:
        return False  # formulas or code: few content terms in a lot of text
    if size < MIN_TERMS or _POINTER.search(own):
        return True
    return _LINK.search(text) is not None and len(_WORD.findall(own)) < MIN_TERMS


def role(post: Post, parent: Post | None = None) -> float:
    """What kind of contribution ``post`` is: 1 for a write-up (a titled root post that is not a question) or an
    answer (a reply to a question), 0.5 for a question or an untitled root post, 0 for any other reply."""
    if post.reply_to is None:
        return 1.0 if post.title and not post.is_question else 0.5
    return 1.0 if parent is not None and parent.is_question else 0.0


def substance(post: Post, topics: Collection[str] = (), *, parent: Post | None = None) -> float:
    """How much ``post`` did the work, from 0 (chatter) to :data:`MAX_SUBSTANCE`: :func:`role`, plus length (the
    log of its content terms, full at :data:`FULL_TERMS`), plus the share of ``topics`` it is about. ``parent`` is
    the post it replies to, when known: a reply to a question is an answer."""
    if is_chatter(post):
        return 0.0
    length = min(1.0, math.log1p(content_size(post)) / math.log1p(FULL_TERMS))
    covered = sum(1 for topic in topics if topic in post.topics) / len(topics) if topics else 0.0
    return role(post, parent) + length + covered


def thread_of(post: Post, lookup: Callable[[str], Post | None]) -> Post | None:
    """The nearest post up ``post``'s reply chain that has a title (the question a comment's answer answers), or
    None. ``lookup`` finds a post by id and returns None for one unknown or not to be shown."""
    seen = {post.id}
    current = post
    for _ in range(MAX_THREAD_DEPTH):
        if current.reply_to is None or current.reply_to in seen:
            return None
        parent = lookup(current.reply_to)
        if parent is None:
            return None
        if parent.title:
            return parent
        seen.add(parent.id)
        current = parent
    return None
