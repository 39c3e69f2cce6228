"""Dedup at scale: 100,000 synthetic-but-realistic samples through every dedup layer.

The corpus mixes 65816 routines (ALTTP RAM addresses, REP/SEP, local labels, branches) with
prose-only lore samples, and plants every duplicate kind the dedup layers look for: exact copies
(case/whitespace changed), restyled code (other labels, number notation, comments, layout),
identical assembled bytes, and near duplicates (a word or two changed in the prose).

Prints the time per layer, peak memory (ru_maxrss), and two ratios measured in the same run:
MinHash LSH against all-pairs Jaccard on a subset (the naive baseline), and 100k against 10k
(how close to linear the whole pipeline scales).

    PYTHONPATH=src python benchmarks/dedup_scale.py [--n 100000]
"""

from __future__ import annotations

import argparse
import random
import resource
import time

from triforce.dataset import normalize
from triforce.dataset.dedup import DedupConfig, dedup
from triforce.sample import Message, Provenance, Sample, Verification

ADDRS = [
    "$7EF360",
    "$7EF36D",
    "$7EF36C",
    "$7EF343",
    "$7EF377",
    "$7E0010",
    "$7E0011",
    "$7E0020",
    "$7E0022",
    "$7EF359",
]
OPS_8 = ["LDA #${:02X}", "CMP #${:02X}", "ADC #${:02X}", "SBC #${:02X}", "AND #${:02X}", "ORA #${:02X}"]
OPS_M = ["LDA {}", "STA {}", "INC {}", "DEC {}", "STZ {}", "CMP {}"]
SIMPLE = ["CLC", "SEC", "INX", "INY", "DEX", "DEY", "TAX", "TAY", "PHA", "PLA", "PHB", "PLB", "PHP", "PLP"]
TOPICS = [
    "rupees",
    "hearts",
    "magic",
    "arrows",
    "bombs",
    "keys",
    "the sword",
    "the shield",
    "Link's position",
    "the module",
]
LORE = [
    "hyrule",
    "castle",
    "kakariko",
    "village",
    "lost",
    "woods",
    "death",
    "mountain",
    "master",
    "sword",
    "triforce",
    "agahnim",
    "ganon",
    "zora",
    "river",
    "sanctuary",
    "pendant",
    "courage",
    "wisdom",
    "power",
    "desert",
    "palace",
    "eastern",
    "palace",
    "tower",
    "of",
    "hera",
    "dark",
    "world",
    "moon",
    "pearl",
]


def _routine(rng: random.Random, name: str) -> str:
    lines = [f"{name}:", "    PHB : PHK : PLB", "    REP #$20" if rng.random() < 0.5 else "    SEP #$20"]
    for _ in range(rng.randint(6, 18)):
        r = rng.random()
        if r < 0.35:
            lines.append(
                "    "
                + rng.choice(OPS_M).format(rng.choice(ADDRS))
                + (f" ; {rng.choice(TOPICS)}" if rng.random() < 0.3 else "")
            )
        elif r < 0.65:
            lines.append("    " + rng.choice(OPS_8).format(rng.randrange(256)))
        elif r < 0.85:
            lines.append("    " + rng.choice(SIMPLE))
        else:
            lines += ["    BNE .skip", "    " + rng.choice(SIMPLE), ".skip"]
    lines += ["    PLB", "    RTL"]
    return "\n".join(lines)


def _restyle(code: str, rng: random.Random) -> str:
    """The same routine as another generator would write it (what the code layer must catch):
    comments dropped or added, lower case, another local label name, `#$20` written `#32`."""
    label = rng.choice([".over", ".done", ".next"])
    out = []
    for ln in code.splitlines():
        ln = ln.split(";")[0].strip().replace(".skip", label)
        ln = ln.lower() if rng.random() < 0.8 else ln
        out.append("  " + ln + ("  ; note" if rng.random() < 0.2 else ""))
    return "\n".join(out).replace("rep #$20", "rep #32").replace("sep #$20", "sep #%00100000")


def _fake_bytes(code: str) -> str:
    """Deterministic stand-in for asar output (the benchmark measures dedup, not assembly)."""
    return normalize.stable_hash([normalize.normalize_asm(code)]) * 2


