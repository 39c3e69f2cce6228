"""The whole pipeline on CPU: `triforce build` on the bundled corpus, its curated dataset, then
`triforce train` on that dataset with a tiny locally built model (nothing downloaded)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from triforce.cli import app
from triforce.dataset.sample_io import read_jsonl

pytestmark = [pytest.mark.train, pytest.mark.slow]
pytest.importorskip("trl")

runner = CliRunner()


def _invoke(*args: str) -> str:
    result = runner.invoke(app, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture(scope="module")
def build_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("build") / "triforce-out"
    _invoke("build", "--out", str(out), "-g", "base,debug,doc", "-n", "30", "-j", "1", "--json")
    return out


def test_build_curates_a_leak_free_dataset(build_out: Path) -> None:
    report = json.loads((build_out / "report.json").read_text())
    curated = report["post_build"]["curate_build"]
    assert curated["leaks"] == 0
    dataset = build_out / "dataset"
    assert (dataset / "README.md").is_file() and (dataset / "curation.json").is_file()
    kept = read_jsonl(build_out / "samples.jsonl").samples
    assert all(s.verification is not None and s.verification.passed for s in kept)
    split_total = sum(curated["splits"].values())
    removed = curated["dedup"]["removed"] + curated["decontam"]["removed"]
    assert split_total + removed == len(kept)
    train_rows = [json.loads(line) for line in (dataset / "train.jsonl").read_text().splitlines()]
    assert train_rows and all(set(r) >= {"messages"} for r in train_rows)


def test_train_on_the_built_dataset(build_out: Path, tmp_path: Path) -> None:
    from triforce.train import tiny

    rows = [json.loads(line) for line in (build_out / "dataset" / "train.jsonl").read_text().splitlines()]
    tiny.build_tiny_model(tmp_path / "tiny", rows)
    config = {
        "name": "e2e",
        "model": {"name": str(tmp_path / "tiny")},
        "lora": {"rank": 8, "alpha": 16, "dropout": 0.0},
        "training": {
            "batch_size": 4,
            "gradient_accumulation": 1,
            "epochs": 50,
            "learning_rate": 1e-2,
            "warmup_steps": 2,
            "seq_length": 1024,
            "gradient_checkpointing": False,
        },
        "data": {"paths": [str(build_out / "dataset" / "train.jsonl")]},
        "output": {"dir": str(tmp_path / "runs" / "e2e")},
        "logging": {"steps": 4},
        "checkpointing": {"save_steps": 100},
    }
    path = tmp_path / "e2e.yaml"
    path.write_text(yaml.safe_dump(config))
    _invoke("train", str(path), "--max-steps", "24", "--json")
    run = tmp_path / "runs" / "e2e"
    losses = [loss for _, loss in json.loads((run / "metrics.json").read_text())["losses"]]
    assert losses[-1] < losses[0], losses
    assert (run / "adapter" / "adapter_config.json").is_file()
