"""oracle-council's router: held-out accuracy, the plan's decision rule, calibration, config errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from triforce.cli import app
from triforce.errors import ConfigError
from triforce.serve.calibrate import (
    bundled_examples,
    dataset_examples,
    domain_for_task,
    evaluate,
    fit,
    suite_examples,
    write_router_config,
)
from triforce.serve.router import Router, load_router_config, request_text


@pytest.fixture(scope="module")
def router() -> Router:
    return Router()


DOMAINS = {"asm", "graphics", "compression", "cpp", "lore", "quest", "dialogue", "teaching", "cross"}


def test_heldout_accuracy_per_domain(router: Router) -> None:
    """Held out: paraphrases written apart from the training set, the dataset's held-out split
    (never fitted on) and the evaluation suites' prompts."""
    heldout = bundled_examples("heldout") + suite_examples()
    train_texts = {ex.text for ex in bundled_examples("train")}
    assert not train_texts & {ex.text for ex in heldout}, "held-out requests must not be in the training set"
    acc = evaluate(router, heldout)
    print(f"\nrouter held-out: route accuracy {acc.route_accuracy:.3f} ({acc.route_correct}/{acc.n}), "
          f"ECE {acc.ece:.3f}, per domain {acc.per_domain()}")  # fmt: skip
    assert acc.route_accuracy >= 0.90 and acc.domain_accuracy >= 0.85
    per_domain = acc.per_domain()
    assert set(per_domain) == DOMAINS | {"unclear"}  # every domain is measured
    for domain, (correct, n) in per_domain.items():
        assert n >= 5 and correct / n >= 0.5, (domain, correct, n)
    for kind in ("specialist", "unified", "moe"):
        correct, total = acc.by_kind[kind]
        assert total >= 5 and correct >= total * 2 / 3, (kind, acc.errors)
    assert acc.ece <= 0.05  # calibrated: a probability means what it says
    assert sum(acc.confusion["compression"].values()) == per_domain["compression"][1]


def test_packaged_weights_are_the_calibrated_ones() -> None:
    """The shipped router is what `fit` gives on the shipped examples (tools/refit_router.py)."""
    config = load_router_config()
    fitted = fit(config, bundled_examples("train"))
    assert fitted.vocabulary == config.vocabulary
    assert fitted.threshold == pytest.approx(config.threshold, abs=1e-6)
    for domain in config.domains:
        assert fitted.bias[domain] == pytest.approx(config.bias[domain], abs=0.01)
        assert set(fitted.weights[domain]) == set(config.weights[domain]), domain
        for feature, weight in config.weights[domain].items():
            assert fitted.weights[domain][feature] == pytest.approx(weight, abs=0.01), (domain, feature)


def test_dataset_prompts_are_labelled_by_task_and_split_by_group(tmp_path: Path) -> None:
    from triforce.dataset.sample_io import write_jsonl
    from triforce.sample import Message, Provenance, Sample

    def sample(task: str, text: str, group: str) -> Sample:
        domain = "cross" if task.startswith("cross") else "din"
        return Sample(
            messages=[Message(role="system", content="sys"), Message(role="user", content=text),
                      Message(role="assistant", content="a")],
            domain=domain, task=task, source="x", provenance=Provenance(corpus="t", origin="original"), group=group,
        )  # fmt: skip

    rows = [sample(t, f"{t} request {i}", f"g{i % 7}") for t in ("gfx.tile", "cpp.rom", "lore.canon")
            for i in range(30)]  # fmt: skip
    rows += [sample("unknown.task", "ignored", "g0"), sample("cross.implementation", "design then code", "q")]
    write_jsonl(tmp_path / "samples.jsonl", rows)
    (tmp_path / "other.jsonl").write_text('{"messages": []}\n')  # not read: samples.jsonl is there
    found = dataset_examples([tmp_path], per_task=8)
    by_task: dict[tuple[str, str], list[str]] = {}
    for ex in found:
        by_task.setdefault((ex.source, ex.split), []).append(ex.text)
        assert ex.domains == {domain_for_task(ex.source.removeprefix("dataset:"))}
    assert {domain_for_task(t) for t in ("gfx.tile", "cpp.rom", "lore.canon", "cross.x", "canon.y", "doc.z")} == {
        "graphics", "cpp", "lore", "cross", "teaching"}  # fmt: skip
    assert all(len(v) <= 8 for (_, split), v in by_task.items() if split == "train")
    assert {ex.split for ex in found} == {"train", "heldout"}
    groups = {}
    for ex in found:  # one group, one split
        assert groups.setdefault(ex.group, ex.split) == ex.split
    assert "ignored" not in {ex.text for ex in found}
    assert [ex.text for ex in dataset_examples([tmp_path], per_task=8)] == [ex.text for ex in found]


