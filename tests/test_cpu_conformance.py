"""The CPU core against the SingleStepTests 65816 subset (84 files): every test must pass."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from triforce.cli import app
from triforce.snes.conformance import Runner, find_test_files, run_file


def _find_sst() -> Path:
    """$TRIFORCE_SST_DIR, else beside the checkout in ../shared (or any parent's shared/)."""
    if os.environ.get("TRIFORCE_SST_DIR"):
        return Path(os.environ["TRIFORCE_SST_DIR"])
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "shared" / "conformance" / "65816-sst"
        if candidate.is_dir():
            return candidate
    return Path("shared/conformance/65816-sst")


SST = _find_sst()

# Outside CI a checkout without ../shared skips these; in CI (CI=true) missing data is a failure.
pytestmark = pytest.mark.skipif(
    not SST.is_dir() and not os.environ.get("CI"), reason=f"conformance data not found at {SST}"
)


def test_all_conformance_files_pass() -> None:
    files = find_test_files([SST])
    assert len(files) == 84
    runner = Runner()
    failed = {}
    total = 0
    cycle_mismatches = 0
    for path in files:
        result = run_file(path, runner)
        total += result.total
        cycle_mismatches += result.cycle_mismatches
        if not result.ok:
            failed[path.name] = [(f.name, f.differences) for f in result.failures[:3]]
    assert not failed, failed
    assert total == 84_000
    assert cycle_mismatches == 0


def test_cli_reports_json_and_exit_code(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["cpu", "conformance", str(SST / "eb.n.json.gz"), "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["passed"] == payload["total"] == 1000

    # A corrupted expectation must fail with exit code 1 and name the register.
    tests = json.loads(gzip.decompress((SST / "eb.n.json.gz").read_bytes()))[:5]
    tests[0]["final"]["a"] ^= 0x0101
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(tests))
    result = runner.invoke(app, ["cpu", "conformance", str(broken), "--json"])
    assert result.exit_code == 1
    payload = json.loads(result.stdout)
    assert payload["failed"] == 1
    assert payload["files"][0]["failures"][0]["differences"][0].startswith("a:")


def test_cli_rejects_missing_path(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["cpu", "conformance", str(tmp_path / "nope.json")])
    assert result.exit_code != 0


def _mvn_case(a: int, listed_cycles: int, iterations: int) -> dict:
    """A SingleStepTests-shaped MVN case: native, 16-bit index, $7F:1000 -> $7E:2000."""
    ram = [[0x008000, 0x54], [0x008001, 0x7E], [0x008002, 0x7F]]
    ram += [[0x7F1000 + k, 0x10 + k] for k in range(iterations)]
    final_ram = ram + [[0x7E2000 + k, 0x10 + k] for k in range(iterations)]
    regs = {"s": 0x01FF, "p": 0x00, "y": 0x2000, "dbr": 0, "d": 0, "pbr": 0, "e": 0}
    done = iterations == a + 1
    return {
        "name": "54 n synthetic",
        "initial": {**regs, "pc": 0x8000, "a": a, "x": 0x1000, "dbr": 0, "ram": ram},
        "final": {
            **regs, "pc": 0x8003 if done else 0x8000, "a": (a - iterations) & 0xFFFF,
            "x": 0x1000 + iterations, "y": 0x2000 + iterations, "dbr": 0x7E, "ram": final_ram,
        },
        "cycles": [[0, 0, "----"]] * listed_cycles,
    }  # fmt: skip


def test_runner_repeats_block_moves_for_the_listed_cycles() -> None:
    runner = Runner()
    complete = _mvn_case(a=2, listed_cycles=21, iterations=3)
    assert runner.run_test(complete) == ([], True)
    cut = _mvn_case(a=0x100, listed_cycles=100, iterations=14)  # upstream stops after 100 cycles
    diffs, _ = runner.run_test(cut)
    assert diffs == []
