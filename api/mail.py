"""Serendipity e-mails as messages: rendered from Jinja2 templates (HTML and plain text), with one-click
unsubscribe headers (RFC 8058), then sent over SMTP or written to a directory as ``.eml`` files.
"""

from __future__ import annotations

import email.policy
import re
import smtplib
import ssl
from collections.abc import Mapping
from datetime import datetime
from email.headerregistry import Address, HeaderRegistry
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from functools import lru_cache
from pathlib import Path
from types import TracebackType
from typing import Any, Self
from urllib.parse import quote, urlsplit

import jinja2

from api.digest import DeliveryFailed, DigestContent, Refused
from api.settings import Settings
from api.signing import UNSUBSCRIBE, sign
from recommender.explain import Evidence

TEMPLATES = Path(__file__).with_name("templates")
EVIDENCE_PER_ITEM = 2


class _Headers(HeaderRegistry):
    """The standard registry, but each header class is made once: the stock one builds a new class per header set,
    a good part of the time spent on each message."""

    def __init__(self) -> None:
        super().__init__()
        self._made: dict[str, type] = {}

    def __getitem__(self, name: str) -> type:
        key = name.lower()
        made = self._made.get(key)
        if made is None:
            made = self._made[key] = super().__getitem__(name)
        return made


BODY_POLICY = email.policy.default.clone(header_factory=_Headers())
HEADER_POLICY = BODY_POLICY.clone(max_line_length=998)
"""Headers are folded at RFC 5322's hard line limit rather than the advised 78: folding at 78 turns the long
unsubscribe URL into RFC 2047 encoded words, which mail clients do not decode in ``List-Unsubscribe``."""
SMTP_TIMEOUT_SECONDS = 30.0


class MailError(DeliveryFailed):
    """The mail server could not be reached or refused the session: nothing more can be sent in this run."""


@lru_cache(maxsize=1)
def templates() -> jinja2.Environment:
    """The template environment: autoescaped everywhere except the plain-text templates (``*.txt.j2``).

    Plain text is not HTML: escaping it would show ``&amp;`` to readers. Everything else, including any
    template added later, is escaped by default.
    """
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html", "html.j2"), disabled_extensions=("txt.j2",), default=True
        ),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def unsubscribe_url(settings: Settings, key: bytes, person_id: str, *, now: datetime) -> str:
    token = sign(key, person=person_id, purpose=UNSUBSCRIBE, now=now)
    return f"{settings.public_url.rstrip('/')}/unsubscribe?token={quote(token, safe='')}"


class Composer:
    """Builds each recipient's :class:`EmailMessage` (multipart/alternative: plain text, then HTML)."""

    def __init__(self, settings: Settings, *, key: bytes, team_names: Mapping[str, str], now: datetime) -> None:
        self.settings = settings
        self.key = key
        self.team_names = team_names
        self.now = now
        sender = parseaddr(settings.mail_from)[1]
        self.domain = sender.rpartition("@")[2] or "localhost"
        env = templates()
        self.text = env.get_template("digest.txt.j2")
        self.html = env.get_template("digest.html.j2")

    def __call__(self, content: DigestContent) -> EmailMessage:
        return self.message(content)

    def message(self, content: DigestContent) -> EmailMessage:
        person = content.person
        if not person.email:
            raise ValueError(f"{person.id} has no e-mail address")
        link = unsubscribe_url(self.settings, self.key, person.id, now=self.now)
        context = self.context(content, unsubscribe=link)
        message = EmailMessage(policy=BODY_POLICY)
        message["From"] = self.settings.mail_from
        message["To"] = Address(display_name=one_line(person.name), addr_spec=person.email.strip())
        message["Subject"] = context["subject"]
        message["Date"] = format_datetime(self.now)
        message["Message-ID"] = make_msgid(idstring=content.period, domain=self.domain)
        message["List-Unsubscribe"] = f"<{link}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        message["Auto-Submitted"] = "auto-generated"  # RFC 3834: auto-responders must not answer it
        # Quoted-printable: 7-bit safe for any relay, whether or not it speaks 8BITMIME.
        message.set_content(self.text.render(context), cte="quoted-printable")
        message.add_alternative(self.html.render(context), subtype="html", cte="quoted-printable")
        # Only now: the parts above were encoded with quoted-printable's own 76-character lines.
        message.policy = HEADER_POLICY
        return message

    def context(self, content: DigestContent, *, unsubscribe: str) -> dict[str, Any]:
        """The templates' only input: plain values, so a template cannot reach into records or the store."""
        people = [
            {
                "name": item.candidate.name,
                "title": item.candidate.title,
                "team": self._team(item.candidate.team),
                "email": item.candidate.email,
                # The reason that matters most first, then the others a card states, then one quoted post.
                "reasons": [reason.text for reason in item.stated],
                "evidence": _evidence([] if item.quote is None else [item.quote]),
            }
            for item in content.suggestions
        ]
        working_on = [
            {
                "post": _evidence([Evidence.of(entry.post)])[0],
                "matches": [
                    {
                        "name": match.person.name,
                        "title": match.person.title,
                        "team": self._team(match.person.team),
                        "email": match.person.email,
                        "cross_team": match.cross_team,
                        "evidence": _evidence(match.evidence),
                    }
                    for match in entry.matches
                ],
            }
            for entry in content.working_on
        ]
        return {
            "name": content.person.name,
            "period": content.period,
            "subject": subject(content),
            "people": people,
            "working_on": working_on,
            "unsubscribe": unsubscribe,
            "public_url": self.settings.public_url.rstrip("/"),
        }

    def _team(self, team: str | None) -> str | None:
        return None if team is None else self.team_names.get(team, team)