def test_pure_request_goes_to_its_specialist(router: Router) -> None:
    d = router.route("Write an asar hook: JSL to freespace, LDA $7EF360, CLC, ADC #$0010, STA $7EF360, RTL.")
    assert (d.kind, d.scope, d.model, d.domains) == ("specialist", "pure", "euclid-asm", ("asm",))
    assert d.scores[0].domain == "asm" and d.scores[0].probability >= d.threshold
    assert any("asm_mnemonic" in r for r in d.reasons)
    d = router.route("Convert this PNG into 4bpp tiles and a BGR555 palette for CGRAM.")
    assert d.model == "seph-tilesmith"


def test_cross_domain_request_goes_to_triforce_sage(router: Router) -> None:
    d = router.route(
        "Design a quest where Link must find a hidden fairy fountain, "
        "then implement the trigger and reward logic in ASM."
    )
    assert (d.kind, d.scope, d.model) == ("unified", "cross", "triforce-sage")
    assert {"quest", "asm"} <= set(d.domains) <= {"quest", "asm", "cross"}


def test_every_domain_has_its_model(router: Router) -> None:
    cases = {
        "Compress this tile data with LC_LZ2 and show the commands.": "seph-tilesmith",
        "In yaze, which C++ class loads the ROM header?": "euclid-asm",
        "Write an NPC greeting for the innkeeper of Kakariko, three short lines.": "saria-voice",
        "Explain to a beginner what the carry flag does, step by step.": "kaepora-teacher",
        "Design a dungeon with a switch puzzle, then write the ASM that opens the door.": "triforce-sage",
    }
    for text, model in cases.items():
        assert router.route(text).model == model, (text, router.route(text).reasons)


def test_unclear_request_fans_out_to_specialists(router: Router) -> None:
    d = router.route("Any thoughts?")
    assert (d.kind, d.scope, d.model, d.domains) == ("moe", "unclear", "oracle-council", ())
    cfg = router.config
    assert cfg.moe_min_experts <= len(d.experts) <= cfg.moe_max_experts
    assert all(cfg.domains[dom].model == model for dom, model in d.experts)
    assert "MoE" in d.reasons[-1]


def test_follow_up_turn_routes_on_the_conversation(router: Router) -> None:
    messages = [
        {"role": "user", "content": "Write a routine: LDA $7EF36C, STA $7EF36D, RTL."},
        {"role": "assistant", "content": "Here it is ..."},
        {"role": "user", "content": "Make it shorter."},
    ]
    assert router.route("Make it shorter.").kind == "moe"
    d = router.route_messages(messages)
    assert d.model == "euclid-asm" and any("routed on all 2 user turns" in r for r in d.reasons)
    assert router.route_messages(messages[-1:]).kind == "moe"


def test_category_restricts_candidates(router: Router) -> None:
    prompt = "Explain the legend of the Master Sword"
    d = router.route(prompt, only=["asm", "graphics"])
    assert d.kind == "specialist" and d.model in {"euclid-asm", "seph-tilesmith"}
    assert router.route(prompt, only=["lore", "teaching"]).model in {"nayru-lorekeeper", "kaepora-teacher"}


def test_request_text_reads_the_last_user_turn() -> None:
    messages = [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "first"},
        {"role": "assistant", "content": "ok"},
        {
            "role": "user",
            "content": [{"type": "text", "text": "LDA"}, {"type": "image_url", "image_url": {}}],
        },
    ]
    assert request_text(messages) == "LDA"
    assert request_text([{"role": "system", "content": "x"}]) == ""


