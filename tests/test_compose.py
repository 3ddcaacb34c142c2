"""docker-compose.yml, Dockerfile and .dockerignore, checked without Docker: they parse and agree with the project."""

from __future__ import annotations

import fnmatch
import json
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import typer.main
import yaml

from api.app import create_app
from api.cli import app as cli_app
from api.settings import Settings, get_settings, load_settings

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
POM = ROOT / "scripts" / "neo4j" / "pom.xml"
PASSWORD = "a-test-password-42"
WEAKTIE_SERVICES = ("api", "demo-ingest")


# -- compose's variable interpolation, the subset the file may use -----------------------------------------------


class MissingVariable(Exception):
    """A ``${VAR:?message}`` whose variable is unset or empty."""


_VARIABLE = re.compile(r"\$\$|\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")


def interpolate(value: Any, env: Mapping[str, str]) -> Any:
    """Substitute ``${VAR}``, ``${VAR:-default}``, ``${VAR:?error}`` (and their colon-less forms) as compose does."""
    if isinstance(value, dict):
        return {key: interpolate(item, env) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, env) for item in value]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name, op, arg = match.group("name"), match.group("op"), match.group("arg")
        current = env.get(name)
        unset = current is None or (op is not None and op.startswith(":") and current == "")
        if op is not None and op.endswith("?") and unset:
            raise MissingVariable(f"{name}: {arg}")
        if op is not None and op.endswith("-") and unset:
            return arg
        return current or ""

    return _VARIABLE.sub(substitute, value)


def test_interpolation_follows_compose() -> None:
    env = {"SET": "x", "EMPTY": ""}
    assert interpolate("a${SET}b$$c", env) == "ax" + "b$c"
    assert interpolate("${UNSET:-d} ${EMPTY:-d} ${EMPTY-d}", env) == "d d "
    with pytest.raises(MissingVariable, match="say why"):
        interpolate("${EMPTY:?say why}", env)


# -- fixtures -----------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def compose(raw: dict[str, Any]) -> dict[str, Any]:
    """The file as compose sees it with NEO4J_PASSWORD set (and nothing else from the environment)."""
    return interpolate(raw, {"NEO4J_PASSWORD": PASSWORD})


