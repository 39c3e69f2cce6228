"""What the gateway costs under load: requests/s and p50/p99 through `triforce serve` versus straight
to the upstream, at concurrency 1, 50 and 200, in the same run.

Upstream: `triforce.serve.loopback` in its own process (asyncio, keep-alive, backlog 4096, no
added latency unless `--latency`), so the upstream is never what is measured. The gateway is the
real `triforce serve` command in its own process. Load: C keep-alive connections opened at once,
each sending requests back to back (a minimal asyncio HTTP/1.1 client, so the client costs little
CPU); C=200 opens 200 connections in one burst, which is what overflows a short listen queue.

Per row: requests/s, p50/p99 latency, non-200 answers, connection resets (any connection that
broke), and the kernel's TcpExt ListenOverflows/ListenDrops and Tcp RetransSegs read from
/proc/net before and after the row (system-wide counters: other jobs on the machine add to them).
Also the router alone (decisions per second) and, at C=1, the MoE path and verify-then-escalate:
"verify pass" = one upstream answer + the ASM check (asar in the sandbox + execution); "verify
escalate" = a failing answer, its check, triforce-sage's answer and its check.

    PYTHONPATH=src python benchmarks/serve_overhead.py [--seconds 5] [--concurrency 1,50,200]
        [--latency 0.0] [--workers 1] [--gateway-args "..."]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shlex
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urlparse

ASM = "Write an asar hook: JSL to freespace, LDA $7EF360, CLC, ADC #$0010, STA $7EF360, RTL."
VAGUE = "Any thoughts?"
GOOD = "```asm\nAddTen:\n  LDA $7EF360\n  CLC\n  ADC #$0A\n  STA $7EF360\n  RTL\n```"
BAD = "```asm\nAddTen:\n  STZ $7EF360\n  RTL\n```"


def kernel_counters() -> dict[str, int]:
    """TcpExt ListenOverflows/ListenDrops and Tcp RetransSegs/OutRsts (system-wide)."""
    out: dict[str, int] = {}
    for path, table, names in (
        ("/proc/net/netstat", "TcpExt:", ("ListenOverflows", "ListenDrops")),
        ("/proc/net/snmp", "Tcp:", ("RetransSegs", "OutRsts")),
    ):
        try:
            with open(path, encoding="ascii") as fh:
                lines = [ln.split() for ln in fh if ln.startswith(table)]
        except OSError:
            continue
        for header, values in zip(lines[::2], lines[1::2], strict=False):
            row = dict(zip(header[1:], values[1:], strict=True))
            out.update({n: int(row[n]) for n in names if n in row})
    return out


@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    resets: int = 0
    seconds: float = 0.0
    kernel: dict[str, int] = field(default_factory=dict)

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def pct(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    headers = head.decode("latin-1").lower()
    length = re.search(r"\r\ncontent-length:\s*(\d+)", headers)
    if length:
        await reader.readexactly(int(length.group(1)))
    elif "transfer-encoding: chunked" in headers:
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip(), 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    else:
        await reader.read()
    return status


async def load(url: str, body: dict[str, object], concurrency: int, seconds: float) -> Result:
    """C keep-alive connections sending back to back for `seconds`; a broken one reconnects."""
    parsed = urlparse(url)
    host, port = parsed.hostname or "127.0.0.1", parsed.port or 80
    payload = json.dumps(body).encode()
    request = (
        f"POST {parsed.path.rstrip('/')}/chat/completions HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Content-Type: application/json\r\nAuthorization: Bearer bench\r\n"
        f"Content-Length: {len(payload)}\r\n\r\n"
    ).encode() + payload
    result = Result()
    before = kernel_counters()
    start = time.perf_counter()
    deadline = start + seconds

    async def worker() -> None:
        conn: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        while time.perf_counter() < deadline:
            t0 = time.perf_counter()
            try:
                if conn is None:
                    conn = await asyncio.open_connection(host, port)
                conn[1].write(request)
                status = await asyncio.wait_for(_read_response(conn[0]), 60)
            except (ConnectionError, asyncio.IncompleteReadError, TimeoutError, OSError):
                result.resets += 1
                if conn is not None:
                    conn[1].close()
                conn = None
                continue
            result.latencies.append(time.perf_counter() - t0)
            result.statuses[status] += 1
        if conn is not None:
            conn[1].close()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    result.seconds = time.perf_counter() - start
    after = kernel_counters()
    result.kernel = {k: after[k] - before.get(k, 0) for k in after}
    return result


def _started(proc: subprocess.Popen[str], pattern: str, timeout: float = 60.0) -> str:
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    lines = []
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        found = re.search(pattern, line)
        if found:
            return found.group(1)
    raise RuntimeError("did not start:\n" + "".join(lines))


@contextmanager
def process(args: list[str], pattern: str) -> Iterator[str]:
    env = {**os.environ, "COLUMNS": "200", "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    try:
        url = _started(proc, pattern)
        # Keep draining its output (access logs) so it never blocks on a full pipe.
        import threading

        threading.Thread(target=lambda: [None for _ in proc.stdout or []], daemon=True).start()
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()


def control(upstream: str, order: dict[str, object]) -> None:
    """Change the loopback upstream's behaviour or fixed answer for one model."""
    import httpx

    httpx.post(upstream.removesuffix("/v1") + "/_control", json=order, timeout=5).raise_for_status()


