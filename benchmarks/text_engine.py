"""The text engine's speed, each number against a baseline measured in the same run.

1. Greedy dictionary compression: the engine (entries bucketed by first character) against a
   naive scan of the whole table at every character (the same canonical bytes, checked).
2. Optimal compression (shortest path) against greedy: time ratio and bytes saved.
3. Layout: lines laid out per second, and the same messages through decode + layout.
4. The dialogue generator: proven samples per second (one process).

With `--usdasm DIR` the messages and dictionary are the game's (397 messages); without, the
bundled generator's messages and a small dictionary written for this benchmark.

    PYTHONPATH=src python benchmarks/text_engine.py [--usdasm /path/to/usdasm] [--repeat 5]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from triforce.text import Dictionary, Token, check, compress, expand, from_bytes, parse, ref, to_bytes
from triforce.text.tokens import char


def naive_greedy(tokens: list[Token], dictionary: Dictionary) -> list[Token]:
    """The baseline: at every character, try every entry in table order."""
    out: list[Token] = []
    i = 0
    while i < len(tokens):
        if tokens[i].kind != "char":
            out.append(tokens[i])
            i += 1
            continue
        for index, entry in enumerate(dictionary.entries):
            n = len(entry)
            window = tokens[i : i + n]
            if len(window) == n and all(
                t.kind == "char" and t.value == c for t, c in zip(window, entry, strict=True)
            ):
                out.append(ref(index))
                i += n
                break
        else:
            out.append(char(tokens[i].value))
            i += 1
    return out


def _timed(fn, repeat: int) -> float:  # type: ignore[no-untyped-def]
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--usdasm", type=Path)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--units", type=int, default=80, help="dialogue generator units to time")
    args = ap.parse_args()
    from triforce.generate.dialogue import DialogueGenerator

    gen = DialogueGenerator()
    if args.usdasm:
        from triforce.text.usdasm import read_dictionary, read_messages

        dictionary = read_dictionary(args.usdasm)
        messages = [expand(from_bytes(m.data)[0], dictionary) for m in read_messages(args.usdasm).messages]
        what = f"{len(messages)} vanilla messages, the game's {len(dictionary)}-entry dictionary"
    else:
        dictionary = Dictionary.from_strings(
            [
                "   ",
                "  ",
                "the ",
                "you",
                "ing ",
                "and ",
                "ou",
                "th",
                "er",
                "in",
                "an",
                "re",
                "on",
                "es",
                "st",
                "e ",
            ]
        )
        units = gen.units([], 0)[:200]
        messages = []
        for u in units:
            for s in gen.run(u, 0).samples:
                if s.task == "dialogue.fit":
                    block = s.messages[-1].content.split("```text\n", 1)[1].split("\n```", 1)[0]
                    messages.append(parse(block))
        what = f"{len(messages)} generated messages, a 16-entry dictionary written for this benchmark"
    chars = sum(1 for m in messages for t in m if t.kind == "char")
    print(f"input: {what}; {chars} characters")

    ours = [to_bytes(compress(m, dictionary, "greedy")) for m in messages]
    base = [to_bytes(naive_greedy(m, dictionary)) for m in messages]
    assert ours == base, "bucketed greedy and naive greedy disagree"
    t_ours = _timed(lambda: [compress(m, dictionary, "greedy") for m in messages], args.repeat)
    t_naive = _timed(lambda: [naive_greedy(m, dictionary) for m in messages], args.repeat)
    print(
        f"greedy: engine {chars / t_ours:,.0f} chars/s, naive scan {chars / t_naive:,.0f} chars/s: {t_naive / t_ours:.1f}x"
    )

    t_opt = _timed(lambda: [compress(m, dictionary, "optimal") for m in messages], args.repeat)
    greedy_bytes = sum(len(b) for b in ours)
    optimal_bytes = sum(len(to_bytes(compress(m, dictionary, "optimal"))) for m in messages)
    print(
        f"optimal: {t_opt / t_ours:.2f}x the time of greedy; {optimal_bytes} bytes vs {greedy_bytes} "
        f"({100 * (greedy_bytes - optimal_bytes) / greedy_bytes:.2f}% smaller)"
    )

    lines = sum(len(check(m).lines) for m in messages)
    t_layout = _timed(lambda: [check(m) for m in messages], args.repeat)
    t_decode = _timed(lambda: [check(expand(from_bytes(b)[0], dictionary)) for b in ours], args.repeat)
    print(
        f"layout: {lines / t_layout:,.0f} lines/s; from bytes (decode + expand + layout) {t_decode / t_layout:.2f}x the time"
    )

    units = gen.units([], 0)[: args.units]
    t = time.perf_counter()
    made = sum(len(gen.run(u, 0).samples) for u in units)
    elapsed = time.perf_counter() - t
    print(
        f"dialogue generator: {made} proven samples in {elapsed:.2f} s ({made / elapsed:,.0f}/s, one process)"
    )


if __name__ == "__main__":
    main()
