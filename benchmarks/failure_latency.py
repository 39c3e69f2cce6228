"""How long a user waits for the error when the model backend or the Hugging Face Hub is missing.

    PYTHONPATH=src python benchmarks/failure_latency.py

Three cases, each a real process exit or library call against a real socket: `triforce eval`
against a closed port (pre-flight request), a run against a server that answers the pre-flight
but fails every chat request (early stop), and `triforce train --preview` of a Hub id whose Hub
accepts connections and drops them (one probe, no retries; connections counted).
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml

from triforce.evaluate.reference_server import serve_references
from triforce.evaluate.runner import run_suite
from triforce.evaluate.suite import load_suites
from triforce.models import OpenAIBackend, OpenAIConfig


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def eval_closed_port(tmp: Path) -> tuple[float, int]:
    url = f"http://127.0.0.1:{_closed_port()}/v1"
    start = time.perf_counter()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "triforce",
            "eval",
            "--suite",
            "lore",
            "--backend",
            url,
            "--out",
            str(tmp / "a"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    return time.perf_counter() - start, proc.returncode


def eval_every_request_fails(tmp: Path) -> tuple[float, int, int]:
    suite = load_suites(["lore"])
    with serve_references({}) as server:
        # the CLI's defaults: 3 retries with backoff per request, 8 in flight
        backend = OpenAIBackend(OpenAIConfig(base_url=server.url, model="fail-100000"), concurrency=8)
        start = time.perf_counter()
        result = asyncio.run(run_suite(suite, backend, tmp / "b", concurrency=8))
        elapsed = time.perf_counter() - start
        return elapsed, server.requests, len(suite.items) - len(result.records)


def preview_dead_hub(tmp: Path) -> tuple[float, int, int]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    count = [0]

    def serve() -> None:
        while True:
            try:
                conn, _ = sock.accept()
            except OSError:
                return
            count[0] += 1
            conn.close()

    threading.Thread(target=serve, daemon=True).start()
    data = tmp / "data.jsonl"
    data.write_text(
        '{"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]}\n'
    )
    cfg = tmp / "hub.yaml"
    cfg.write_text(
        yaml.safe_dump({"name": "x", "model": {"name": "org/not-cached"}, "data": {"paths": [str(data)]}})
    )
    env = {
        **os.environ,
        "HF_ENDPOINT": f"http://127.0.0.1:{sock.getsockname()[1]}",
        "HF_HUB_CACHE": str(tmp / "cache"),
    }
    env.pop("HF_HUB_OFFLINE", None)
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "triforce", "train", "--preview", str(cfg)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    elapsed = time.perf_counter() - start
    sock.close()
    return elapsed, proc.returncode, count[0]


def main() -> None:
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        s, rc = eval_closed_port(tmp)
        print(f"eval, closed port: exit {rc} after {s:.1f} s (process start and imports included)")
        s, asked, unasked = eval_every_request_fails(tmp)
        print(
            f"eval, every request fails: stopped after {s:.1f} s, {asked} HTTP requests, {unasked} items not asked"
        )
        s, rc, conns = preview_dead_hub(tmp)
        print(
            f"train --preview, Hub unreachable: exit {rc} after {s:.1f} s, {conns} connection(s) to the Hub"
        )


if __name__ == "__main__":
    main()
