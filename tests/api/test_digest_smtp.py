"""``weaktie digest --send`` against a real SMTP server on loopback (aiosmtpd): messages as received, a login,
and never twice: the command is killed mid-run, run again, and nobody gets a second message.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from api.digest import run_digest
from api.engine import Engine, open_store
from api.mail import Composer
from api.settings import Settings
from tests.api.conftest import Imported
from tests.api.test_digest import KEY, NOW, PERIOD, copied_settings

pytestmark = pytest.mark.slow

KILL_AFTER = 5
"""The sixth message is received in full, then the server holds back its reply until the sender is killed."""


@dataclass
class Sink:
    """An SMTP handler keeping every message; optionally it stalls after ``hold_after`` messages."""

    hold_after: int | None = None
    received: list[tuple[list[str], bytes]] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        with self.lock:
            self.received.append((list(envelope.rcpt_tos), bytes(envelope.content)))  # type: ignore[attr-defined]
            count = len(self.received)
        if self.hold_after is not None and count > self.hold_after:
            # The message is in: what a real server would deliver. The sender never hears back and is killed.
            while not self.release.is_set():
                await asyncio.sleep(0.02)
        return "250 Message accepted"

    def count(self) -> int:
        with self.lock:
            return len(self.received)

    def messages(self) -> list[EmailMessage]:
        with self.lock:
            return [BytesParser(policy=policy.default).parsebytes(raw) for _, raw in self.received]  # type: ignore[misc]


@dataclass
class Server:
    sink: Sink
    port: int
    logins: list[tuple[str, str]]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server() -> Iterator[Server]:
    sink = Sink()
    logins: list[tuple[str, str]] = []

    def authenticate(server: object, session: object, envelope: object, mechanism: str, data: object) -> AuthResult:
        assert isinstance(data, LoginPassword)
        logins.append((data.login.decode(), data.password.decode()))
        return AuthResult(success=data.password == b"s3cret")

    port = _free_port()
    # AUTH over plain TCP only because this is loopback in a test; deployments use STARTTLS (WEAKTIE_SMTP_STARTTLS).
    controller = Controller(sink, hostname="127.0.0.1", port=port, authenticator=authenticate, auth_require_tls=False)
    controller.start()
    try:
        yield Server(sink=sink, port=port, logins=logins)
    finally:
        sink.release.set()
        controller.stop()


@pytest.fixture
def settings(imported: Imported, tmp_path: Path) -> Settings:
    return copied_settings(imported, tmp_path / "data")


def _environment(settings: Settings, port: int) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("WEAKTIE_", "NEO4J_"))}
    env.update(
        WEAKTIE_DATA_DIR=str(settings.data_dir),
        WEAKTIE_SPACY_MODEL="none",
        WEAKTIE_SMTP_HOST="127.0.0.1",
        WEAKTIE_SMTP_PORT=str(port),
        WEAKTIE_MAIL_FROM="weaktie <digest@corp.example>",
        WEAKTIE_PUBLIC_URL="https://weaktie.corp.example",
    )
    return env


def _command(*args: str) -> list[str]:
    return [sys.executable, "-c", "from api.cli import main; main()", *args]


def _eligible(settings: Settings) -> dict[str, str]:
    """Who a complete run would send to (person id → address), from a dry run of the same period."""

    class Keep:
        dry_run = True

        def __init__(self) -> None:
            self.to: dict[str, str] = {}

        def send(self, message: EmailMessage, *, person: str, period: str) -> None:
            self.to[person] = message["To"].addresses[0].addr_spec

    engine = Engine(open_store(settings), settings=settings)
    try:
        keep = Keep()
        build = Composer(settings, key=KEY, team_names=engine.team_names(), now=NOW)
        run_digest(engine, period=PERIOD, outbox=keep, build=build, now=NOW)
        return keep.to
    finally:
        engine.close()


def _wait_for(condition: object, *, seconds: float, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        if process.poll() is not None:
            raise AssertionError(f"the digest exited early ({process.returncode}): {process.stderr.read().decode()}")  # type: ignore[union-attr]
        if time.monotonic() > deadline:
            process.kill()
            raise AssertionError("the SMTP server did not receive the expected messages in time")
        time.sleep(0.05)


def test_killed_mid_run_then_rerun_sends_nobody_twice(settings: Settings, smtp_server: Server) -> None:
    eligible = _eligible(settings)
    assert len(eligible) > KILL_AFTER + 10
    env = _environment(settings, smtp_server.port)
    sink = smtp_server.sink
    sink.hold_after = KILL_AFTER

    first = subprocess.Popen(
        _command("digest", "--period", PERIOD, "--send", "--json"),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_for(lambda: sink.count() == KILL_AFTER + 1, seconds=180, process=first)
        first.send_signal(signal.SIGKILL)  # no clean-up of any kind: as if the machine went down
        first.wait(timeout=30)
    finally:
        if first.poll() is None:
            first.kill()
        first.stdout.close()  # type: ignore[union-attr]
        first.stderr.close()  # type: ignore[union-attr]
    assert first.returncode == -signal.SIGKILL
    sink.hold_after = None
    sink.release.set()
    in_flight = sink.messages()[-1]["To"].addresses[0].addr_spec

    store = open_store(settings)
    try:
        states = Counter(record.state for record in store.digests(PERIOD))
    finally:
        store.close()
    assert states == {"sent": KILL_AFTER, "reserved": 1}, "reserved before sending, marked sent after"

    second = subprocess.run(
        _command("digest", "--period", PERIOD, "--send", "--json"), env=env, capture_output=True, timeout=300
    )
    assert second.returncode == 0, second.stderr.decode()
    report = json.loads(second.stdout)

    received = Counter(address for recipients, _ in sink.received for address in recipients)
    assert max(received.values()) == 1, f"someone got two messages: {received.most_common(3)}"
    assert set(received) == set(eligible.values()), "everyone eligible got exactly one"
    by_address = {address: person for person, address in eligible.items()}
    assert report["reserved_earlier_unconfirmed"] == [by_address[in_flight]]
    assert len(report["already_sent"]) == KILL_AFTER
    assert set(report["sent"]) | set(report["already_sent"]) | set(report["reserved_earlier_unconfirmed"]) == set(
        eligible
    )
    assert not set(report["sent"]) & set(report["already_sent"])

    for message in sink.messages():
        assert message.get_content_type() == "multipart/alternative"
        assert message["From"] == "weaktie <digest@corp.example>"
        assert message["List-Unsubscribe"].startswith("<https://weaktie.corp.example/unsubscribe?token=")
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert message.get_body(("plain",)) is not None and message.get_body(("html",)) is not None

    third = subprocess.run(
        _command("digest", "--period", PERIOD, "--send", "--json"), env=env, capture_output=True, timeout=300
    )
    assert third.returncode == 0 and json.loads(third.stdout)["sent"] == []
    assert sum(received.values()) == len(sink.received) == len(eligible)


def test_login_and_limit(settings: Settings, smtp_server: Server) -> None:
    env = {**_environment(settings, smtp_server.port), "WEAKTIE_SMTP_USER": "digest", "WEAKTIE_SMTP_PASSWORD": "s3cret"}
    done = subprocess.run(
        _command("digest", "--period", PERIOD, "--send", "--limit", "3", "--json"),
        env=env,
        capture_output=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr.decode()
    report = json.loads(done.stdout)
    assert smtp_server.logins == [("digest", "s3cret")]
    assert len(report["sent"]) == 3 == smtp_server.sink.count()
    assert report["not_reached"]


def test_wrong_password_stops_before_anything_is_reserved(settings: Settings, smtp_server: Server) -> None:
    env = {**_environment(settings, smtp_server.port), "WEAKTIE_SMTP_USER": "digest", "WEAKTIE_SMTP_PASSWORD": "nope"}
    done = subprocess.run(_command("digest", "--period", PERIOD, "--send"), env=env, capture_output=True, timeout=300)
    assert done.returncode == 1
    error = done.stderr.decode()
    assert "refused the session" in error and "nope" not in error
    assert smtp_server.sink.count() == 0
    store = open_store(settings)
    try:
        assert store.digests() == []
    finally:
        store.close()


def test_unreachable_server_is_one_clear_error(settings: Settings) -> None:
    env = _environment(settings, _free_port())
    done = subprocess.run(_command("digest", "--period", PERIOD, "--send"), env=env, capture_output=True, timeout=300)
    assert done.returncode == 1
    assert "cannot reach the mail server" in done.stderr.decode()
    assert "Traceback" not in done.stderr.decode()
