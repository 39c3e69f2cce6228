"""`triforce build`: outputs, report, resumability after an interruption, determinism, bad input."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from gen_helpers import DATA
from triforce.errors import InputError
from triforce.generate.build import BuildOptions, run_build
from triforce.generate.routines import load_routines

GENS = ["base", "debug", "hook"]


def _opts(**kw: Any) -> BuildOptions:
    return BuildOptions(**{"generators": GENS, "workers": 1, "chunk": 2, **kw})


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines()


@pytest.fixture(scope="module")
def corpus() -> Any:
    return load_routines([DATA])


@pytest.fixture(scope="module")
def fresh(corpus: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("fresh")
    run_build(corpus, out, _opts(seed=7))
    return out


def test_outputs_and_report(fresh: Path) -> None:
    report = json.loads((fresh / "report.json").read_text())
    samples = [json.loads(x) for x in _lines(fresh / "samples.jsonl")]
    assert samples and report["totals"]["kept"] == len(samples)
    assert report["corpus"]["routines_read"] == 9
    for g in GENS:
        v = report["per_generator"][g]
        assert v["verified"] + sum(v["rejected"].values()) == v["candidates"]
    from triforce.dataset.sample_io import read_jsonl

    assert len(read_jsonl(fresh / "samples.jsonl").samples) == len(samples)  # the curation layer reads it
    rejects = [json.loads(x) for x in _lines(fresh / "rejects.jsonl")]
    assert {r["reason"] for r in rejects} >= {"unhookable"}
    assert report["per_generator"]["hook"]["rejected"]["unhookable"] >= 2


def test_interrupted_build_resumes_to_the_same_result(corpus: Any, fresh: Path, tmp_path: Path) -> None:
    out = tmp_path / "resumed"
    calls = {"n": 0}

    def interrupt(stage: str, advance: int, total: int | None) -> None:
        if stage == "generate" and advance:
            calls["n"] += 1
            if calls["n"] == 2:  # after the second chunk is saved
                raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_build(corpus, out, _opts(seed=7), progress=interrupt)
    assert not (out / "samples.jsonl").exists()
    units = _lines(out / ".work" / "units.jsonl")
    assert 0 < len(units) < 9
    # A crash mid-write leaves a torn line: it must be dropped, not break the rerun.
    with open(out / ".work" / "units.jsonl", "a") as fh:
        fh.write('{"routine": "torn')
    report = run_build(corpus, out, _opts(seed=7))
    assert report["resumed_units"] == len(units)
    assert _lines(out / "samples.jsonl") == _lines(fresh / "samples.jsonl")
    assert _lines(out / "rejects.jsonl") == _lines(fresh / "rejects.jsonl")


def test_same_seed_same_bytes_other_seed_differs(corpus: Any, fresh: Path, tmp_path: Path) -> None:
    run_build(corpus, tmp_path / "a", _opts(seed=7, workers=2))
    assert (tmp_path / "a" / "samples.jsonl").read_bytes() == (fresh / "samples.jsonl").read_bytes()
    run_build(corpus, tmp_path / "b", _opts(seed=8))
    assert (tmp_path / "b" / "samples.jsonl").read_bytes() != (fresh / "samples.jsonl").read_bytes()


def test_limit_per_type(corpus: Any, tmp_path: Path) -> None:
    report = run_build(corpus, tmp_path, _opts(seed=7, limit_per_type=2))
    assert all(v["kept"] <= 2 for v in report["per_generator"].values())
    assert report["totals"]["kept"] == len(_lines(tmp_path / "samples.jsonl")) == 6


def test_rerun_with_another_seed_starts_over(corpus: Any, fresh: Path, tmp_path: Path) -> None:
    out = tmp_path / "o"
    shutil.copytree(fresh, out)
    report = run_build(corpus, out, _opts(seed=9, limit_per_type=1))
    assert report["restarted"] and report["resumed_units"] == 0


def test_bad_input_skipped_and_nothing_readable_is_an_error(tmp_path: Path) -> None:
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    (mixed / "junk.asm").write_bytes(b"\xff\xfe\x00binary")
    shutil.copy(DATA / "debugcases.asm", mixed / "good.asm")
    corpus = load_routines([mixed, tmp_path / "missing"])
    assert len(corpus.routines) == 9
    skipped = dict(corpus.files_skipped)
    assert str(tmp_path / "missing") in skipped
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.asm").write_text("; nothing but a comment\n")
    with pytest.raises(InputError, match="no routines found"):
        load_routines([empty])


def test_cli_build_json(tmp_path: Path) -> None:
    from triforce.cli import app

    out = tmp_path / "cli"
    args = [
        "build",
        "--source",
        str(DATA),
        "--out",
        str(out),
        "-g",
        "base,doc",
        "-n",
        "3",
        "-j",
        "1",
        "--json",
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["per_generator"]["base"]["kept"] == 3 and report["per_generator"]["doc"]["kept"] == 3
    assert json.loads((out / "report.json").read_text())["totals"] == report["totals"]
    bad = CliRunner().invoke(app, ["build", "--source", str(DATA), "--out", str(out), "-g", "nope"])
    assert bad.exit_code != 0


def test_synthesizer_api(tmp_path: Path) -> None:
    from triforce.generate import AsmSynthesizer

    report = AsmSynthesizer(generator_types=["doc"], workers=1, sources=[DATA]).generate_unified_dataset(
        tmp_path, limit_per_type=2
    )
    assert report["per_generator"]["doc"]["kept"] == 2


@pytest.mark.slow
def test_ctrl_c_on_the_cli_then_rerun(corpus: Any, tmp_path: Path) -> None:
    """A real SIGINT to `triforce build`: exit 130, finished units kept, rerun completes identically."""
    import os
    import signal
    import subprocess
    import sys
    import time

    out = tmp_path / "cli"
    src = str(Path(__file__).resolve().parents[1] / "src")
    env = {**os.environ, "PYTHONPATH": src + os.pathsep + os.environ.get("PYTHONPATH", "")}
    cmd = [sys.executable, "-m", "triforce", "build", "--source", str(DATA), "--out", str(out)]
    cmd += ["-g", ",".join(GENS), "-j", "1", "--seed", "7"]
    proc = subprocess.Popen(
        cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip
    units = out / ".work" / "units.jsonl"
    deadline = time.monotonic() + 60
    while proc.poll() is None and time.monotonic() < deadline:
        if units.exists() and units.read_text().count("\n") >= 1:
            proc.send_signal(signal.SIGINT)
            break
        time.sleep(0.05)
    assert proc.wait(timeout=60) in (130, 0)  # 0 only if it finished before the signal landed
    rerun = subprocess.run([*cmd, "--json"], env=env, capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    ref = tmp_path / "ref"  # the same build, uninterrupted (with the CLI's default chunks)
    run_build(corpus, ref, BuildOptions(generators=GENS, workers=1, seed=7))
    assert json.loads(rerun.stdout)["totals"]["kept"] == len(_lines(ref / "samples.jsonl"))
    assert _lines(out / "samples.jsonl") == _lines(ref / "samples.jsonl")


@pytest.mark.slow
def test_forked_and_forkserver_workers_build_the_same_samples(corpus: Any, tmp_path: Path) -> None:
    """A process without threads forks its workers; one with threads (this pytest worker) uses a
    forkserver. Both must write the same samples."""
    import os
    import subprocess
    import sys
    import threading

    src = str(Path(__file__).resolve().parents[1] / "src")
    env = {**os.environ, "PYTHONPATH": src + os.pathsep + os.environ.get("PYTHONPATH", "")}
    script = (
        "import json, sys\nfrom pathlib import Path\n"
        "from triforce.generate.build import BuildOptions, run_build\n"
        "from triforce.generate.routines import load_routines\n"
        "if __name__ == '__main__':\n"
        f"    r = run_build(load_routines([Path({str(DATA)!r})]), Path(sys.argv[1]), "
        f"BuildOptions(generators={GENS!r}, workers=2, chunk=2, seed=7))\n"
        "    print(r['worker_start'])\n"
    )
    forked = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "fork")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert forked.returncode == 0, forked.stderr
    assert forked.stdout.strip() == "fork"
    keep_alive = threading.Event()
    helper = threading.Thread(target=keep_alive.wait, daemon=True)  # a thread: fork is unsafe now
    helper.start()
    try:
        report = run_build(
            corpus, tmp_path / "server", BuildOptions(generators=GENS, workers=2, chunk=2, seed=7)
        )
    finally:
        keep_alive.set()
    assert report["worker_start"] == "forkserver"
    assert _lines(tmp_path / "fork" / "samples.jsonl") == _lines(tmp_path / "server" / "samples.jsonl")


def test_a_timeout_on_a_loaded_machine_is_not_a_verdict() -> None:
    """A loaded machine stretches asar's runs past its wall-clock limit; such a run is assembled
    again, alone and with more time, before its timeout counts, so the unit log never keeps a
    reject the load made (a rerun or resume on a quieter machine would write other samples).
    A 1 ms limit stands in for the load: no asar process finishes that fast."""
    from triforce.generate.execution import Assembler
    from triforce.snes.asar import SandboxLimits, assemble

    tight = SandboxLimits(timeout_s=0.001, probe_timeout_s=0.001)
    src = "Main:\n    LDA.b #$01\n    STA.b $10\n    RTS\n"
    assert [d.code for d in assemble(src, limits=tight).errors] == ["Ttimeout"]
    for batch in (True, False):
        asm = Assembler(batch=batch, limits=tight)
        [res] = asm.assemble_many([src])
        assert res is not None and res.ok, res.errors
        assert bytes(res.chunks[0].data) == bytes([0xA9, 0x01, 0x85, 0x10, 0x60])
