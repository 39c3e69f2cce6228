"""What verify-then-escalate costs and how often it escalates, per checkable domain.

The real `triforce serve` in its own process in front of `triforce.serve.loopback` (zero-latency
upstream, so only the gateway's work is measured). Requests and right answers are the dataset's
own: samples made by the `gfx`, `compress` and `dialogue` generators (every task of each, spread
over its units), and hand-written ASM routines. For every case:

- right: the specialist answers the sample's assistant message -> verified; an escalation here is
  a false alarm (the checker refused a right answer);
- wrong: the specialist answers a one-point mutant of it (RTL and RTS swapped in code, the last
  byte +1, a JSON word or number +1, a pixel changed, a message's lines joined so it overflows)
  and triforce-sage the right answer ->
  an escalation here is a wrong answer caught.

Reported per domain: cases, how many the checker could read (not `unchecked`), false escalations
on right answers, wrong answers caught, the check's own time (p50/max of `x_triforce.verify`
`elapsed_s`), and p50/p90 of a routed request (one at a time, `--rounds` of each, interleaved so
the machine's load drifts alike for all) without verification, with a passing check, and with a
failing check + escalation to triforce-sage (the added latency is the difference of the p50s).

    PYTHONPATH=src python benchmarks/serve_verify.py [--cases 40] [--rounds 40]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sys
import time
from pathlib import Path
from statistics import median
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from serve_overhead import control, process

ASM_CASES = [
    (
        "Write an asar routine AddTen (called with JSL) that adds 10 to the rupee goal at $7EF360.",
        "```asm\nAddTen:\n  LDA $7EF360\n  CLC\n  ADC #$0A\n  STA $7EF360\n  RTL\n```",
    ),
    (
        "Write a 65816 routine ClearHearts (JSR) that zeroes $7EF36D with 8-bit A.",
        "```asm\nClearHearts:\n  LDA #$00\n  STA $7EF36D\n  RTS\n```",
    ),
    (
        "Write an asar routine DoubleBombs (called with JSL) that doubles the bomb count at $7EF343, "
        "with 16-bit A on entry.",
        "```asm\nDoubleBombs:\n  SEP #$20\n  LDA $7EF343\n  ASL A\n  STA $7EF343\n  REP #$20\n  RTL\n```",
    ),
]


def dataset_cases(generator: str, n: int) -> list[tuple[str, str, str]]:
    """(task, request, right answer) from n units spread over the generator's units."""
    from triforce.generate.domain import load_generator

    gen = load_generator(generator)
    units = gen.units([], 7)
    rng = random.Random(11)
    by_task: dict[str, list[Any]] = {}
    for unit in units:
        by_task.setdefault(unit.key.split(":")[1] if ":" in unit.key else unit.key, []).append(unit)
    picked: list[Any] = []
    while len(picked) < n and any(by_task.values()):
        for group in by_task.values():
            if group and len(picked) < n:
                picked.append(group.pop(rng.randrange(len(group))))
    out = []
    for unit in picked:
        for sample in gen.run(unit, 7).samples[:1]:
            user = next(m.content for m in sample.messages if m.role == "user")
            answer = next(m.content for m in sample.messages if m.role == "assistant")
            out.append((unit.key.split(":")[1] if ":" in unit.key else unit.key, user, answer))
    return out


_FENCE = re.compile(r"```(\w*)\n(.*?)```", re.DOTALL)


def mutant(answer: str) -> str | None:
    """The answer with one point changed in its last data block (None: nothing to change)."""
    blocks = list(_FENCE.finditer(answer))
    if not blocks:
        return None
    m = blocks[-1]
    lang, body = m.group(1).lower(), m.group(2)
    if re.search(r"^\s*(?:\w+:)?\s*(?:RTL|RTS)\b", body, re.MULTILINE | re.IGNORECASE):  # code
        swap = {"RTL": "RTS", "RTS": "RTL", "rtl": "rts", "rts": "rtl"}
        body = re.sub(r"\b(RTL|RTS|rtl|rts)\b", lambda w: swap[w.group(1)], body)
    elif lang == "json":
        word = re.search(r"\$([0-9A-F]{4})", body)
        num = re.search(r"(?<![\w$\"])(\d+)", body)
        if word:
            body = (
                body[: word.start(1)] + f"{(int(word.group(1), 16) + 1) & 0xFFFF:04X}" + body[word.end(1) :]
            )
        elif num:
            body = body[: num.start()] + str(int(num.group(1)) + 1) + body[num.end() :]
        else:
            return None
    elif re.search(r"\$[0-9A-Fa-f]{2}\b", body):
        last = list(re.finditer(r"\$([0-9A-Fa-f]{2})\b", body))[-1]
        body = body[: last.start(1)] + f"{(int(last.group(1), 16) + 1) & 0xFF:02X}" + body[last.end(1) :]
    elif re.fullmatch(r"(?:[0-9A-F]{8}\n?)+", body.strip() + "\n"):
        i = len(body.rstrip()) - 1
        body = body[:i] + ("1" if body[i] == "0" else "0") + body[i + 1 :]
    elif re.search(r"\[[23KV]\]", body):
        body = re.sub(r"\n\[[23V]\]", " ", body).replace("[K]", "")
    else:
        return None
    return answer[: m.start(2)] + body + answer[m.end(2) :]


