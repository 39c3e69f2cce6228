import json
from pathlib import Path

from typer.testing import CliRunner

from dataset_factory import make, prose_sample
from triforce.cli import app
from triforce.dataset.sample_io import read_samples, write_samples
from triforce.errors import ConfigError, InputError

runner = CliRunner()


def _input(tmp_path: Path) -> Path:
    samples = [prose_sample(i) for i in range(30)] + [
        make(),
        make(prose="  write A ROUTINE that adds 16 rupees to the rupee goal, capped at 999."),
    ]
    path = tmp_path / "in.jsonl"
    write_samples(path, samples)
    return path


def test_stats_json(tmp_path: Path) -> None:
    res = runner.invoke(app, ["dataset", "stats", str(_input(tmp_path)), "--json"])
    assert res.exit_code == 0, res.output
    payload = json.loads(res.output)
    assert payload["count"] == 32 and payload["domains"] == {"nayru": 30, "din": 2}


def test_dedup_then_split_then_export_then_card(tmp_path: Path) -> None:
    deduped = tmp_path / "dedup.parquet"
    res = runner.invoke(app, ["dataset", "dedup", str(_input(tmp_path)), "-o", str(deduped), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["removed_by_layer"]["exact"] == 1
    assert len(read_samples(deduped).samples) == 31
    res = runner.invoke(
        app,
        [
            "dataset",
            "split",
            str(deduped),
            "-o",
            str(tmp_path / "splits"),
            "--min-validation",
            "2",
            "--min-test",
            "2",
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["leaks"] == 0
    res = runner.invoke(
        app,
        [
            "dataset",
            "export",
            str(tmp_path / "splits"),
            "-o",
            str(tmp_path / "ds"),
            "--format",
            "messages,sharegpt",
        ],
    )
    assert res.exit_code == 0, res.output
    assert (tmp_path / "ds" / "train.jsonl").exists() and (
        tmp_path / "ds" / "sharegpt" / "train.jsonl"
    ).exists()
    (tmp_path / "ds" / "README.md").unlink()
    res = runner.invoke(app, ["dataset", "card", str(tmp_path / "ds")])
    assert res.exit_code == 0, res.output
    assert "## Splits" in (tmp_path / "ds" / "README.md").read_text(encoding="utf-8")


def test_mix_reports_short_rows(tmp_path: Path) -> None:
    res = runner.invoke(
        app,
        [
            "dataset",
            "mix",
            str(_input(tmp_path)),
            "-o",
            str(tmp_path / "m.jsonl"),
            "--preset",
            "nayru-lorekeeper",
        ],
    )
    assert res.exit_code == 0, res.output
    assert "SHORT zelda-lore" in res.output and "SHORT canon-verification" in res.output


def test_decontam_with_suite(tmp_path: Path) -> None:
    suite = tmp_path / "s.jsonl"
    prompt = prose_sample(4).prompt()
    suite.write_text(json.dumps({"id": "x1", "prompt": prompt, "reference": "n/a"}) + "\n", encoding="utf-8")
    res = runner.invoke(
        app,
        [
            "dataset",
            "decontam",
            str(_input(tmp_path)),
            "-o",
            str(tmp_path / "c.jsonl"),
            "-s",
            str(suite),
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    payload = json.loads(res.output)
    assert payload["removed"] == 1 and payload["hits"][0]["item_id"] == "x1"


def test_malformed_input_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(make().model_dump_json() + "\n{oops\n", encoding="utf-8")
    res = runner.invoke(app, ["dataset", "stats", str(path)])
    assert isinstance(res.exception, InputError)
    assert f"{path}:2: invalid JSON" in str(res.exception)
    res = runner.invoke(app, ["dataset", "stats", str(path), "--skip-bad", "--json"])
    assert res.exit_code == 0


def test_curate_with_config_file(tmp_path: Path) -> None:
    cfg = tmp_path / "curate.yaml"
    cfg.write_text(
        "name: cli-set\nsuites: []\nsplit: {min_sizes: {validation: 2, test: 2}}\n"
        "filter: {exclude_corpora: [gigaleak]}\n",
        encoding="utf-8",
    )
    out = tmp_path / "ds"
    res = runner.invoke(
        app,
        [
            "dataset",
            "curate",
            str(_input(tmp_path)),
            "-o",
            str(out),
            "-c",
            str(cfg),
            "--format",
            "messages,alpaca",
            "--curriculum",
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    summary = json.loads(res.output[res.output.index("{") :])
    assert summary["dedup"]["removed_by_layer"]["exact"] == 1
    assert sum(summary["splits"].values()) == 31
    assert (out / "alpaca" / "train.jsonl").exists() and (out / "README.md").exists()


def test_bad_curation_config_names_the_field(tmp_path: Path) -> None:
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("split: {fractions: {train: 2}}\ndedup: {near_threshold: 3}\n", encoding="utf-8")
    res = runner.invoke(
        app, ["dataset", "curate", str(_input(tmp_path)), "-o", str(tmp_path / "x"), "-c", str(cfg)]
    )
    assert isinstance(res.exception, ConfigError)
    assert "bad.yaml: field" in str(res.exception)
