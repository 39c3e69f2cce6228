"""Compile the evaluation suites from tools/eval_suites/ into the package's JSONL files.

    PYTHONPATH=src python tools/build_eval_suites.py [OUT_DIR]

The JSONL files under src/triforce/evaluate/suites/ are the shipped data; this script and its
sources are how they were written (expected values come from Python models of each contract).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from eval_suites import (  # noqa: E402,F401
    asm_alttp,
    asm_arith,
    asm_extra,
    asm_loops,
    asm_slots,
    asm_system,
    dialogue_suite,
    graphics_suites,
    other_suites,
)
from eval_suites._dsl import ITEMS, to_record  # noqa: E402

OUT = HERE.parent / "src" / "triforce" / "evaluate" / "suites"


def _write(name: str, records: list[dict[str, object]], out: Path = OUT) -> None:
    ids = [r["id"] for r in records]
    dupes = {i for i in ids if ids.count(i) > 1}
    if dupes:
        raise SystemExit(f"duplicate ids in {name}: {sorted(dupes)}")
    text = "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in records)
    (out / f"{name}.jsonl").write_text(text, encoding="utf-8")
    print(f"{name}: {len(records)} items")


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else OUT
    out.mkdir(parents=True, exist_ok=True)
    asm_extra.apply()
    _write("asm", [to_record(it) for it in ITEMS], out)
    for name, records in {**other_suites.SUITES, **dialogue_suite.SUITES}.items():
        _write(name, records, out)
    for name, records in graphics_suites.SUITES.items():
        _write(name, records, out)


if __name__ == "__main__":
    main()
