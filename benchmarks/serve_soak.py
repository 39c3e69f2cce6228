"""A bounded soak of the gateway: fixed concurrency for a while, upstream faults every few seconds.

The real `triforce serve` (own process) in front of `triforce.serve.loopback` (own process). C
keep-alive callers send requests back to back (half of them streamed) for `--seconds`; every
`--fault-every` seconds the specialist's upstream switches to the next fault (HTTP 500, hang,
dropped connection, bad JSON, 503-then-answer, healthy again...). The gateway's breakers and
fallbacks should absorb them. Checked at the end:
- every request got an HTTP answer (no connection reset, no request left without a status);
- no leaked slots: `/health` reports 0 in flight and 0 queued once the callers stop;
- memory flat: the gateway's RSS sampled every few seconds, first half against second half.

    PYTHONPATH=src python benchmarks/serve_soak.py [--seconds 60] [--concurrency 32] [--fault-every 5]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections import Counter
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from serve_overhead import ASM, Result, control, kernel_counters, load, process

FAULTS = ("fail", "ok", "hang", "ok", "drop", "flaky", "badjson", "ok", "stall", "ok")


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def gateway_pid(url: str) -> int:
    return int(httpx.get(f"{url}/health", timeout=5).json()["pid"])


async def soak(
    upstream: str, gateway: str, concurrency: int, seconds: float, every: float
) -> tuple[Result, Result, list[tuple[float, int, str]]]:
    pid = gateway_pid(gateway.removesuffix("/v1"))
    plain = {"model": "oracle-council", "messages": [{"role": "user", "content": ASM}]}
    streamed = plain | {"stream": True}
    samples: list[tuple[float, int, str]] = []

    async def faults() -> None:
        start = time.monotonic()
        for i in range(int(seconds / every) + 1):
            how = FAULTS[i % len(FAULTS)]
            await asyncio.to_thread(control, upstream, {"model": "euclid-asm", "behaviour": how})
            samples.append((time.monotonic() - start, rss_kb(pid), how))
            await asyncio.sleep(every)

    half = max(1, concurrency // 2)
    results = await asyncio.gather(
        load(gateway, plain, half, seconds),
        load(gateway, streamed, concurrency - half, seconds),
        faults(),
    )
    await asyncio.to_thread(control, upstream, {"model": "euclid-asm", "behaviour": "ok"})
    return results[0], results[1], samples


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--fault-every", type=float, default=5.0)
    args = parser.parse_args()
    from triforce.train.registry import load_registry

    py = sys.executable
    loopback = [py, "-m", "triforce.serve.loopback", "--port", "0"]
    listening = r"listening on (http://\S+)"
    # Two model servers, as deployed: the specialists on one, triforce-sage and the council on another.
    with process(loopback, listening) as upstream, process(loopback, listening) as big:
        cmd = [py, "-m", "triforce", "serve", "--port", "0", "--timeout", "2", "--breaker-failures", "3",
               "--breaker-cooldown", "2", "--no-access-log"]  # fmt: skip
        for name in load_registry(None):
            cmd += [
                "--upstream",
                f"{name}={big if name in ('triforce-sage', 'oracle-council') else upstream}",
            ]
        with process(cmd, r"listening on (http://[\d.:]+)/v1") as base:
            gateway = base + "/v1"
            before = kernel_counters()
            plain, streamed, samples = asyncio.run(
                soak(upstream, gateway, args.concurrency, args.seconds, args.fault_every)
            )
            after = kernel_counters()
            time.sleep(0.5)
            health = httpx.get(f"{base}/health", timeout=5).json()
            final_rss = rss_kb(int(health["pid"]))
    statuses: Counter[int] = plain.statuses + streamed.statuses
    answered = sum(statuses.values())
    print(f"{time.strftime('%Y-%m-%d')}: {args.seconds:g} s at concurrency {args.concurrency}, "
          f"a fault every {args.fault_every:g} s ({', '.join(FAULTS)})")  # fmt: skip
    print(
        f"requests answered: {answered} ({answered / args.seconds:.0f}/s); statuses {dict(sorted(statuses.items()))}"
    )
    print(f"connection resets / unanswered: {plain.resets + streamed.resets}")
    lat = sorted(plain.latencies + streamed.latencies)
    print(
        f"latency p50 {lat[len(lat) // 2] * 1000:.1f} ms, p99 {lat[int(len(lat) * 0.99)] * 1000:.1f} ms, max {lat[-1] * 1000:.0f} ms"
    )
    print(f"after the load: in flight {health['in_flight']}, queued {health['queued']}; breakers "
          + ", ".join(f"{k}: {v['state']} (opened {v['times_opened']}x)" for k, v in health["breakers"].items()))  # fmt: skip
    rss = [kb for _, kb, _ in samples[1:]] + [final_rss]
    first, second = rss[: len(rss) // 2], rss[len(rss) // 2 :]
    print(f"gateway RSS MiB: {' '.join(f'{kb / 1024:.0f}' for kb in rss)}")
    print(
        f"RSS first half mean {sum(first) / len(first) / 1024:.1f} MiB, second half {sum(second) / len(second) / 1024:.1f} MiB"
    )
    print(f"kernel: listen overflows {after.get('ListenOverflows', 0) - before.get('ListenOverflows', 0)}, "
          f"TCP resets sent {after.get('OutRsts', 0) - before.get('OutRsts', 0)}")  # fmt: skip
    ok = plain.resets + streamed.resets == 0 and health["in_flight"] == 0 and health["queued"] == 0
    print("PASS" if ok else "FAIL")
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
