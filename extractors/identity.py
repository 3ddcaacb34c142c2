"""One person across sources: batch people are matched to people already known (alias file, id, e-mail, handle, name)
and every person id in the batch is rewritten to the canonical one. Weak evidence never merges two people."""

from __future__ import annotations

import csv
import io
import re
import tomllib
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from rapidfuzz import fuzz

from extractors.canonical import CanonicalBatch, PostRecord
from extractors.errors import InputError
from graph.delta import Person

NAME_THRESHOLD = 95.0
"""rapidfuzz ``token_sort_ratio`` a name must reach; 95 forgives one typo or accent in a full name, no more."""
MIN_HANDLE_CHARS = 3
_SOURCE_ID = re.compile(r"^[a-z][a-z0-9_-]*:\S")
# Names of two people that share a login or handle must not be clearly different ("Ana Silva" vs "Ana Gomez").
_HANDLE_NAME_FLOOR = 60.0


@dataclass(frozen=True, slots=True)
class ResolutionReport:
    """How the batch's people were matched. Every batch person is counted once, under ``rules`` or ``new``."""

    people: int
    """Distinct people in the batch before resolution."""
    mapping: Mapping[str, str] = field(default_factory=dict)
    """Source id → canonical id, for the people whose id changed."""
    rules: Mapping[str, int] = field(default_factory=dict)
    """How many batch people were matched to a known person, per rule: alias, id, email, handle, name."""
    new: int = 0
    """People who matched nobody and are added under their own id."""
    ambiguous: int = 0
    """Among ``new``: people with a plausible match that was not taken (several candidates, or conflicting
    e-mails / accounts in the same source); an alias file entry settles them."""

    @property
    def resolved(self) -> int:
        return sum(self.rules.values())


def resolve(
    batch: CanonicalBatch,
    *,
    known_people: Mapping[str, Person],
    aliases: Mapping[str, str] | None = None,
) -> tuple[CanonicalBatch, ResolutionReport]:
    """Match the batch's people to ``known_people`` and rewrite author, co-authors, mentions, audience and manager.

    Rules, first hit wins: the alias map (source id → canonical id); the id itself or a source id recorded on a
    known person by an earlier merge; the same e-mail (case-insensitive); the same login-like handle; a full name
    at ``token_sort_ratio >= 95``. A handle or name match needs exactly one candidate, no different e-mail on
    both sides and no account of the same source on the candidate. A merged person keeps the known person's
    values and gains the new source's id, e-mail and handles as handles, so re-importing maps the same way.
    """
    aliases = dict(aliases or {})
    index = _Index(known_people.values())
    batch_people = sorted({p.id: p for p in batch.people}.values(), key=lambda p: p.id)
    decisions = {person.id: _match(person, index, aliases) for person in batch_people}
    # Two people of one batch who both only look like the same known person are not both them: take neither.
    weak = Counter(target for target, rule, _ in decisions.values() if rule in ("handle", "name"))
    rules: Counter[str] = Counter()
    mapping: dict[str, str] = {}
    merged: dict[str, Person] = {}
    ambiguous = 0
    new = 0
    for person in batch_people:
        target, rule, doubtful = decisions[person.id]
        if target is not None and rule in ("handle", "name") and weak[target] > 1:
            target, doubtful = None, True
        if target is None:
            new += 1
            ambiguous += doubtful
            target = person.id
        else:
            rules[rule] += 1
        if target != person.id:
            mapping[person.id] = target
        merged[target] = _merge(merged.get(target) or known_people.get(target), person, target)
    # Ids outside the batch's people (posts by stored people, mentions) may also carry an alias or a recorded id.
    lookup = {**index.recorded, **aliases, **mapping}
    people = tuple(_rewrite_person(p, lookup) for p in merged.values())
    posts = tuple(_rewrite_post(p, lookup) for p in batch.posts)
    report = ResolutionReport(
        people=len({p.id for p in batch.people}), mapping=mapping, rules=dict(rules), new=new, ambiguous=ambiguous
    )
    return replace(batch, people=people, posts=posts), report


