"""Write `src/triforce/refine/seeds/romhack_pairs.yaml`: quest -> implementation seed pairs for
the refinement loop, from `triforce.romhack.templates` with the training givers and variants the
generator and the evaluation suite do not use (300+), each proven before it is written; a pair
that matches an evaluation item (dataset decontamination) is left out and the next variant taken. The file
is data an expert reviews and edits; `refine init` re-proves every pair.
Run: PYTHONPATH=src python scripts/build_cross_seeds.py
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from triforce.dataset.decontam import DecontamConfig, bundled_suite_paths, decontaminate, load_suite
from triforce.refine.bundled import _romhack_pair
from triforce.romhack.prove import prove
from triforce.romhack.templates import KINDS, build

PER_KIND = 18
FIRST = 1000  # variants neither the generator (100-599) nor the suite (0-9) uses
OUT = Path(__file__).resolve().parents[1] / "src/triforce/refine/seeds/romhack_pairs.yaml"
HEADER = """\
# Quest -> implementation seed pairs (plan Phase 3: "create 100 expert pairs"), original work
# written for Triforce: each pair is a request, a design, the message texts and an asar patch
# (a JSL hook plus the routine in free space, and room data for dungeon work), with the
# cross-domain spec (`triforce.romhack.CrossSpec`) the romhack prover checks it against:
# assembles, writes only at the hook and the free space, behaves on every scenario state,
# messages fit the box. Built by scripts/build_cross_seeds.py from triforce.romhack.templates;
# edit a pair here and `refine init` re-proves it.
"""


class _Literal(str):
    pass


def _literal(dumper: yaml.Dumper, value: _Literal) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(value), style="|")


yaml.add_representer(_Literal, _literal)


def main() -> None:
    items = [item for path in bundled_suite_paths() for item in load_suite(path)]
    config = DecontamConfig(assemble_references=False)
    pairs = []
    skipped = 0
    for kind in KINDS:
        entries = []
        for variant in range(FIRST, FIRST + 3 * PER_KIND):
            pair = build(kind, variant, split="train")
            proof = prove(pair.spec, pair.patch, messages=pair.messages)
            if not proof.passed:
                raise SystemExit(f"{pair.key}: {proof.failures[0].name}: {proof.failures[0].message}")
            entries.append(
                {
                    "request": _Literal(pair.brief),
                    "design": _Literal(pair.design),
                    "messages": {f"${k:03X}": v for k, v in pair.messages.items()},
                    "patch": _Literal(pair.patch),
                    "spec": json.loads(pair.spec.model_dump_json()),
                }
            )
        samples = [_romhack_pair(e, f"{OUT.name}: {kind}") for e in entries]
        kept, _ = decontaminate(samples, items=items, config=config)
        clean = {s.id for s in kept}
        chosen = [e for e, s in zip(entries, samples, strict=True) if s.id in clean][:PER_KIND]
        if len(chosen) < PER_KIND:
            raise SystemExit(f"{kind}: only {len(chosen)} seed pairs clear of the evaluation items")
        skipped += len(entries) - len(clean)
        pairs += chosen
    text = yaml.dump({"format": "romhack", "pairs": pairs}, sort_keys=False, allow_unicode=True, width=110)
    OUT.write_text(HEADER + text, "utf-8")
    print(f"{len(pairs)} pairs -> {OUT} ({skipped} candidates matched an evaluation item)")


if __name__ == "__main__":
    main()
