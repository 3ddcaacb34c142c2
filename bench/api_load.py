"""API load benchmark: ``GET /v1/people/{id}/suggestions`` under concurrent load, next to ``/v1/health``.

Imports a generated organisation into a temporary data directory, issues an admin token, starts ``weaktie serve``
(one uvicorn process, tokens on, the embedded store) on a free loopback port, warms the model up, then loads each
endpoint in turn with the same client and concurrency. The load tool is ``wrk`` when installed (``apt-get install
wrk``; it rotates over people with a Lua script), otherwise a bounded asyncio client built on httpx. Prints
requests/s and latency percentiles per endpoint and the throughput ratio suggestions / health (target ≥ 0.5,
suggestions p99 ≤ 50 ms), and how many suggestion requests were repeats (the engine keeps explained answers until
its next fit; ``--people`` larger than what the run can ask for makes every request a first one). Nothing here gates
CI.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import numpy as np

from api.engine import Engine, open_store
from api.settings import Settings
from api.tokens import issue_token
from extractors.synthetic import generate_organisation, write_canonical


@dataclass(frozen=True)
class Load:
    endpoint: str
    requests: int
    seconds: float
    errors: int
    p50_ms: float
    p99_ms: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def prepare(root: Path, *, people: int, posts: int, seed: int) -> tuple[Settings, str, list[str]]:
    """Import the organisation and issue an admin token; returns the settings, the token and the people's ids."""
    org = generate_organisation(people=people, posts=posts, seed=seed)
    write_canonical(org, root / "export")
    settings = Settings(data_dir=root / "data", spacy_model="none")
    store = open_store(settings)
    try:
        Engine(store, settings=settings).ingest(root / "export")
        _, token = issue_token(store, scope="admin", label="bench", now=datetime.now(UTC))
        ids = [person.id for person in store.people()]
    finally:
        store.close()
    return settings, token, ids


def start_server(settings: Settings, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "WEAKTIE_DATA_DIR": str(settings.data_dir),
        "WEAKTIE_SPACY_MODEL": "none",
        "WEAKTIE_AUTH": "tokens",
        # The per-token limit would turn a load test into a 429 test; the limiter still runs on every request.
        "WEAKTIE_RATE_LIMIT_PER_MINUTE": "100000000",
    }
    command = [sys.executable, "-c", "from api.cli import main; main()", "serve", "--port", str(port)]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def wait_until_up(base: str, token: str, first_person: str, *, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    headers = {"Authorization": f"Bearer {token}"}
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/v1/health", timeout=2).status_code == 200:
                # The first suggestions request fits the model: keep it out of the measurement.
                httpx.get(f"{base}/v1/people/{first_person}/suggestions", headers=headers, timeout=timeout)
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"the API did not come up on {base} within {timeout:.0f} s")


# -- wrk -----------------------------------------------------------------------------------------------------------

_LUA = """
local ids = {%(ids)s}
local n = 0
request = function()
  n = n + 1
  local path = string.gsub("%(path)s", "{id}", ids[(n %% #ids) + 1])
  return wrk.format("GET", path, {["Authorization"] = "Bearer %(token)s"})
end
"""


def run_wrk(base: str, path: str, *, token: str, ids: list[str], seconds: int, connections: int) -> Load:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_LUA % {"ids": ", ".join(f'"{i}"' for i in ids), "path": path, "token": token})
    try:
        command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", script.name, base]
        output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    finally:
        os.unlink(script.name)
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    elapsed = _duration(re.search(r"requests in ([\d.]+\w+),", output).group(1))
    errors = sum(int(value) for value in re.findall(r"Non-2xx or 3xx responses: (\d+)", output))
    return Load(path, requests, elapsed, errors, _latency(output, "50%"), _latency(output, "99%"))


def _duration(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(\w+)", text).groups()
    return float(value) * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[unit]


def _latency(output: str, percentile: str) -> float:
    value, unit = re.search(rf"{re.escape(percentile)}\s+([\d.]+)(\w+)", output).groups()
    return float(value) * {"us": 1e-3, "ms": 1.0, "s": 1000.0}[unit]


# -- the Python fallback --------------------------------------------------------------------------------------------


async def _client_load(base: str, path: str, *, token: str, ids: list[str], seconds: int, connections: int) -> Load:
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)

    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=30) as client:

        async def worker(offset: int) -> None:
            nonlocal errors
            n = offset
            while time.perf_counter() < deadline:
                n += connections
                started = time.perf_counter()
                response = await client.get(path.replace("{id}", ids[n % len(ids)]))
                latencies.append(time.perf_counter() - started)
                errors += response.status_code >= 300

        started = time.perf_counter()
        await asyncio.gather(*(worker(i) for i in range(connections)))
        elapsed = time.perf_counter() - started
    values = np.asarray(latencies) * 1000.0
    return Load(
        path, len(latencies), elapsed, errors, float(np.percentile(values, 50)), float(np.percentile(values, 99))
    )


def load(base: str, path: str, *, tool: str, **options: object) -> Load:
    if tool == "wrk":
        return run_wrk(base, path, **options)  # type: ignore[arg-type]
    return asyncio.run(_client_load(base, path, **options))  # type: ignore[arg-type]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--posts", type=int, default=30_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--seconds", type=int, default=15, help="load duration per endpoint")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--tool", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    tool = args.tool if args.tool != "auto" else ("wrk" if shutil.which("wrk") else "python")

    with tempfile.TemporaryDirectory(prefix="weaktie-bench-api-") as tmp:
        print(f"importing {args.people:,} people / {args.posts:,} posts …", file=sys.stderr)
        settings, token, ids = prepare(Path(tmp), people=args.people, posts=args.posts, seed=args.seed)
        random.Random(args.seed).shuffle(ids)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = start_server(settings, port)
        try:
            wait_until_up(base, token, ids[0])
            options = {"token": token, "ids": ids, "seconds": args.seconds, "connections": args.connections}
            health = load(base, "/v1/health", tool=tool, **options)
            suggestions = load(base, "/v1/people/{id}/suggestions", tool=tool, **options)
        finally:
            server.terminate()
            server.wait(timeout=30)

    ratio = suggestions.per_second / health.per_second
    print(f"load tool: {tool}, {args.connections} connections, {args.seconds} s per endpoint, one uvicorn process")
    print(f"{'endpoint':<32} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for item in (health, suggestions):
        print(f"{item.endpoint:<32} {item.per_second:>9.0f} {item.p50_ms:>8.2f} {item.p99_ms:>8.2f} {item.errors:>7}")
    repeats = max(0, suggestions.requests - len(ids)) / max(1, suggestions.requests)
    print(
        f"suggestions asked for {len(ids):,} people in turn: {repeats:.0%} of the requests were repeats, which the "
        "engine answers from its per-fit cache (as it does when one person reloads a page)"
    )
    print(
        f"throughput ratio suggestions / health: {ratio:.2f} (target ≥ 0.5); "
        f"suggestions p99 {suggestions.p99_ms:.1f} ms (target ≤ 50 ms)"
    )
    if args.json:
        results = {
            "tool": tool,
            "connections": args.connections,
            "health": asdict(health),
            "suggestions": asdict(suggestions),
            "ratio": ratio,
            "repeat_share": repeats,
        }
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