def read_aliases(path: Path) -> dict[str, str]:
    """An alias file: TOML (``[aliases]`` table or top level of ``"source id" = "canonical id"``) or a two-column
    CSV (``source,canonical``; a header row naming them is optional). Raises :class:`InputError` when unusable."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the alias file {str(path)!r} ({exc}); pass a UTF-8 TOML or CSV file") from None
    if path.suffix.lower() == ".toml":
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise InputError(f"the alias file {str(path)!r} is not valid TOML ({exc})") from None
        table = data.get("aliases", data)
        pairs = list(table.items()) if isinstance(table, dict) else []
    else:
        pairs = [tuple(cell.strip() for cell in row) for row in csv.reader(io.StringIO(text)) if any(row)]
        if pairs and [c.lower() for c in pairs[0]] == ["source", "canonical"]:
            pairs = pairs[1:]
    found: dict[str, str] = {}
    for number, pair in enumerate(pairs, start=1):
        if len(pair) != 2 or not all(isinstance(v, str) and v.strip() for v in pair):
            raise InputError(
                f"entry {number} of the alias file {str(path)!r} is {pair!r}; expected a source id and a canonical "
                'id, e.g. "slack:U024BE7LH" = "hr:1042"'
            )
        source, canonical = (v.strip() for v in pair)
        if source != canonical:
            found[source] = canonical
    # A chain a → b → c means a → c; a cycle is a mistake in the file.
    resolved: dict[str, str] = {}
    for source in found:
        seen, target = {source}, found[source]
        while target in found:
            if target in seen:
                raise InputError(f"the alias file {str(path)!r} maps {source!r} around a cycle; remove one entry")
            seen.add(target)
            target = found[target]
        resolved[source] = target
    return resolved


def source_of(person_id: str) -> str | None:
    """The namespace of a source id (``"slack"`` for ``"slack:U1"``), or ``None`` for plain canonical ids."""
    return person_id.split(":", 1)[0] if _SOURCE_ID.match(person_id) else None


def normalise_name(name: str) -> str:
    """Case, accents, punctuation and spacing removed: ``"José  O'Neil"`` → ``"jose o neil"``."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w]+", " ", plain).split())


# --- matching ------------------------------------------------------------------------------------------------------


class _Index:
    """Known people by e-mail, login-like handle, recorded source id and name token."""

    def __init__(self, people: Iterable[Person]) -> None:
        self.people: dict[str, Person] = {}
        self.by_email: dict[str, set[str]] = {}
        self.by_handle: dict[str, set[str]] = {}
        self.recorded: dict[str, str] = {}
        self.by_token: dict[str, set[str]] = {}
        self.names: dict[str, tuple[str, ...]] = {}
        self.sources: dict[str, set[str]] = {}
        for person in people:
            self.people[person.id] = person
            sources = {s for s in (source_of(person.id),) if s}
            for email in _emails(person):
                self.by_email.setdefault(email, set()).add(person.id)
            for handle in person.handles:
                if _SOURCE_ID.match(handle) and "@" not in handle.split(":", 1)[0]:
                    self.recorded[handle] = person.id
                    sources.add(handle.split(":", 1)[0])
            for login in _logins(person):
                self.by_handle.setdefault(login, set()).add(person.id)
            self.sources[person.id] = sources
            names = tuple(dict.fromkeys(n for n in map(normalise_name, _names(person)) if _is_full_name(n)))
            self.names[person.id] = names
            for name in names:
                for token in name.split():
                    self.by_token.setdefault(token, set()).add(person.id)


def _match(person: Person, index: _Index, aliases: Mapping[str, str]) -> tuple[str | None, str, bool]:
    """(canonical id or None, rule, whether a plausible match was refused)."""
    if person.id in aliases:
        return aliases[person.id], "alias", False
    if person.id in index.people:
        return person.id, "id", False
    if person.id in index.recorded:
        return index.recorded[person.id], "id", False
    emails = _emails(person)
    by_email = {pid for email in emails for pid in index.by_email.get(email, ())}
    if len(by_email) == 1:
        return next(iter(by_email)), "email", False
    if len(by_email) > 1:
        return None, "", True
    doubtful = False
    for login in _logins(person):
        found = index.by_handle.get(login, set())
        usable = {pid for pid in found if not _conflict(person, index, pid) and _names_agree(person, index.people[pid])}
        if len(found) == 1 and len(usable) == 1:
            return next(iter(usable)), "handle", False
        doubtful = doubtful or bool(found)
    candidates = _name_candidates(person, index)
    if len(candidates) == 1:
        candidate = next(iter(candidates))
        if not _conflict(person, index, candidate):
            return candidate, "name", False
    return None, "", doubtful or bool(candidates)


def _name_candidates(person: Person, index: _Index) -> set[str]:
    found: set[str] = set()
    for name in {normalise_name(n) for n in _names(person)}:
        if not _is_full_name(name):
            continue
        pool = {pid for token in name.split() for pid in index.by_token.get(token, ())}
        for pid in pool:
            if any(fuzz.token_sort_ratio(name, other) >= NAME_THRESHOLD for other in index.names[pid]):
                found.add(pid)
    return found