@pytest.fixture(scope="module")
def dockerfile() -> list[tuple[str, str]]:
    """``(INSTRUCTION, arguments)`` pairs, continuation lines joined and comments dropped."""
    lines = [line for line in DOCKERFILE.read_text(encoding="utf-8").splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    instructions = []
    for line in joined.splitlines():
        if line.strip():
            keyword, _, arguments = line.strip().partition(" ")
            instructions.append((keyword.upper(), " ".join(arguments.split())))
    return instructions


def _service(compose: dict[str, Any], name: str) -> dict[str, Any]:
    assert name in compose["services"], f"docker-compose.yml has no service {name!r}"
    return compose["services"][name]


def _instructions(dockerfile: list[tuple[str, str]], keyword: str) -> list[str]:
    return [arguments for instruction, arguments in dockerfile if instruction == keyword]


# -- Neo4j --------------------------------------------------------------------------------------------------------


def test_neo4j_is_the_community_edition_of_the_tested_line(compose: dict[str, Any]) -> None:
    tested = re.search(r"<neo4j.version>(\d+)\.(\d+)\.\d+</neo4j.version>", POM.read_text(encoding="utf-8"))
    assert tested is not None, "scripts/neo4j/pom.xml names no neo4j.version"
    assert _service(compose, "neo4j")["image"] == f"neo4j:{tested[1]}.{tested[2]}-community"


def test_the_password_must_be_set(raw: dict[str, Any]) -> None:
    with pytest.raises(MissingVariable, match="NEO4J_PASSWORD"):
        interpolate(raw, {})
    with pytest.raises(MissingVariable, match="NEO4J_PASSWORD"):
        interpolate(raw, {"NEO4J_PASSWORD": ""})
    # Every use is the required form, never a default the file would fall back to.
    uses = re.findall(r"\$\{NEO4J_PASSWORD([^}]*)\}", COMPOSE.read_text(encoding="utf-8"))
    assert uses, "docker-compose.yml does not read NEO4J_PASSWORD"
    assert all(use.startswith(":?") for use in uses), uses


def test_neo4j_and_weaktie_share_the_credentials(compose: dict[str, Any]) -> None:
    user, _, password = _service(compose, "neo4j")["environment"]["NEO4J_AUTH"].partition("/")
    assert password == PASSWORD
    for name in WEAKTIE_SERVICES:
        environment = _service(compose, name)["environment"]
        assert (environment["NEO4J_USER"], environment["NEO4J_PASSWORD"]) == (user, PASSWORD)


def test_neo4j_publishes_browser_and_bolt_and_keeps_data_and_logs(compose: dict[str, Any]) -> None:
    neo4j = _service(compose, "neo4j")
    published = {str(port).rsplit(":", 1)[-1] for port in neo4j["ports"]}
    assert {"7474", "7687"} <= published
    mounts = dict(volume.split(":")[1::-1] for volume in neo4j["volumes"])  # container path -> source
    for path in ("/data", "/logs"):
        assert path in mounts, f"neo4j does not mount a volume on {path}"
        assert mounts[path] in compose["volumes"], f"{mounts[path]} is not a named volume"


def test_neo4j_has_a_healthcheck_on_its_http_port(compose: dict[str, Any]) -> None:
    check = _service(compose, "neo4j")["healthcheck"]
    assert check["test"][0] in {"CMD", "CMD-SHELL"}
    assert "7474" in " ".join(check["test"][1:])
    assert check["retries"] * _seconds(check["interval"]) >= 60, "give a cold Neo4j at least a minute"


def _seconds(duration: str) -> float:
    value = re.fullmatch(r"(\d+)(s|m)", duration)
    assert value, f"unexpected duration {duration!r}"
    return int(value[1]) * (60 if value[2] == "m" else 1)


def test_the_browser_may_load_the_admin_kit_from_the_api(compose: dict[str, Any]) -> None:
    environment = _service(compose, "neo4j")["environment"]
    commands = [command.strip() for command in environment["NEO4J_browser_post__connect__cmd"].split(";")]
    allowed = environment["NEO4J_browser_remote__content__hostname__whitelist"].split(",")
    api_port = _api_port(compose)
    for command in commands:
        verb, url = command.split()
        assert verb in {"style", "play"}
        match = re.fullmatch(r"http://([^:/]+):(\d+)/static/(.+)", url)
        assert match, url
        assert match[1] in allowed
        assert int(match[2]) == api_port
        assert (ROOT / "api" / "static" / match[3]).is_file(), f"{url} names no file in api/static"


# -- the weaktie services ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", WEAKTIE_SERVICES)
def test_weaktie_services_wait_for_a_healthy_neo4j(compose: dict[str, Any], name: str) -> None:
    assert _service(compose, name)["depends_on"]["neo4j"]["condition"] == "service_healthy"


@pytest.mark.parametrize("name", WEAKTIE_SERVICES)
def test_weaktie_services_are_built_from_the_dockerfile(compose: dict[str, Any], name: str) -> None:
    build = _service(compose, name)["build"]
    context = build if isinstance(build, str) else build.get("context", ".")
    dockerfile = "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
    assert (ROOT / context / dockerfile).resolve() == DOCKERFILE


@pytest.mark.parametrize("name", WEAKTIE_SERVICES)
def test_every_variable_is_a_setting(compose: dict[str, Any], name: str) -> None:
    known = _setting_variables()
    unknown = set(_service(compose, name)["environment"]) - known
    assert not unknown, f"{name} sets {sorted(unknown)}, which api.settings.Settings does not read"


def _setting_variables() -> set[str]:
    prefix = Settings.model_config["env_prefix"]
    names = set()
    for field_name, field in Settings.model_fields.items():
        alias = field.validation_alias
        choices = getattr(alias, "choices", None)
        if choices:
            names |= {choice for choice in choices if isinstance(choice, str) and choice.isupper()}
        else:
            names.add(f"{prefix}{field_name}".upper())
    return names


@pytest.mark.parametrize("name", WEAKTIE_SERVICES)
def test_the_settings_read_the_services_environment(
    compose: dict[str, Any], name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    environment = _service(compose, name)["environment"]
    for variable in _setting_variables():
        monkeypatch.delenv(variable, raising=False)
    for variable, value in environment.items():
        monkeypatch.setenv(variable, str(value))
    get_settings.cache_clear()
    settings = load_settings()
    assert settings.store == "neo4j"
    host, port = re.fullmatch(r"bolt://([^:]+):(\d+)", settings.neo4j_uri).groups()  # type: ignore[union-attr]
    assert host in compose["services"], "NEO4J_URI must name the neo4j service"
    assert port == "7687"
    assert settings.neo4j_password is not None
    assert settings.neo4j_password.get_secret_value() == PASSWORD
    assert str(settings.data_dir) in {volume.split(":")[1] for volume in _service(compose, name)["volumes"]}


def test_the_api_serves_on_its_published_port(compose: dict[str, Any], dockerfile: list[tuple[str, str]]) -> None:
    api = _service(compose, "api")
    command = api["command"]
    port = int(command[command.index("--port") + 1])
    assert command[command.index("--host") + 1] == "0.0.0.0"  # reachable from the other containers and the host
    assert port == _api_port(compose)
    assert str(port) in _instructions(dockerfile, "EXPOSE")


def _api_port(compose: dict[str, Any]) -> int:
    (mapping,) = _service(compose, "api")["ports"]
    return int(str(mapping).rsplit(":", 1)[-1])


def test_demo_ingest_is_a_one_shot_in_the_demo_profile(compose: dict[str, Any]) -> None:
    demo = _service(compose, "demo-ingest")
    assert demo["profiles"] == ["demo"]
    assert demo["command"][:2] == ["weaktie", "demo"]
    assert demo.get("restart", "no") == "no"
    assert "ports" not in demo


# -- commands: every one the containers run exists in the project ------------------------------------------------


def _commands(compose: dict[str, Any], dockerfile: list[tuple[str, str]]) -> list[list[str]]:
    commands = [json.loads(arguments) for arguments in _instructions(dockerfile, "CMD")]
    commands += [service["command"] for name, service in compose["services"].items() if name != "neo4j"]
    return commands


def test_containers_run_the_weaktie_console_script(compose: dict[str, Any], dockerfile: list[tuple[str, str]]) -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    assert not _instructions(dockerfile, "ENTRYPOINT")
    commands = _commands(compose, dockerfile)
    assert len(commands) >= 3
    for command in commands:
        assert isinstance(command, list), "use the exec form, so signals reach weaktie"
        assert command[0] in scripts, f"{command[0]!r} is not a console script in pyproject.toml"


def test_subcommands_and_options_exist(compose: dict[str, Any], dockerfile: list[tuple[str, str]]) -> None:
    group = typer.main.get_command(cli_app)
    for command in _commands(compose, dockerfile):
        subcommand = group.commands.get(command[1])  # type: ignore[attr-defined]
        assert subcommand is not None, f"weaktie has no command {command[1]!r}"
        options = {option for parameter in subcommand.params for option in parameter.opts}
        used = {argument for argument in command[2:] if argument.startswith("--")}
        assert used <= options, f"weaktie {command[1]} has no option {sorted(used - options)}"
        # Parsing is what the container would do first: the options must accept their values.
        subcommand.make_context(command[1], list(command[2:]))


# -- the Dockerfile -----------------------------------------------------------------------------------------------


def test_the_image_is_python_311_slim_and_installs_the_project(dockerfile: list[tuple[str, str]]) -> None:
    assert _instructions(dockerfile, "FROM") == ["python:3.11-slim"]
    installs = " ".join(_instructions(dockerfile, "RUN"))
    assert re.search(r"pip install (--no-deps )?\.(\s|$)", installs), "the project itself is pip-installed"


def test_the_image_runs_as_an_unprivileged_user(dockerfile: list[tuple[str, str]]) -> None:
    users = _instructions(dockerfile, "USER")
    assert users and users[-1] not in {"root", "0", "0:0"}
    keywords = [instruction for instruction, _ in dockerfile]
    assert keywords.index("USER") < keywords.index("CMD")
    assert users[-1] in " ".join(_instructions(dockerfile, "RUN")), "the user is created in the image"


def test_the_healthcheck_asks_the_health_endpoint(dockerfile: list[tuple[str, str]]) -> None:
    (healthcheck,) = _instructions(dockerfile, "HEALTHCHECK")
    command = json.loads(healthcheck[healthcheck.index("CMD ") + 4 :])
    url = re.search(r"http://127\.0\.0\.1:(\d+)(/[\w/]+)", " ".join(command))
    assert url, command
    assert url[1] in _instructions(dockerfile, "EXPOSE")
    paths = create_app(Settings(data_dir=ROOT / "unused")).openapi()["paths"]
    assert url[2] in paths, f"{url[2]} is not a route of the API"


def _copied(dockerfile: list[tuple[str, str]]) -> list[str]:
    """The sources of every COPY (all but its last argument, the destination)."""
    return [source for arguments in _instructions(dockerfile, "COPY") for source in arguments.split()[:-1]]


def test_every_copied_file_exists_and_is_in_the_build_context(dockerfile: list[tuple[str, str]]) -> None:
    sources = _copied(dockerfile)
    assert sources
    patterns = [line.strip() for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()]
    patterns = [pattern for pattern in patterns if pattern and not pattern.startswith("#")]
    for source in sources:
        assert not source.startswith("--"), "COPY --from/--chown are not expected here"
        assert (ROOT / source).exists(), f"COPY {source}: no such file in the repository"
        assert not _ignored(source, patterns), f"COPY {source}: .dockerignore leaves it out of the build context"


def _ignored(path: str, patterns: list[str]) -> bool:
    """Docker's rule: the last pattern that matches decides, ``!`` re-includes."""
    ignored = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        cleaned = pattern.lstrip("!").rstrip("/")
        if fnmatch.fnmatch(path, cleaned):
            ignored = not negated
    return ignored


def test_every_package_is_copied(dockerfile: list[tuple[str, str]]) -> None:
    find = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["packages"]
    packages = {name for name in find["find"]["include"] if "*" not in name}
    copied = {source.rstrip("/") for source in _copied(dockerfile)}
    assert packages <= copied, f"the image would miss {sorted(packages - copied)}"
    assert {"pyproject.toml", "README.md"} <= copied  # the build reads both