def router_speed() -> float:
    from triforce.serve.calibrate import bundled_examples
    from triforce.serve.router import Router

    router = Router()
    texts = [ex.text for ex in bundled_examples("train") + bundled_examples("heldout")] * 5
    start = time.perf_counter()
    for t in texts:
        router.route(t)
    return len(texts) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0, help="per row")
    parser.add_argument("--concurrency", default="1,50,200")
    parser.add_argument("--latency", type=float, default=0.0, help="upstream latency per answer")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--gateway-args", default="", help="extra `triforce serve` options")
    args = parser.parse_args()
    levels = [int(c) for c in args.concurrency.split(",")]

    per_s = router_speed()
    print(f"router alone: {per_s:,.0f} decisions/s ({1e6 / per_s:.0f} µs each)")
    from triforce.train.registry import load_registry

    names = list(load_registry(None))
    py = sys.executable
    up_cmd = [py, "-m", "triforce.serve.loopback", "--port", "0", "--latency", str(args.latency)]
    with process(up_cmd, r"listening on (http://\S+)") as upstream:
        gw_cmd = [py, "-m", "triforce", "serve", "--port", "0", "--max-in-flight", "512"]
        gw_cmd += [a for n in names for a in ("--upstream", f"{n}={upstream}")]
        if args.workers > 1:
            gw_cmd += ["--workers", str(args.workers)]
        gw_cmd += shlex.split(args.gateway_args)
        with process(gw_cmd, r"listening on (http://[\d.:]+)/v1") as gateway:
            gateway += "/v1"
            relay = {"model": "euclid-asm", "messages": [{"role": "user", "content": ASM}]}
            routed = {"model": "oracle-council", "messages": [{"role": "user", "content": ASM}]}
            asyncio.run(load(gateway, relay, 4, 1.0))  # warm both sides' pools
            rows: list[tuple[str, int, Result]] = []
            for c in levels:
                rows.append(("direct", c, asyncio.run(load(upstream, relay, c, args.seconds))))
                rows.append(("gateway relay", c, asyncio.run(load(gateway, relay, c, args.seconds))))
                if c == 1:
                    rows.append(("gateway routed", c, asyncio.run(load(gateway, routed, c, args.seconds))))
                    streamed = relay | {"stream": True}
                    rows.append(
                        ("direct streamed", c, asyncio.run(load(upstream, streamed, c, args.seconds)))
                    )
                    rows.append(
                        ("gateway streamed", c, asyncio.run(load(gateway, streamed, c, args.seconds)))
                    )
                    moe = {"model": "oracle-council", "messages": [{"role": "user", "content": VAGUE}]}
                    rows.append(("gateway MoE", c, asyncio.run(load(gateway, moe, c, args.seconds))))
                    verify = routed | {"x_triforce": {"verify": True}}
                    control(upstream, {"model": "euclid-asm", "answer": GOOD})
                    control(upstream, {"model": "triforce-sage", "answer": GOOD})
                    rows.append(("gateway verify", c, asyncio.run(load(gateway, verify, c, args.seconds))))
                    control(upstream, {"model": "euclid-asm", "answer": BAD})
                    rows.append(("verify escalate", c, asyncio.run(load(gateway, verify, c, args.seconds))))
                    control(upstream, {"model": "euclid-asm", "answer": ASM})
    print(f"{time.strftime('%Y-%m-%d')}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}, "
          f"upstream latency {args.latency * 1000:.0f} ms, {args.seconds:g} s per row")  # fmt: skip
    header = f"{'path':17} {'C':>4} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'non-200':>8} {'resets':>6} {'overfl':>6} {'retrans':>7}"
    print(header)
    base: dict[int, Result] = {}
    for name, c, r in rows:
        if name == "direct":
            base[c] = r
        non200 = sum(n for s, n in r.statuses.items() if s != 200)
        print(
            f"{name:17} {c:4d} {r.rps:7.0f} {r.pct(0.5):7.2f} {r.pct(0.99):7.2f} {non200:8d} "
            f"{r.resets:6d} {r.kernel.get('ListenOverflows', 0):6d} {r.kernel.get('RetransSegs', 0):7d}"
        )
    print("overhead (gateway relay - direct, same concurrency):")
    for name, c, r in rows:
        if name == "gateway relay" and c in base:
            d = base[c]
            print(
                f"  C={c}: p50 +{r.pct(0.5) - d.pct(0.5):.2f} ms, p99 +{r.pct(0.99) - d.pct(0.99):.2f} ms, "
                f"throughput {r.rps / d.rps:.2f}x of direct"
            )


if __name__ == "__main__":
    main()