def ask(client: Any, request: str) -> dict[str, Any]:
    r = client.post(
        "/chat/completions",
        json={
            "model": "oracle-council",
            "messages": [{"role": "user", "content": request}],
            "x_triforce": {"verify": True},
        },
    )
    r.raise_for_status()
    return dict(r.json()["x_triforce"].get("verify") or {})


def timed(client: Any, request: str, *, verify: bool) -> float:
    body: dict[str, Any] = {"model": "oracle-council", "messages": [{"role": "user", "content": request}]}
    if verify:
        body["x_triforce"] = {"verify": True}
    start = time.perf_counter()
    client.post("/chat/completions", json=body).raise_for_status()
    return time.perf_counter() - start


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=40, help="dataset cases per domain")
    parser.add_argument("--rounds", type=int, default=40, help="latency rounds per domain")
    args = parser.parse_args()
    import httpx

    from triforce.train.registry import load_registry

    domains: dict[str, tuple[str, list[tuple[str, str, str]]]] = {
        "asm": ("euclid-asm", [("routine", u, a) for u, a in ASM_CASES]),
        "graphics": ("seph-tilesmith", dataset_cases("gfx", args.cases)),
        "compression": ("seph-tilesmith", dataset_cases("compress", args.cases)),
        "dialogue": ("saria-voice", dataset_cases("dialogue", args.cases)),
    }
    names = list(load_registry(None))
    py = sys.executable
    up_cmd = [py, "-m", "triforce.serve.loopback", "--port", "0"]
    rows: list[str] = []
    latency: list[str] = []
    with process(up_cmd, r"listening on (http://\S+)") as upstream:
        gw_cmd = [py, "-m", "triforce", "serve", "--port", "0", "--no-access-log"]
        gw_cmd += [a for n in names for a in ("--upstream", f"{n}={upstream}")]
        with process(gw_cmd, r"listening on (http://[\d.:]+)/v1") as gateway:
            gateway += "/v1"
            with httpx.Client(base_url=gateway, timeout=60) as client:
                for domain, (model, cases) in domains.items():
                    stats: dict[str, Any] = {"cases": 0, "readable": 0, "false": 0, "wrong": 0, "caught": 0}
                    times: list[float] = []
                    misses: list[str] = []
                    for task, request, right in cases:
                        stats["cases"] += 1
                        control(upstream, {"model": model, "answer": right})
                        control(upstream, {"model": "triforce-sage", "answer": right})
                        v = ask(client, request)
                        first = (v.get("attempts") or [{}])[0]
                        times.append(float(first.get("elapsed_s", 0.0)))
                        if first.get("status") != "unchecked":
                            stats["readable"] += 1
                        if v.get("escalations"):
                            stats["false"] += 1
                            misses.append(f"false alarm ({task}): {first.get('reason', '')[:100]}")
                        bad = mutant(right)
                        if bad is None or first.get("status") == "unchecked":
                            continue
                        stats["wrong"] += 1
                        control(upstream, {"model": model, "answer": bad})
                        v = ask(client, request)
                        if v.get("escalations"):
                            stats["caught"] += 1
                        else:
                            misses.append(
                                f"missed ({task}): {(v.get('attempts') or [{}])[0].get('reason', '')[:100]}"
                            )
                    ordered = sorted(times)
                    rows.append(
                        f"| {domain} | {stats['cases']} | {stats['readable']} | {stats['false']} | "
                        f"{stats['caught']}/{stats['wrong']} | {median(ordered) * 1000:.1f} | {ordered[-1] * 1000:.1f} |"
                    )
                    for line in misses[:5]:
                        print(f"  {domain}: {line}")
                    # Latency, one request at a time, interleaved so the machine's load drifts
                    # alike for all three: no verification, a passing check, a failing check whose
                    # escalation passes.
                    _, request, right = cases[0]
                    wrong = mutant(right) or right
                    samples: dict[str, list[float]] = {"plain": [], "pass": [], "escalated": []}
                    for _ in range(args.rounds):
                        control(upstream, {"model": model, "answer": right})
                        samples["plain"].append(timed(client, request, verify=False))
                        samples["pass"].append(timed(client, request, verify=True))
                        control(upstream, {"model": model, "answer": wrong})
                        samples["escalated"].append(timed(client, request, verify=True))
                    p50 = {k: pct(v, 0.5) for k, v in samples.items()}
                    latency.append(
                        f"| {domain} | "
                        + " | ".join(f"{p50[k]:.1f} / {pct(v, 0.9):.1f}" for k, v in samples.items())
                        + f" | +{p50['pass'] - p50['plain']:.1f} | +{p50['escalated'] - p50['plain']:.1f} |"
                    )
    print(
        f"{time.strftime('%Y-%m-%d')}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}, "
        f"{args.cases} dataset cases per domain, {args.rounds} latency rounds"
    )
    print(
        "| domain | cases | checkable | false escalations (right answers) | wrong caught | check p50 ms | check max ms |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    print("\n".join(rows))
    print()
    print(
        "| domain | no verify p50 / p90 ms | verify, passes | verify, escalated | added p50 (pass) | added p50 (escalation) |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    print("\n".join(latency))


if __name__ == "__main__":
    main()
