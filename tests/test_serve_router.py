"""oracle-council's router: held-out accuracy, the plan's decision rule, calibration, config errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from triforce.cli import app
from triforce.errors import ConfigError
from triforce.serve.calibrate import bundled_examples, evaluate, fit, write_router_config
from triforce.serve.router import Router, load_router_config, request_text


@pytest.fixture(scope="module")
def router() -> Router:
    return Router()


def test_heldout_accuracy(router: Router) -> None:
    heldout = bundled_examples("heldout")
    train_texts = {ex.text for ex in bundled_examples("train")}
    assert len(heldout) >= 50
    assert not train_texts & {ex.text for ex in heldout}, "held-out requests must not be in the training set"
    acc = evaluate(router, heldout)
    print(
        f"\nrouter held-out: route accuracy {acc.route_accuracy:.3f} ({acc.route_correct}/{acc.n}), "
        f"domain-set accuracy {acc.domain_accuracy:.3f}"
    )
    assert acc.route_accuracy >= 0.85
    assert acc.domain_accuracy >= 0.80
    print("by expected route:", acc.to_json()["by_kind"])
    # Every kind of decision is exercised by the held-out set, and each is mostly right.
    for kind in ("specialist", "unified", "moe"):
        correct, total = acc.by_kind[kind]
        assert total >= 5 and correct >= total * 2 / 3, (kind, acc.errors)


def test_packaged_weights_are_the_calibrated_ones() -> None:
    """The shipped weights come from `fit` on the shipped training set, not from hand-tuning."""
    config = load_router_config()
    fitted = fit(config, bundled_examples("train"))
    assert fitted.threshold == pytest.approx(config.threshold, abs=1e-6)
    for domain in config.domains:
        assert fitted.bias[domain] == pytest.approx(config.bias[domain], abs=0.01)
        for feature, weight in config.weights[domain].items():
            assert fitted.weights[domain][feature] == pytest.approx(weight, abs=0.01), (domain, feature)


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
    assert set(d.domains) == {"quest", "asm"}


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
    assert set(data["scores"]) == {"asm", "graphics", "lore", "quest", "dialogue", "teaching"}
    res = runner.invoke(app, ["route", "--evaluate", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["route_accuracy"] >= 0.85


def test_cli_calibrate_writes_a_loadable_router(tmp_path: Path) -> None:
    out = tmp_path / "fitted.yaml"
    res = CliRunner().invoke(app, ["route", "--calibrate", "--out", str(out), "--json"])
    assert res.exit_code == 0, res.output
    report = json.loads(res.output)
    assert report["heldout"]["route_accuracy"] >= 0.85
    assert load_router_config(out).threshold == report["threshold"]
    res = CliRunner().invoke(app, ["route", "--calibrate"])
    assert res.exit_code != 0 and "--out" in str(res.exception)
