"""The gfx and compress domain generators: every task's samples pass their own check from the
message text, an edited answer fails it, real files from a source tree become samples with
provenance, and the build and `dataset verify` run them like any domain."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from triforce.compress import compress
from triforce.generate.build import BuildOptions, run_build
from triforce.generate.domain import Source, load_generator
from triforce.generate.graphics.material import synthetic_tile
from triforce.generate.routines import load_routines
from triforce.generate.verify import verify_samples
from triforce.gfx.tiles import encode_tile


def _per_task(name: str, per_task: int = 3) -> dict[str, list[dict[str, Any]]]:
    """A few samples of every task, from units spread over the bundled plan."""
    gen = load_generator(name)
    by_kind: dict[str, list[Any]] = defaultdict(list)
    for unit in gen.units([], seed=7):
        kind = unit.key.split(":")[1]
        by_kind[kind].append(unit)
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for kind, units in by_kind.items():
        take = 1 if kind.startswith("asm_") else per_task  # one ASM unit already holds 40 samples
        for unit in units[:: max(1, len(units) // take)][:take]:
            result = gen.run(unit, seed=7)
            assert not result.rejects, result.rejects
            for sample in result.samples:
                out[sample.task].append(sample.model_dump(mode="json"))
    return out


def _break(text: str) -> str:
    """Change the last digit of the last number in the answer's last block (a byte, a pixel row,
    a JSON value, an address in code)."""
    fence = text.rfind("```", 0, text.rfind("```"))
    head, tail = text[:fence], text[fence:]
    m = list(re.finditer(r"(?<![A-Za-z_.])(?:\$|%)?[0-9A-F]+(?![A-Za-z_])", tail))[-1]
    last = m.end() - 1
    new = (
        format((int(tail[last], 16) + 1) % 16, "X")
        if tail[m.start()] == "$" or not tail[last].isdigit()
        else str((int(tail[last]) + 1) % 10)
    )
    return head + tail[:last] + new + tail[last + 1 :]


@pytest.mark.parametrize("name", ["gfx", "compress"])
def test_every_task_checks_and_catches_an_edit(name: str) -> None:
    gen = load_generator(name)
    samples = _per_task(name)
    assert set(samples) == set(gen.tasks)
    for task, rows in samples.items():
        for row in rows[:3]:
            assert gen.check(row) == [], (task, gen.check(row))
            broken = json.loads(json.dumps(row))
            broken["messages"][-1]["content"] = _break(row["messages"][-1]["content"])
            assert broken["messages"][-1]["content"] != row["messages"][-1]["content"]
            assert gen.check(broken), (task, "an edited answer passed")


def test_samples_carry_rows_provenance_and_verification() -> None:
    for name, row in (("gfx", "graphics-tiles"), ("compress", "compression")):
        for rows in _per_task(name, 1).values():
            s = rows[0]
            assert s["domain"] == "din" and s["source"] == row
            assert s["provenance"]["origin"] == "synthetic" and s["verification"]["passed"]
            assert s["messages"][0]["role"] == "system" and s["meta"]["generator"] == name
    asm = _per_task("gfx", 1)["gfx.asm_oam"][0]
    assert asm["verification"]["method"] == "asar+exec" and asm["verification"]["states_tested"] == 4
    assert re.fullmatch(r"[0-9a-f]+", asm["meta"]["assembled_hex"])


def test_units_are_deterministic() -> None:
    gen = load_generator("compress")
    units = gen.units([], seed=3)[::200]
    first = [s.model_dump_json() for u in units for s in gen.run(u, 3).samples]
    again = [s.model_dump_json() for u in units for s in gen.run(u, 3).samples]
    assert first == again


def _tree(root: Path) -> Path:
    import random

    rng = random.Random(1)
    (root / "gfx").mkdir(parents=True)
    tiles4 = b"".join(encode_tile(synthetic_tile(rng, 4), 4) for _ in range(8))
    (root / "gfx" / "boss.bin").write_bytes(tiles4)
    (root / "font.2bpp").write_bytes(b"".join(encode_tile(synthetic_tile(rng, 2), 2) for _ in range(4)))
    sheet = b"".join(encode_tile(synthetic_tile(rng, 3), 3) for _ in range(64))
    (root / "sheet.gfx").write_bytes(compress(sheet))
    (root / "notes.txt").write_text("not graphics")
    return root


def test_real_files_from_a_source_tree(tmp_path: Path) -> None:
    tree = _tree(tmp_path / "myhack")
    gen = load_generator("gfx")
    units = gen.units([Source(tree, "rom-hack")], seed=0)
    real = [u for u in units if u.key.startswith("real:")]
    files = {u.payload["file"] for u in real}
    assert files == {"gfx/boss.bin", "font.2bpp", "sheet.gfx"}
    sample = next(s for u in real if u.payload["file"] == "sheet.gfx" for s in gen.run(u, 0).samples)
    assert sample.provenance.corpus == "myhack" and sample.provenance.origin == "rom-hack"
    assert sample.group == "myhack:sheet.gfx" and "sheet.gfx" in sample.messages[1].content
    tasks = {s.task for u in real if u.payload["file"] == "sheet.gfx" for s in gen.run(u, 0).samples}
    assert "gfx.expand_3bpp" in tasks  # a decompressed 0x600 sheet is 3bpp
    lz = load_generator("compress")
    lz_real = [u for u in lz.units([Source(tree, "rom-hack")], seed=0) if u.key.startswith("real:")]
    assert lz_real and all(
        lz.check(s.model_dump(mode="json")) == [] for u in lz_real for s in lz.run(u, 0).samples
    )


def test_build_and_verify(tmp_path: Path) -> None:
    corpus = load_routines([], required=False)
    report = run_build(
        corpus, tmp_path, BuildOptions(generators=["gfx", "compress"], limit_per_type=25, workers=1, seed=2)
    )
    assert report["per_generator"]["gfx"]["kept"] == 25 and report["per_generator"]["compress"]["kept"] == 25
    rows = [json.loads(line) for line in (tmp_path / "samples.jsonl").read_text().splitlines()]
    checked = verify_samples(rows)
    assert checked.checked == 50 and checked.passed == 50
    rows[3]["messages"][-1]["content"] = _break(rows[3]["messages"][-1]["content"])
    assert verify_samples(rows).passed == 49
