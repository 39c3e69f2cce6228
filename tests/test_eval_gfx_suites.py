"""The graphics and compression suites: references pass, known wrong answers fail with a reason,
mutated answers are rejected (sensitivity), and the suites decontaminate training data."""

from __future__ import annotations

import json

import pytest

from triforce.compress import compress, decompress
from triforce.dataset.decontam import decontaminate
from triforce.evaluate.graders import grade
from triforce.evaluate.sensitivity import measure
from triforce.evaluate.suite import SuiteItem, load_suite
from triforce.gfx import bgr555_to_rgb
from triforce.gfx.text import format_db
from triforce.sample import Message, Provenance, Sample


def _items(name: str) -> dict[str, SuiteItem]:
    return {i.id: i for i in load_suite(name).items}


@pytest.mark.parametrize(("name", "least"), [("graphics", 100), ("compression", 60)])
def test_suites_and_their_references(name: str, least: int) -> None:
    items = load_suite(name).items
    assert len(items) >= least
    assert {i.category for i in items} == {name}
    for item in items:
        verdict = grade(item.grading, item.reference)
        assert verdict.passed, (item.id, verdict.reason)


def _db(data: bytes) -> str:
    return "```asm\n" + format_db(data) + "\n```"


def test_known_wrong_answers_fail_for_the_right_reason() -> None:
    lz = _items("compression")
    odd = lz["lz.decompress.odd_word_fill"]
    # a documented editor bug: one byte too many on an odd word fill
    verdict = grade(odd.grading, _db(bytes.fromhex("11 22 11 22 11 22")))
    assert not verdict.passed and "5 bytes expected" in verdict.reason
    assert grade(odd.grading, "db $11, $22, $11, $22, $11").passed  # unfenced db lines are read too
    item = lz["lz.compress.0"]
    data = bytes.fromhex(item.grading["data"])
    assert grade(item.grading, _db(compress(data, "gfx", "greedy"))).passed  # not only one encoding
    padded = compress(data)[:-1] + b"\x00\xff"
    assert "follow" in grade(item.grading, _db(compress(data) + b"\x00")).reason
    assert not grade(item.grading, _db(padded)).passed
    literal = bytes([0xE0 | (len(data) - 1) >> 8, (len(data) - 1) & 0xFF]) + data + b"\xff"
    assert decompress(literal) == data
    assert "at most" in grade(item.grading, _db(literal)).reason  # right, but too big
    corrupt = next(i for i in lz.values() if i.grading["kind"] == "lz-corrupt")
    answer = json.loads(corrupt.reference.strip("`json\n"))
    answer["offset"] += 1
    assert not grade(corrupt.grading, json.dumps(answer)).passed
    gfx = _items("graphics")
    rgb = next(i for i in gfx.values() if i.grading["kind"] == "gfx-rgb")
    for scale in ("x8", "replicate", "yaze"):  # graded in 15 bits: every expansion convention passes
        colours = [list(bgr555_to_rgb(w, scale)) for w in rgb.grading["words"]]  # type: ignore[arg-type]
        assert grade(rgb.grading, json.dumps({"colours": colours})).passed
    tile = gfx["gfx.encode.2bpp.heart"]
    assert grade(tile.grading, "I would use planes.").code == "parse-error"
    oam = next(i for i in gfx.values() if i.grading["kind"] == "gfx-oam" and i.grading["mode"] == "compose")
    ref = json.loads(oam.reference.strip("`json\n"))
    assert grade(
        oam.grading, json.dumps({**ref, "low_bytes": "$" + ref["low_bytes"].replace(" ", ", $")})
    ).passed


def test_sensitivity_rejects_mutated_answers() -> None:
    items = load_suite("graphics").items + load_suite("compression").items
    report = measure(items)
    assert report.mutants > 1500
    assert report.sensitivity >= 0.99, [(m.item_id, m.description) for m in report.survivors[:5]]
    assert not report.items_without_kill


def test_the_suites_decontaminate_training_samples() -> None:
    from triforce.dataset.decontam import bundled_suite_paths

    item = load_suite("compression").items[10]
    suites = [p for p in bundled_suite_paths() if p.stem in ("graphics", "compression")]

    def sample(user: str, answer: str) -> Sample:
        return Sample(
            messages=[Message(role="user", content=user), Message(role="assistant", content=answer)],
            domain="din",
            task="compress.decompress",
            source="compression",
            provenance=Provenance(corpus="test", origin="synthetic"),
        )

    leaked = sample(item.prompt, item.reference)
    clean = sample("Decompress the stream `FF`.", "It ends at once: no output.")
    zeros = sample(
        "Fill 64 bytes with $00.", "```asm\n" + format_db(bytes(64)) + "\n```"
    )  # runs are not fingerprints
    kept, report = decontaminate([leaked, clean, zeros], suites=suites)
    assert kept == [clean, zeros]
    assert report.hits[0].item_id == item.id