def test_config_errors_name_the_field(tmp_path: Path) -> None:
    raw = load_router_config().raw
    bad = tmp_path / "router.yaml"
    bad.write_text(yaml.safe_dump(raw | {"features": {**raw["features"], "broken": "(unclosed"}}))
    with pytest.raises(ConfigError, match=r"features\.broken"):
        load_router_config(bad)
    weights = {**raw["weights"], "asm": {**raw["weights"]["asm"], "no_such_feature": 1.0}}
    bad.write_text(yaml.safe_dump(raw | {"weights": weights}))
    with pytest.raises(ConfigError, match=r"weights\.asm.*no_such_feature"):
        load_router_config(bad)
    bad.write_text(yaml.safe_dump(raw | {"threshold": 1.5}))
    with pytest.raises(ConfigError, match="threshold"):
        load_router_config(bad)


def test_router_models_must_exist_in_the_registry(tmp_path: Path) -> None:
    from triforce.serve.gateway import Gateway

    raw = load_router_config().raw
    path = tmp_path / "router.yaml"
    path.write_text(yaml.safe_dump(raw | {"unified": "no-such-model"}))
    with pytest.raises(ConfigError, match=r"unified.*no-such-model"):
        Gateway.from_files(router=load_router_config(path))


def test_calibrate_round_trip(tmp_path: Path) -> None:
    config = load_router_config()
    out = tmp_path / "router.yaml"
    write_router_config(config, out)
    again = load_router_config(out)
    assert again.weights == config.weights and again.threshold == config.threshold
    assert list(again.domains) == list(config.domains)


def test_cli_route_json_and_evaluate() -> None:
    runner = CliRunner()
    res = runner.invoke(app, ["route", "Who forged the Master Sword in the legend?", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["model"] == "nayru-lorekeeper" and data["kind"] == "specialist"
    assert set(data["scores"]) == DOMAINS
    res = runner.invoke(app, ["route", "--evaluate", "--json"])
    assert res.exit_code == 0, res.output
    report = json.loads(res.output)
    assert report["route_accuracy"] >= 0.90 and set(report["confusion"]) == DOMAINS | {"unclear"}
    res = runner.invoke(app, ["route", "--evaluate"], env={"COLUMNS": "80"})
    assert res.exit_code == 0 and max(len(line) for line in res.output.splitlines()) <= 80
    assert "compression" in res.output and "confusion" not in res.output


def test_cli_calibrate_from_a_dataset_writes_a_loadable_router(tmp_path: Path) -> None:
    from triforce.serve.calibrate import write_examples

    mined = tmp_path / "samples.jsonl"
    # A prompt file in the dataset's own words, as Sample rows: reuse the packaged dataset rows.
    from triforce.dataset.sample_io import write_jsonl
    from triforce.sample import Message, Provenance, Sample

    rows = [
        Sample(messages=[Message(role="user", content=f"Encode tile {i} as 4bpp planar bytes with db lines.")],
               domain="din", task="gfx.tile_encode", source="graphics-tiles",
               provenance=Provenance(corpus="t", origin="original"), group=f"tile{i}")
        for i in range(20)
    ]  # fmt: skip
    write_jsonl(mined, rows)
    out = tmp_path / "fitted.yaml"
    res = CliRunner().invoke(
        app, ["route", "--calibrate", "--from-dataset", str(tmp_path), "--out", str(out), "--json"]
    )
    assert res.exit_code == 0, res.output
    report = json.loads(res.output)
    assert report["heldout"]["route_accuracy"] >= 0.85 and report["trained_on"] > len(
        bundled_examples("train")
    )
    fitted = load_router_config(out)
    assert fitted.threshold == report["threshold"]
    assert (
        Router(fitted).route("Encode tile 99 as 4bpp planar bytes with db lines.").model == "seph-tilesmith"
    )
    res = CliRunner().invoke(app, ["route", "--calibrate"])
    assert res.exit_code != 0 and "--out" in str(res.exception)
    write_examples(bundled_examples("heldout")[:3], tmp_path / "few.jsonl")
    res = CliRunner().invoke(
        app, ["route", "--evaluate", "--examples", str(tmp_path / "few.jsonl"), "--json"]
    )
    assert json.loads(res.output)["n"] == 3
