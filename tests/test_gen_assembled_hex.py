"""Issue 11: every code sample carries the bytes asar produced, so dedup's bytes layer works."""

from __future__ import annotations

from gen_helpers import gen_corpus
from triforce.dataset.dedup import assembled_hex
from triforce.generate.synth import WorkOptions, process_routines
from triforce.sample import Sample


def test_code_samples_record_their_assembled_bytes() -> None:
    wanted = {"Test_KeysAdd", "Test_ClearSub", "Test_Wide", "Test_RupeesTake"}
    routines = [r for r in gen_corpus().routines if r.name in wanted]
    units = process_routines(
        [(r, ["base", "debug", "optimize", "hook"]) for r in routines], WorkOptions(seed=0)
    )
    samples = [Sample.model_validate(s) for u in units for s in u["samples"]]
    seen = {s.meta["generator"] for s in samples}
    assert {"base", "debug", "optimize"} <= seen
    for s in samples:
        hx = assembled_hex(s)
        assert hx and all(c in "0123456789abcdef" for c in hx), (s.meta["generator"], s.meta["routine"])
    # The base answer's bytes are inside the hex of every other task on the same routine.
    base = {s.meta["routine"]: assembled_hex(s) for s in samples if s.meta["generator"] == "base"}
    for s in samples:
        if s.meta["generator"] in ("debug", "hook") and s.meta["routine"] in base:
            assert str(base[s.meta["routine"]]) in str(assembled_hex(s))
