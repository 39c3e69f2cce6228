"""The domain-generator plumbing: build (limits, resume, rejects, workers) and `dataset verify`.

A toy generator proves that the sum in its answer is right; `check` re-derives it from the
assistant message, so an edited message fails verification.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from triforce.generate import domain
from triforce.generate.build import BuildOptions, generator_names, run_build
from triforce.generate.domain import DomainGenerator, Source, Unit, UnitResult, checked, make_domain_sample
from triforce.generate.routines import load_routines
from triforce.generate.verify import verify_samples
from triforce.sample import Provenance


class SumGenerator(DomainGenerator):
    name = "toy-sum"
    tasks = ("toy.sum",)

    def units(self, sources: Sequence[Source], seed: int) -> list[Unit]:
        return [Unit(f"pair-{i:03d}", (i, i + seed)) for i in range(10)]

    def run(self, unit: Unit, seed: int) -> UnitResult:
        a, b = unit.payload
        out = UnitResult(candidates=1)
        if a == 3:
            out.reject("unlucky", "three is left out on purpose")
            return out
        if a == 4:
            raise RuntimeError("a bug in one unit")
        out.samples.append(
            make_domain_sample(
                self,
                task="toy.sum",
                domain="din",
                source="toy",
                user=f"What is {a} + {b}?",
                assistant=f"{a} + {b} = {a + b}",
                provenance=Provenance(corpus="toy", origin="synthetic"),
                verification=checked("arithmetic"),
                group=f"toy:{a}",
            )
        )
        return out

    def check(self, sample: dict[str, Any]) -> list[str]:
        answer = sample["messages"][-1]["content"]
        m = re.fullmatch(r"(\d+) \+ (\d+) = (\d+)", answer)
        if not m:
            return ["answer is not `a + b = c`"]
        a, b, c = map(int, m.groups())
        return [] if a + b == c else [f"{a} + {b} is {a + b}, not {c}"]


@pytest.fixture(autouse=True)
def _toy() -> None:
    domain.register("toy-sum", f"{__name__}:SumGenerator")


def _build(out: Path, **kw: Any) -> dict[str, Any]:
    corpus = load_routines([], required=False)
    return run_build(corpus, out, BuildOptions(generators=["toy-sum"], **kw))


def _rows(out: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (out / "samples.jsonl").read_text().splitlines()]


def test_build_runs_domain_units_in_order_with_rejects(tmp_path: Path) -> None:
    report = _build(tmp_path / "a", workers=1, seed=1)
    rows = _rows(tmp_path / "a")
    assert [r["messages"][0]["content"] for r in rows][:3] == [
        "What is 0 + 1?",
        "What is 1 + 2?",
        "What is 2 + 3?",
    ]
    assert len(rows) == 8 and all(r["meta"]["generator"] == "toy-sum" for r in rows)
    rejected = report["per_generator"]["toy-sum"]["rejected"]
    assert rejected == {"unlucky": 1, "internal-error": 1}
    rejects = [json.loads(x) for x in (tmp_path / "a" / "rejects.jsonl").read_text().splitlines()]
    assert any("a bug in one unit" in r["detail"] for r in rejects)
    assert report["domain_units"]["toy-sum"] == {"units": 10, "resumed": 0}
    assert "toy-sum" in generator_names()


def test_workers_and_resume_give_the_same_bytes(tmp_path: Path) -> None:
    _build(tmp_path / "one", workers=1, domain_chunk=3)
    _build(tmp_path / "two", workers=2, domain_chunk=3)
    assert (tmp_path / "one" / "samples.jsonl").read_bytes() == (
        tmp_path / "two" / "samples.jsonl"
    ).read_bytes()
    again = _build(tmp_path / "one", workers=1, domain_chunk=3)
    assert again["domain_units"]["toy-sum"]["resumed"] == 10
    assert (tmp_path / "one" / "samples.jsonl").read_bytes() == (
        tmp_path / "two" / "samples.jsonl"
    ).read_bytes()


def test_forkserver_workers_know_registered_generators(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    from triforce.generate import domain_run

    # a second thread makes the build start workers from a clean forkserver instead of fork
    monkeypatch.setattr(domain_run.threading, "active_count", lambda: 2)
    assert threading.active_count() >= 1
    _build(tmp_path / "fs", workers=2, domain_chunk=3)
    _build(tmp_path / "one", workers=1, domain_chunk=3)
    assert (tmp_path / "fs" / "samples.jsonl").read_bytes() == (
        tmp_path / "one" / "samples.jsonl"
    ).read_bytes()


def test_limit_per_type(tmp_path: Path) -> None:
    report = _build(tmp_path, workers=1, limit_per_type=2, domain_chunk=2)
    assert report["per_generator"]["toy-sum"]["kept"] == 2
    assert len(_rows(tmp_path)) == 2


def test_verify_reproves_from_the_message(tmp_path: Path) -> None:
    _build(tmp_path, workers=1)
    rows = _rows(tmp_path)
    report = verify_samples(rows)
    assert report.checked == 8 and report.passed == 8 and not report.failed
    rows[2]["messages"][-1]["content"] = "2 + 2 = 5"
    report = verify_samples(rows)
    assert report.passed == 7
    assert report.failed[0]["problem"] == "2 + 2 is 4, not 5"


def test_unknown_generator_is_a_clear_error(tmp_path: Path) -> None:
    from triforce.errors import ConfigError

    with pytest.raises(ConfigError, match="unknown generator"):
        run_build(load_routines([], required=False), tmp_path, BuildOptions(generators=["nope"]))
