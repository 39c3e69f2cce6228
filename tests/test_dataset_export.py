import json
from pathlib import Path

import pytest

from dataset_factory import ROUTINE_RESTYLED, make, prose_sample
from triforce.dataset.export import ExportConfig, export, order_samples, to_alpaca, to_sharegpt
from triforce.dataset.pipeline import CurationConfig, curate
from triforce.dataset.sample_io import read_samples
from triforce.dataset.splits import SplitConfig
from triforce.sample import Message, Provenance, Sample


def _mixed_corpus() -> list[Sample]:
    samples = []
    for i in range(24):
        samples.append(
            make(
                prose=f"Write routine number {i}",
                code=f"R{i}:\n  LDA #${i:02X}\n  STA $7EF36D\n  RTL",
                routine=f"R{i}",
                passed=i % 2 == 0,
                states=i % 4,
            )
        )
    samples += [prose_sample(i) for i in range(20)]
    samples += [
        make(
            prose=f"Design quest {i} and implement its trigger",
            code=f"Q{i}:\n  LDA $7EF3{i:02X}\n  ORA #$01\n  RTL",
            domain="cross",
            task="cross.implementation",
            source="quest-implementation",
            routine=f"Q{i}",
        )
        for i in range(12)
    ]
    return samples


def test_trl_messages_jsonl_loads_with_datasets(tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets")
    samples = _mixed_corpus()
    written = export(
        {"train": samples[:40], "test": samples[40:]},
        tmp_path,
        ExportConfig(formats=["messages", "alpaca", "sharegpt", "parquet"]),
    )
    files = {p.stem: str(p) for p in written["messages"]}
    ds = datasets.load_dataset("json", data_files=files, cache_dir=str(tmp_path / "hf-cache"))
    assert ds["train"].num_rows == 40 and ds["test"].num_rows == len(samples) - 40
    row = ds["train"][0]
    assert [m["role"] for m in row["messages"]] == ["user", "assistant"]
    for fmt in ("alpaca", "sharegpt"):
        loaded = datasets.load_dataset(
            "json",
            data_files={"train": str(tmp_path / fmt / "train.jsonl")},
            cache_dir=str(tmp_path / "hf-cache"),
        )
        assert loaded["train"].num_rows == 40
    assert len(read_samples(tmp_path / "parquet" / "train.parquet").samples) == 40


def test_alpaca_and_sharegpt_shapes() -> None:
    s = Sample(
        messages=[
            Message(role="system", content="You are an ALTTP expert."),
            Message(role="user", content="First question"),
            Message(role="assistant", content="First answer"),
            Message(role="user", content="Follow-up"),
            Message(role="assistant", content="Second answer"),
        ],
        domain="nayru",
        task="lore.canon",
        source="zelda-lore",
        provenance=Provenance(corpus="bundled", origin="original"),
    )
    a = to_alpaca(s)
    assert (a["instruction"], a["output"], a["system"]) == (
        "Follow-up",
        "Second answer",
        "You are an ALTTP expert.",
    )
    assert a["history"] == [["First question", "First answer"]]
    assert [c["from"] for c in to_sharegpt(s)["conversations"]] == ["system", "human", "gpt", "human", "gpt"]


def test_curriculum_puts_pure_domains_first() -> None:
    samples = _mixed_corpus()
    ordered = order_samples(samples, "curriculum", seed=1)
    domains = [s.domain for s in ordered]
    first_cross = domains.index("cross")
    assert all(d == "cross" for d in domains[first_cross:])
    assert set(domains[:first_cross]) == {"din", "nayru"}
    assert order_samples(samples, "curriculum", seed=1) == ordered


def test_curate_end_to_end_writes_data_card_and_charts(tmp_path: Path) -> None:
    samples = _mixed_corpus()
    dup = make(
        prose="Write routine number 0 (again)", code="r0:\n  lda #0\n  sta $7ef36d\n  rtl", routine="R0-copy"
    )
    commercial = make(
        prose="From the leak",
        code=ROUTINE_RESTYLED,
        corpus="gigaleak",
        origin="commercial-derived",
        routine="Leak",
    )
    suite = tmp_path / "suite.jsonl"
    suite.write_text(
        json.dumps(
            {
                "id": "q5",
                "prompt": "Design quest 5 and implement its trigger",
                "reference": "Q5:\n  LDA $7EF305\n  ORA #$01\n  RTL",
            }
        )
        + "\n",
        encoding="utf-8",
    )
    cfg = CurationConfig(
        name="test-set",
        out_dir=tmp_path / "ds",
        suites=[suite],
        filter={"exclude_origins": ["commercial-derived"]},
        split=SplitConfig(min_sizes={"validation": 3, "test": 3}),
        export=ExportConfig(formats=["messages", "alpaca", "sharegpt", "parquet"], order="curriculum"),
        mix="farore-questweaver",
        short="upsample",
    )
    result = curate([*samples, dup, commercial], cfg)
    assert result.filter.removed_by_reason == {"origin:commercial-derived": 1}
    assert result.dedup is not None and result.dedup.removed_by_layer()["code"] == 1
    assert result.decontam is not None and [h.item_id for h in result.decontam.hits] == ["q5"]
    assert result.mix is not None and result.leaks == 0
    # farore-questweaver takes only quest-implementation rows from this corpus: short, upsampled, said loudly
    assert any(w.startswith("SHORT quest-implementation") for w in result.warnings)
    ds = tmp_path / "ds"
    card = (ds / "README.md").read_text(encoding="utf-8")
    for needle in (
        "## Mix against quotas (farore-questweaver)",
        "**SHORT**",
        "Dedup:",
        "| code | 1 |",
        "Decontamination: 1 sample(s) removed",
        "origin:commercial-derived 1",
        "curriculum",
        "![mix_vs_quota.png](mix_vs_quota.png)",
    ):
        assert needle in card, needle
    for png in ("mix_vs_quota.png", "domains.png"):
        assert (ds / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    curation = json.loads((ds / "curation.json").read_text(encoding="utf-8"))
    assert curation["removed"]["decontam"][0]["item_id"] == "q5"
    assert sorted(curation["files"]) == ["alpaca", "messages", "parquet", "sharegpt"]
    assert not list(ds.rglob("*.tmp"))


def test_curate_in_memory_without_suites(tmp_path: Path) -> None:
    result = curate(_mixed_corpus(), CurationConfig(suites=[], split=SplitConfig(min_sizes={})))
    assert sum(len(v) for v in result.splits.values()) == len(_mixed_corpus())
    assert result.files == {} and result.card is None
    assert any("no evaluation items" in w for w in result.warnings)


def test_export_is_what_triforce_train_reads(tmp_path: Path) -> None:
    from triforce.train.data import read_conversations

    samples = _mixed_corpus()
    export(
        {"train": samples}, tmp_path / "euclid-asm", ExportConfig(formats=["messages"], order="curriculum")
    )
    convs = read_conversations([tmp_path / "euclid-asm" / "train.jsonl"])
    assert len(convs) == len(samples)
    assert {c.record["domain"] for c in convs} == {"din", "nayru", "cross"}


def test_build_step_curates_a_build_folder(tmp_path: Path) -> None:
    from triforce.dataset.pipeline import curate_build
    from triforce.dataset.sample_io import write_samples

    write_samples(tmp_path / "samples.jsonl", _mixed_corpus())
    with (tmp_path / "samples.jsonl").open("a", encoding="utf-8") as fh:
        fh.write("{broken\n")
    summary = curate_build(tmp_path, {})
    assert curate_build.__name__ == "curate_build"
    assert sum(summary["splits"].values()) == len(_mixed_corpus())
    assert summary["skipped_lines"] and ":57: invalid JSON" in summary["skipped_lines"][0]
    assert (tmp_path / "dataset" / "train.jsonl").exists() and (tmp_path / "dataset" / "README.md").exists()