def _asm_sample(rng: random.Random, i: int) -> tuple[Sample, str]:
    topic = rng.choice(TOPICS)
    code = _routine(rng, f"Routine_{i:06X}")
    prose = f"Write a routine that updates {topic} ({rng.choice(ADDRS)}) and returns with RTL. Request {i}."
    passed = rng.random() < 0.6
    s = Sample(
        messages=[
            Message(role="system", content="You write 65816 assembly for asar."),
            Message(role="user", content=prose),
            Message(role="assistant", content=f"Here is the routine for {topic}.\n\n```asm\n{code}\n```"),
        ],
        domain="din",
        task=rng.choice(["asm.base", "asm.debug", "asm.optimize", "asm.hook"]),
        source="alttp-asm-base",
        provenance=Provenance(corpus="synthetic-bench", origin="synthetic", routine=f"Routine_{i:06X}"),
        verification=Verification(
            assembled=True, executed=passed, passed=passed, states_tested=rng.randint(0, 8)
        ),
        meta={"assembled_hex": _fake_bytes(code)} if rng.random() < 0.5 else {},
    )
    return s, code


def _lore_sample(rng: random.Random, i: int) -> Sample:
    q = " ".join(rng.choice(LORE) for _ in range(rng.randint(12, 25)))
    a = " ".join(rng.choice(LORE) for _ in range(rng.randint(60, 160)))
    return Sample(
        messages=[Message(role="user", content=f"Q{i}: {q}?"), Message(role="assistant", content=a)],
        domain="nayru",
        task="lore.canon",
        source="zelda-lore",
        provenance=Provenance(corpus="synthetic-bench", origin="synthetic", routine=f"lore{i}"),
    )


def corpus(n: int, seed: int = 0) -> tuple[list[Sample], dict[str, int]]:
    """n samples: ~60% unique originals, the rest planted duplicates of each kind."""
    rng = random.Random(seed)
    out: list[Sample] = []
    planted = {"exact": 0, "code": 0, "bytes": 0, "near": 0}
    originals: list[tuple[Sample, str | None]] = []
    while len(out) < n:
        r = rng.random()
        if r < 0.6 or not originals:
            i = len(out)
            if rng.random() < 0.7:
                s, code = _asm_sample(rng, i)
                originals.append((s, code))
            else:
                s = _lore_sample(rng, i)
                originals.append((s, None))
            out.append(s)
            continue
        base, code = rng.choice(originals)
        msgs = [m.model_copy() for m in base.messages]
        if r < 0.72:  # exact: case and whitespace
            msgs[-1] = Message(role="assistant", content="  " + msgs[-1].content.upper().replace(" ", "   "))
            planted["exact"] += 1
        elif r < 0.82 and code is not None:  # code: restyled routine, reworded request
            msgs[-2] = Message(role="user", content=f"Please implement this again, variant {len(out)}.")
            msgs[-1] = Message(role="assistant", content=f"Sure.\n\n```asm\n{_restyle(code, rng)}\n```")
            planted["code"] += 1
        elif r < 0.88 and code is not None and base.meta.get("assembled_hex"):  # bytes: other source text
            msgs[-2] = Message(role="user", content=f"Another take, number {len(out)}.")
            msgs[-1] = Message(
                role="assistant",
                content=f"```asm\nAlt_{len(out)}:\n    db ${len(out) % 256:02X}\n    RTL\n```",
            )
            planted["bytes"] += 1
        else:  # near: change two words of the prose
            words = msgs[-1].content.split(" ")
            for _ in range(2):
                words[rng.randrange(len(words))] = f"w{rng.randrange(10**6)}"
            msgs[-1] = Message(role="assistant", content=" ".join(words))
            planted["near"] += 1
        out.append(base.model_copy(update={"messages": msgs, "id": f"dup{len(out)}"}))
    return out, planted


