"""What the gateway costs: latency through `triforce serve` versus straight to the upstream.

Upstream: triforce.evaluate's reference server on 127.0.0.1 with a fixed latency per request
(a stand-in for vLLM whose own time is known). Same upstream, same run: direct calls (baseline),
relayed by model name, routed by oracle-council, streamed, and the MoE path (fan-out to 2–3
specialists at once + a synthesis call, so about two upstream latencies, not four).
Also the router alone: decisions per second over the labelled requests.

    PYTHONPATH=src python benchmarks/serve_overhead.py [--requests 100] [--latency 0.05]
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from collections.abc import Callable

import httpx

from triforce.evaluate.reference_server import serve_references
from triforce.serve.app import ServeOptions, make_server
from triforce.serve.calibrate import bundled_examples
from triforce.serve.gateway import Gateway
from triforce.serve.router import Router

ASM = "Write an asar hook: JSL to freespace, LDA $7EF360, CLC, ADC #$0010, STA $7EF360, RTL."
VAGUE = "Any thoughts?"


def _time(n: int, call: Callable[[], None]) -> list[float]:
    call()  # warm the connection pools
    out = []
    for _ in range(n):
        start = time.perf_counter()
        call()
        out.append(time.perf_counter() - start)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--latency", type=float, default=0.05)
    args = parser.parse_args()

    router = Router()
    texts = [ex.text for ex in bundled_examples("train") + bundled_examples("heldout")] * 10
    start = time.perf_counter()
    for t in texts:
        router.route(t)
    per_s = len(texts) / (time.perf_counter() - start)
    print(f"router alone: {per_s:,.0f} decisions/s ({1e6 / per_s:.0f} µs each)")

    answers = {ASM: "LDA $7EF360 : CLC : ADC #$0010 : STA $7EF360 : RTL", VAGUE: "Some thoughts."}
    with serve_references(answers, latency_s=args.latency) as upstream:
        gw = Gateway.from_files(overrides={name: upstream.url for name in Gateway.from_files().entries})
        server = make_server(gw, "127.0.0.1", 0, ServeOptions(timeout_s=30))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            with httpx.Client(timeout=30) as client:

                def chat(base: str, model: str, text: str, stream: bool = False) -> Callable[[], None]:
                    body = {"model": model, "stream": stream, "messages": [{"role": "user", "content": text}]}

                    def call() -> None:
                        r = client.post(f"{base}/chat/completions", json=body)
                        r.raise_for_status()

                    return call

                gateway = f"{server.url}/v1"
                rows = [
                    ("direct to upstream (baseline)", _time(args.requests, chat(upstream.url, "euclid-asm", ASM))),
                    ("gateway, model=euclid-asm", _time(args.requests, chat(gateway, "euclid-asm", ASM))),
                    ("gateway, oracle-council → specialist", _time(args.requests, chat(gateway, "oracle-council", ASM))),
                    ("gateway, streamed", _time(args.requests, chat(gateway, "oracle-council", ASM, True))),
                    ("gateway, MoE fan-out + synthesis", _time(args.requests // 4, chat(gateway, "oracle-council", VAGUE))),
                ]  # fmt: skip
        finally:
            server.shutdown()
            server.server_close()
    base = statistics.median(rows[0][1])
    print(
        f"upstream latency {args.latency * 1000:.0f} ms, {args.requests} requests each (MoE: {args.requests // 4})"
    )
    print(f"{'path':40} {'median ms':>10} {'p95 ms':>8} {'vs direct':>10} {'overhead ms':>12}")
    for name, times in rows:
        med = statistics.median(times)
        p95 = sorted(times)[int(len(times) * 0.95) - 1]
        print(
            f"{name:40} {med * 1000:10.1f} {p95 * 1000:8.1f} {med / base:9.2f}x {(med - base) * 1000:12.1f}"
        )


if __name__ == "__main__":
    main()