def subject(content: DigestContent) -> str:
    parts = []
    if content.suggestions:
        count = len(content.suggestions)
        parts.append(f"{count} {'person' if count == 1 else 'people'} to meet")
    if content.working_on:
        parts.append("someone has already done that")
    return f"Your weaktie week {content.period}: {', '.join(parts)}"


def one_line(text: str) -> str:
    """Header-safe: line breaks in a header would let data write headers of its own."""
    return " ".join(text.split())


def safe_link(url: str | None) -> str | None:
    """Only web links reach an ``href``: a ``javascript:`` or ``data:`` URL from an import must not."""
    if not url:
        return None
    return url if urlsplit(url.strip()).scheme.lower() in ("http", "https") else None


def _evidence(items: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    seen: set[str] = set()
    for item in items:
        if item.post_id in seen:
            continue
        seen.add(item.post_id)
        found.append(
            {
                "title": one_line(item.title or "") or _shorten(item.snippet),
                "snippet": _shorten(item.snippet, 160),
                "url": safe_link(item.url),
                "date": item.created_at.date().isoformat(),
            }
        )
        if len(found) == EVIDENCE_PER_ITEM:
            break
    return found


def _shorten(text: str, limit: int = 80) -> str:
    flat = one_line(text)
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


# -- outboxes --------------------------------------------------------------------------------------------------------


class SmtpOutbox:
    """One SMTP session for the whole run: STARTTLS when ``smtp_starttls``, login when ``smtp_user`` is set."""

    dry_run = False

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> Self:
        settings = self.settings
        where = f"{settings.smtp_host}:{settings.smtp_port}"
        try:
            smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=SMTP_TIMEOUT_SECONDS)
        except OSError as error:
            raise MailError(
                f"cannot reach the mail server at {where} ({error.strerror or error}); "
                "check WEAKTIE_SMTP_HOST and WEAKTIE_SMTP_PORT"
            ) from None
        try:
            if settings.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_user:
                password = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
                smtp.login(settings.smtp_user, password)
        except (smtplib.SMTPException, OSError) as error:
            smtp.close()
            raise MailError(
                f"the mail server at {where} refused the session ({type(error).__name__}); check "
                "WEAKTIE_SMTP_STARTTLS, WEAKTIE_SMTP_USER and WEAKTIE_SMTP_PASSWORD"
            ) from None
        self._smtp = smtp
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()

    def send(self, message: EmailMessage, *, person: str, period: str) -> None:
        if self._smtp is None:
            raise RuntimeError("use SmtpOutbox as a context manager")
        try:
            self._smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused:
            raise Refused(f"the mail server refused the address of {person}") from None
        except (smtplib.SMTPException, OSError) as error:
            raise MailError(
                f"sending to {person} failed ({type(error).__name__}); their digest for {period} stays reserved and "
                "will not be retried"
            ) from None


class DirectoryOutbox:
    """A dry run: each message becomes ``<period>-<person>.eml`` in ``directory``; nothing is reserved."""

    dry_run = True

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)

    def send(self, message: EmailMessage, *, person: str, period: str) -> None:
        (self.directory / file_name(period, person)).write_bytes(message.as_bytes())


def file_name(period: str, person: str) -> str:
    """A safe file name whatever the person id holds (ids come from imports)."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", f"{period}-{person}") + ".eml"
