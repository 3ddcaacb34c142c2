"""The serendipity e-mail on the production store: the organisation in the real Neo4j test server, messages through a
real SMTP server on loopback, never twice in one period, and an unsubscribe that sticks."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient

from api.app import create_app
from api.digest import run_digest
from api.engine import Engine
from api.mail import Composer, SmtpOutbox
from api.settings import Settings
from tests.api.conftest import Imported
from tests.api.test_digest import KEY, NOW, PERIOD
from tests.api.test_digest_smtp import Sink, _free_port
from tests.neo4j_server import TestServer

pytestmark = [pytest.mark.slow, pytest.mark.neo4j]


@pytest.fixture
def smtp() -> Iterator[tuple[Sink, int]]:
    sink, port = Sink(), _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink, port
    finally:
        controller.stop()


@pytest.fixture
def settings(neo4j_server: TestServer, imported: Imported, tmp_path: Path, smtp: tuple[Sink, int]) -> Settings:
    store = neo4j_server.fresh_store()
    try:
        Engine(store, settings=imported.settings).ingest(imported.export)
    finally:
        store.close()
    return neo4j_server.settings(
        tmp_path / "data",
        smtp_host="127.0.0.1",
        smtp_port=smtp[1],
        secret_key=KEY.decode(),
        rate_limit_per_minute=10_000,
    )


def _send(settings: Settings) -> list[str]:
    app = create_app(settings)
    with TestClient(app):  # the service's own engine, on its one Neo4j driver
        engine: Engine = app.state.engine
        build = Composer(settings, key=KEY, team_names=engine.team_names(), now=NOW)
        with SmtpOutbox(settings) as outbox:
            report = run_digest(engine, period=PERIOD, outbox=outbox, build=build, now=NOW)
    assert report.error is None
    return report.delivered


def test_digests_go_out_once_per_period_and_unsubscribing_sticks(settings: Settings, smtp: tuple[Sink, int]) -> None:
    sink, _ = smtp

    delivered = _send(settings)

    assert delivered, "the organisation has people with something to read"
    received = Counter(rcpt for rcpts, _ in sink.received for rcpt in rcpts)
    assert len(received) == len(delivered) and set(received.values()) == {1}
    assert _send(settings) == []  # a rerun of the same period: the reservations are in Neo4j
    assert sink.count() == len(delivered)

    # One-click unsubscribe (RFC 8058) from the first message, against the same Neo4j store.
    message = sink.messages()[0]
    link = message["List-Unsubscribe"].strip("<>")
    app = create_app(settings)
    with TestClient(app) as client:
        answer = client.post(
            link.removeprefix(settings.public_url),
            content="List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert answer.status_code == 200, answer.text
        person = next(p for p in app.state.engine.store.people() if p.email and p.email in message["To"])
        assert app.state.engine.preferences(person.id).digest == "off"