def _conflict(person: Person, index: _Index, candidate: str) -> bool:
    """Different e-mails on both sides, or the candidate already has an account in the person's own source."""
    mine, theirs = set(_emails(person)), set(_emails(index.people[candidate]))
    if mine and theirs and not mine & theirs:
        return True
    source = source_of(person.id)
    return source is not None and source in index.sources.get(candidate, set())


def _names_agree(person: Person, other: Person) -> bool:
    a, b = normalise_name(person.name), normalise_name(other.name)
    if not _is_full_name(a) or not _is_full_name(b):
        return True
    return fuzz.token_sort_ratio(a, b) >= _HANDLE_NAME_FLOOR


def _names(person: Person) -> tuple[str, ...]:
    # An address standing in for a missing display name is not a name.
    return tuple(n for n in (person.name, *(h for h in person.handles if " " in h.strip())) if "@" not in n)


def _logins(person: Person) -> tuple[str, ...]:
    """Handles that are chosen logins, not a form of the person's own name ("Ana", "AnaSilva" for Ana Silva):
    a first name shared by two handles says nothing about being one person."""
    name_forms: set[str] = set()
    for name in map(normalise_name, _names(person)):
        name_forms.update(name.split())
        name_forms.add(name.replace(" ", ""))
    found = (h.strip().casefold() for h in person.handles if _is_login(h))
    return tuple(dict.fromkeys(h for h in found if normalise_name(h).replace(" ", "") not in name_forms))


def _emails(person: Person) -> tuple[str, ...]:
    found = [person.email] if person.email else []
    found += [h for h in person.handles if "@" in h and " " not in h and not _SOURCE_ID.match(h)]
    return tuple(dict.fromkeys(e.strip().casefold() for e in found if "@" in e))


def _is_login(handle: str) -> bool:
    text = handle.strip()
    return len(text) >= MIN_HANDLE_CHARS and not any(c.isspace() for c in text) and "@" not in text and ":" not in text


def _is_full_name(normalised: str) -> bool:
    # One word ("ana", "admin") says too little about who someone is to merge on it.
    return len(normalised.split()) >= 2


# --- merging and rewriting -----------------------------------------------------------------------------------------


def _merge(base: Person | None, incoming: Person, target_id: str) -> Person:
    """The record stored under ``target_id``: for the same id the newer export's values win, for another source the
    known values win; empty fields are filled either way and every id, e-mail and handle is kept."""
    if base is None:
        if incoming.id == target_id:
            return incoming
        handles = (*incoming.handles, incoming.id)
        return replace(incoming, id=target_id, handles=tuple(dict.fromkeys(handles)))
    first, second = (incoming, base) if incoming.id == base.id else (base, incoming)
    email = first.email or second.email
    extra = [p.id for p in (incoming,) if p.id != target_id]
    extra += [e for e in (first.email, second.email) if e and e != email]
    handles = tuple(dict.fromkeys((*base.handles, *incoming.handles, *extra)))
    return Person(
        id=target_id,
        name=first.name or second.name,
        email=email,
        handles=handles,
        team=first.team or second.team,
        department=first.department or second.department,
        title=first.title or second.title,
        location=first.location or second.location,
        manager=first.manager or second.manager,
        started_at=first.started_at or second.started_at,
        # Opting out anywhere is respected everywhere.
        opted_out=base.opted_out or incoming.opted_out,
    )


def _rewrite_person(person: Person, lookup: Mapping[str, str]) -> Person:
    manager = lookup.get(person.manager, person.manager) if person.manager else None
    return person if manager == person.manager else replace(person, manager=manager)


def _rewrite_post(post: PostRecord, lookup: Mapping[str, str]) -> PostRecord:
    author = lookup.get(post.author, post.author)
    co_authors = tuple(dict.fromkeys(c for c in (lookup.get(c, c) for c in post.co_authors) if c != author))
    mentions = tuple(dict.fromkeys(m for m in (lookup.get(m, m) for m in post.mentions) if m != author))
    audience = tuple(dict.fromkeys(lookup.get(a, a) for a in post.audience))
    if (author, co_authors, mentions, audience) == (post.author, post.co_authors, post.mentions, post.audience):
        return post
    return replace(post, author=author, co_authors=co_authors, mentions=mentions, audience=audience)
