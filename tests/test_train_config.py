"""Training config schema, presets, data reading, curriculum and the model registry."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from triforce.errors import ConfigError, InputError, ToolNotFoundError
from triforce.train.config import CurriculumSection, load_config, preset_names
from triforce.train.data import fingerprint, length_stats, order_for_curriculum, read_conversations
from triforce.train.registry import load_registry, resolve, status_rows

pytestmark = pytest.mark.train

PRESETS = {
    "triforce-sage-32b": "triforce-sage-60k",
    "triforce-sage-24b": "triforce-sage-60k",
    "triforce-sage-14b": "triforce-sage-60k",
    "euclid-asm-1.5b": "euclid-asm",
    "seph-tilesmith-1.5b": "seph-tilesmith",
    "kaepora-teacher-4b": "kaepora-teacher",
    "nayru-lorekeeper-4b": "nayru-lorekeeper",
    "farore-questweaver-4b": "farore-questweaver",
    "saria-voice-4b": "saria-voice",
}


def test_every_preset_loads_and_names_its_mix() -> None:
    assert set(PRESETS) <= set(preset_names())
    for name, mix in PRESETS.items():
        cfg = load_config(name)
        assert cfg.name == name
        assert cfg.data.mix == mix
        assert cfg.lora.modules_to_save == []  # servable by vLLM multi-LoRA


def test_sage_32b_is_the_plan_recipe() -> None:
    cfg = load_config("triforce-sage-32b")
    assert cfg.model.name == "Qwen/Qwen2.5-Coder-32B"
    assert cfg.quantization.mode == "4bit" and cfg.quantization.quant_type == "nf4"
    assert (cfg.lora.rank, cfg.lora.alpha) == (32, 64)
    t = cfg.training
    assert (t.batch_size, t.gradient_accumulation, t.epochs) == (1, 8, 3)
    assert (t.learning_rate, t.warmup_steps, t.optimizer, t.scheduler) == (2e-5, 100, "adamw", "cosine")
    d = cfg.distributed
    assert (d.strategy, d.offload_optimizer, d.offload_params) == ("zero3", True, True)
    assert cfg.fallbacks == ["triforce-sage-24b", "triforce-sage-14b"]


def test_errors_name_file_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nmodel: {name: m}\nlora: {rank: 0}\ndata: {paths: [a.jsonl]}\n")
    with pytest.raises(ConfigError, match=r"bad\.yaml: lora\.rank"):
        load_config(bad)
    bad.write_text("name: x\nmodel: {name: m}\ndata: {paths: [a.jsonl]}\ntraining: {optimiser: adamw}\n")
    with pytest.raises(ConfigError, match=r"training\.optimiser"):
        load_config(bad)
    bad.write_text("name: x\nmodel: {name: m}\ndata: {}\n")
    with pytest.raises(ConfigError, match="data"):
        load_config(bad)
    bad.write_text("name: x\nmodel: {name: m}\ndata: {paths: [a]}\ndistributed: {offload_params: true}\n")
    with pytest.raises(ConfigError, match="offload_params needs strategy 'zero3'"):
        load_config(bad)
    bad.write_text("name: [unclosed\n")
    with pytest.raises(ConfigError, match=r"bad\.yaml:\d+: not valid YAML"):
        load_config(bad)
    with pytest.raises(ConfigError, match="neither a config file nor a preset"):
        load_config("no-such-preset")


def test_paths_resolve_against_the_config_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "cfg.yaml").write_text(
        "name: x\nmodel: {name: m}\ndata: {paths: [d/a.jsonl], mix: euclid-asm, dir: mixes}\n"
    )
    cfg = load_config(tmp_path / "cfg.yaml")
    assert cfg.data_files() == [tmp_path / "d/a.jsonl", tmp_path / "mixes/euclid-asm/train.jsonl"]
    assert cfg.output_dir() == tmp_path / "runs/x"
    monkeypatch.setenv("TRIFORCE_DATA_DIR", str(tmp_path / "env"))
    cfg = load_config("euclid-asm-1.5b")
    assert cfg.data_files() == [tmp_path / "env/euclid-asm/train.jsonl"]


def _write(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def _conv(text: str) -> list[dict]:
    return [{"role": "user", "content": text}, {"role": "assistant", "content": text.upper()}]


def test_reads_messages_and_sample_records_and_names_bad_lines(tmp_path: Path) -> None:
    plain = _write(tmp_path / "plain.jsonl", [{"messages": _conv("a")}])
    sample = _write(tmp_path / "s.jsonl", [{"messages": _conv("b"), "domain": "din", "meta": {"x": 1}}])
    convs = read_conversations([plain, sample])
    assert [c.messages[0]["content"] for c in convs] == ["a", "b"]
    assert convs[1].record["domain"] == "din"
    broken = tmp_path / "broken.jsonl"
    broken.write_text(json.dumps({"messages": _conv("a")}) + "\n{not json\n")
    with pytest.raises(InputError, match=r"broken\.jsonl:2"):
        read_conversations([broken])
    no_answer = _write(tmp_path / "q.jsonl", [{"messages": [{"role": "user", "content": "?"}]}])
    with pytest.raises(InputError, match=r"q\.jsonl:1: no assistant"):
        read_conversations([no_answer])
    bad_role = _write(tmp_path / "r.jsonl", [{"messages": [{"role": "tool", "content": "?"}]}])
    with pytest.raises(InputError, match=r"messages\[0\]"):
        read_conversations([bad_role])


def test_fingerprint_changes_with_content(tmp_path: Path) -> None:
    f = _write(tmp_path / "a.jsonl", [{"messages": _conv("a")}])
    first = fingerprint([f])
    assert first == fingerprint([f])
    _write(f, [{"messages": _conv("b")}])
    assert fingerprint([f])["sha256"] != first["sha256"]


def test_curriculum_orders_pure_domains_before_mixed(tmp_path: Path) -> None:
    domains = ["cross", "din", "farore", "nayru", "din", "cross", "other"]
    f = _write(
        tmp_path / "a.jsonl", [{"messages": _conv(str(i)), "domain": d} for i, d in enumerate(domains)]
    )
    convs = read_conversations([f])
    staged = order_for_curriculum(convs, CurriculumSection(order="field", field="domain"), seed=1)
    assert [c.record["domain"] for c in staged] == [
        "din",
        "din",
        "nayru",
        "farore",
        "cross",
        "cross",
        "other",
    ]
    kept = order_for_curriculum(convs, CurriculumSection(order="dataset"), seed=1)
    assert kept == convs
    nested = _write(
        tmp_path / "n.jsonl", [{"messages": _conv(str(i)), "meta": {"stage": s}} for i, s in enumerate("mpm")]
    )
    by_meta = order_for_curriculum(
        read_conversations([nested]),
        CurriculumSection(order="field", field="meta.stage", stages=["p", "m"]),
        seed=0,
    )
    assert [c.record["meta"]["stage"] for c in by_meta] == ["p", "m", "m"]


def test_length_stats() -> None:
    st = length_stats(list(range(1, 101)), max_length=90)
    assert (st.min, st.p50, st.p95, st.max, st.over_max) == (1, 51, 95, 100, 10)


def test_registry_hierarchy_alias_and_override(tmp_path: Path) -> None:
    reg = load_registry()
    assert reg["oracle-council"].kind == "router"
    assert {"oracle-din", "oracle-nayru", "oracle-farore"} <= set(reg)
    assert reg["oracle-din"].members == ["euclid-asm", "seph-tilesmith"]
    assert resolve(reg, "master-sword").name == "triforce-sage"
    for e in reg.values():
        if e.kind == "specialist":
            assert e.preset in preset_names() and e.base_model == load_config(e.preset).model.name
    adapter = tmp_path / "euclid"
    adapter.mkdir()
    (adapter / "adapter_config.json").write_text("{}")
    user = tmp_path / "models.toml"
    user.write_text(
        f'[models.euclid-asm]\nkind = "specialist"\ncategory = "oracle-din"\nbase_model = "b"\nadapter = "{adapter}"\n'
    )
    rows = {r["name"]: r for r in status_rows(load_registry(user))}
    assert rows["euclid-asm"]["adapter_present"] is True
    assert rows["oracle-din"]["status"] == "1/2 member adapters"
    assert rows["saria-voice"]["status"] == "no adapter"
    user.write_text('[models.x]\nkind = "category"\nmembers = ["nobody"]\n')
    with pytest.raises(ConfigError, match="unknown model 'nobody'"):
        load_registry(user)


def test_qlora_without_cuda_is_a_clear_error() -> None:
    torch = pytest.importorskip("torch")

    from triforce.train.runner import check_environment

    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(ToolNotFoundError, match="needs a CUDA GPU"):
        check_environment(load_config("triforce-sage-32b"))
    cfg = load_config("triforce-sage-32b", {"quantization.mode": "none"})
    with pytest.raises(ToolNotFoundError, match="DeepSpeed offload needs CUDA"):
        check_environment(cfg)


def test_notes_flag_settings_that_defeat_their_purpose() -> None:
    pytest.importorskip("torch")
    from triforce.train.runner import notes

    assert notes(load_config("euclid-asm-1.5b")) == []
    packed_curriculum = load_config(
        "euclid-asm-1.5b", {"curriculum.order": "field", "lora.modules_to_save": ["lm_head"]}
    )
    text = " ".join(notes(packed_curriculum))
    assert "curriculum order" in text and "vLLM" in text