def _naive_near(samples: list[Sample], threshold: float, shingle: int) -> int:
    sets = [
        set(normalize.shingle_hashes(normalize.words(normalize.sample_text(s)), shingle).tolist())
        for s in samples
    ]
    found = 0
    for i in range(len(sets)):
        for j in range(i):
            inter = len(sets[i] & sets[j])
            if inter and inter / len(sets[i] | sets[j]) >= threshold:
                found += 1
                break
    return found


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--num-perm", type=int, default=128)
    ap.add_argument("--subset", type=int, default=2000, help="size of the naive all-pairs baseline")
    ap.add_argument("--curate", action="store_true", help="also time the whole curate pipeline")
    args = ap.parse_args()
    cfg = DedupConfig(num_perm=args.num_perm)

    t = time.perf_counter()
    samples, planted = corpus(args.n)
    print(f"generated {len(samples):,} samples in {time.perf_counter() - t:.1f} s; planted {planted}")
    rss_before = _rss_mib()

    small = corpus(args.n // 10, seed=1)[0]
    t = time.perf_counter()
    dedup(small, cfg)
    t_small = time.perf_counter() - t

    t = time.perf_counter()
    kept, report = dedup(samples, cfg)
    t_full = time.perf_counter() - t
    rss_after = _rss_mib()

    print(f"all layers on {len(samples):,}: {t_full:.1f} s (target < 60 s); kept {len(kept):,}")
    removed = {r.removed for r in report.removals}
    dup_ids = {s.id for s in samples if s.id.startswith("dup")}
    print(
        f"  planted duplicates caught: {len(removed & dup_ids):,} of {len(dup_ids):,} "
        f"({100 * len(removed & dup_ids) / max(1, len(dup_ids)):.1f}%); originals removed: "
        f"{len(removed - dup_ids):,} (near-identical random originals or false positives)"
    )
    for layer, n in report.removed_by_layer().items():
        print(f"  {layer:5s} removed {n:7,}  in {report.seconds.get(layer, 0):6.1f} s")
    print(
        f"peak RSS {rss_after:.0f} MiB (corpus alone {rss_before:.0f} MiB, dedup added {rss_after - rss_before:.0f} MiB)"
    )
    print(
        f"scaling: {len(small):,} samples {t_small:.1f} s -> {len(samples):,} samples {t_full:.1f} s: "
        f"ratio {t_full / t_small:.1f}x for 10x the data"
    )

    sub = samples[: args.subset]
    t = time.perf_counter()
    naive = _naive_near(sub, cfg.near_threshold, cfg.shingle_words)
    t_naive = time.perf_counter() - t
    t = time.perf_counter()
    _, sub_report = dedup(sub, cfg.model_copy(update={"exact": False, "code": False, "bytes": False}))
    t_lsh = time.perf_counter() - t
    print(
        f"near-dup baseline on {len(sub):,}: all-pairs Jaccard {t_naive:.2f} s ({naive} found) vs "
        f"MinHash LSH {t_lsh:.2f} s ({sub_report.removed_by_layer()['near']} found): {t_naive / t_lsh:.1f}x faster"
    )

    if args.curate:
        _time_curate(samples)


def _time_curate(samples: list[Sample]) -> None:
    """The default pipeline on the same corpus: dedup, decontamination against 300 items taken
    from the corpus itself (so there is contamination to find), the 60k mix, split, export, card."""
    import json
    import tempfile
    from pathlib import Path

    from triforce.dataset.pipeline import CurationConfig, curate

    with tempfile.TemporaryDirectory() as tmp:
        suite = Path(tmp) / "bench-suite.jsonl"
        picks = samples[::331][:300]
        suite.write_text(
            "".join(
                json.dumps({"id": f"i{k}", "prompt": s.prompt(), "reference": s.answer()}) + "\n"
                for k, s in enumerate(picks)
            ),
            encoding="utf-8",
        )
        stages: list[tuple[str, float]] = []
        last = [time.perf_counter(), 0.0]
        current = ["start"]

        def say(msg: str) -> None:
            now = time.perf_counter()
            stages.append((current[0].split(":")[0], now - last[0]))
            last[0], current[0] = now, msg

        t = time.perf_counter()
        result = curate(
            samples,
            CurationConfig(out_dir=Path(tmp) / "ds", suites=[suite], mix="triforce-sage-60k"),
            progress=say,
        )
        say("end")
        total = time.perf_counter() - t
    print(
        f"curate (filter → dedup → decontam → mix → split → export → card) on {len(samples):,}: {total:.1f} s"
    )
    print("  " + ", ".join(f"{name} {sec:.1f} s" for name, sec in stages[1:]))
    dc = result.decontam.to_dict() if result.decontam else {}
    print(
        f"  decontam removed {dc.get('removed', 0):,} against {dc.get('items', 0)} items; splits "
        f"{ {k: len(v) for k, v in result.splits.items()} }; peak RSS {_rss_mib():.0f} MiB"
    )


if __name__ == "__main__":
    main()
