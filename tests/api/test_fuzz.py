"""Schemathesis against the app's own OpenAPI schema: whatever the app exposes, no request makes it fail (5xx), and
every documented answer has the documented shape.

Runs as an admin (the scope that reaches every endpoint) over its own small store, since some endpoints write.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import response_schema_conformance

from api.app import JSON_LINES, create_app
from api.engine import open_store
from api.settings import Settings
from api.tokens import issue_token
from extractors.synthetic import generate_organisation
from tests.api.conftest import bearer, import_into

pytestmark = pytest.mark.slow

MAX_EXAMPLES = 50
"""Per operation: enough to hit every parameter's edges, small enough for the whole run to take about a minute."""


@dataclass(frozen=True)
class Fuzzed:
    app: FastAPI
    headers: dict[str, str]
    known: dict[str, list[str]]
    """Path parameter → ids the store knows: random ids would almost only ever reach the 404s."""


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fuzzed]:
    world = import_into(tmp_path_factory.mktemp("fuzz"), generate_organisation(people=30, teams=3, posts=200, seed=4))
    store = open_store(world.settings)
    try:
        admin = issue_token(store, scope="admin", label="fuzz", now=datetime.now(UTC))[1]
        known = {"person_id": [person.id for person in store.people()], "topic": [t.id for t in store.topics()][:50]}
    finally:
        store.close()
    # Thousands of requests in a minute from one token: the rate limit is tests/api/test_limits.py's subject.
    app = create_app(world.settings.model_copy(update={"rate_limit_per_minute": 1_000_000}))
    yield Fuzzed(app=app, headers=bearer(admin), known=known)
    asgi.shutdown_lifespans()  # schemathesis started the app's lifespan (the store opened) when it loaded the schema


@pytest.fixture(scope="module")
def api_schema(fuzzed: Fuzzed) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_asgi("/openapi.json", fuzzed.app)


@schemathesis.serializer(JSON_LINES)
def _json_lines(ctx: schemathesis.SerializationContext, value: object) -> bytes:
    # POST /v1/posts takes JSON lines; anything else schemathesis generates for it is sent as one JSON line.
    return value.encode() if isinstance(value, str) else json.dumps(value).encode()


def _operations() -> list[tuple[str, str]]:
    # Building the app reads no store: the routes and their schema are all there before the lifespan runs.
    paths = create_app(Settings(data_dir=Path(tempfile.gettempdir()) / "weaktie-unused")).openapi()["paths"]
    found = [(method.upper(), path) for path, methods in sorted(paths.items()) for method in sorted(methods)]
    # Deletions last, so they cannot empty the store under the other operations.
    return sorted(found, key=lambda operation: operation[0] == "DELETE")


@pytest.mark.parametrize(("method", "path"), _operations())
def test_no_request_breaks_the_api(api_schema: schemathesis.BaseSchema, fuzzed: Fuzzed, method: str, path: str) -> None:
    operation = api_schema[path][method]
    # Valid requests reach the handlers; invalid ones the validation and problem machinery.
    cases = st.one_of(operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE))
    # Half the time, path parameters name something that exists (never for deletions: the store must survive).
    known = {name: ids for name, ids in fuzzed.known.items() if f"{{{name}}}" in path and method != "DELETE"}
    choices = st.fixed_dictionaries({name: st.none() | st.sampled_from(ids) for name, ids in known.items()})

    @given(case=cases, real=choices)
    @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def check(case: schemathesis.Case, real: dict[str, str | None]) -> None:
        for name, value in real.items():
            if value is not None and case.path_parameters is not None:
                case.path_parameters[name] = value
        case.call_and_validate(headers=fuzzed.headers, checks=[not_a_server_error, response_schema_conformance])

    check()
