"""End to end on CPU: `triforce train` on a tiny Qwen2 model with a locally trained tokenizer.

The data is written as Triforce Sample JSONL (what `triforce build` emits), so metadata the
trainer must ignore is present. Nothing is downloaded.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from triforce.cli import app
from triforce.train import tiny as _tiny

pytestmark = [pytest.mark.train, pytest.mark.slow]
pytest.importorskip("trl")
pytest.importorskip("peft")

runner = CliRunner()


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("train")
    rows = _tiny.conversations(48)
    _tiny.build_tiny_model(root / "tiny-qwen2", rows)
    _tiny.write_sample_jsonl(root / "samples.jsonl", rows)
    _tiny.write_messages_jsonl(root / "messages.jsonl", rows[:8])
    return root


def _config(root: Path, name: str, **training: object) -> Path:
    cfg = {
        "name": name,
        "model": {"name": str(root / "tiny-qwen2")},
        "lora": {"rank": 8, "alpha": 16, "dropout": 0.0},
        "training": {
            "batch_size": 4,
            "gradient_accumulation": 1,
            "epochs": 10,
            "learning_rate": 1e-2,
            "warmup_steps": 2,
            "seq_length": 96,
            "gradient_checkpointing": False,
            **training,
        },
        "data": {"paths": ["samples.jsonl", "messages.jsonl"]},
        "output": {"dir": f"runs/{name}"},
        "logging": {"steps": 4},
        "checkpointing": {"save_steps": 10, "save_total_limit": 2},
    }
    path = root / f"{name}.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def _invoke(*args: str) -> str:
    result = runner.invoke(app, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture(scope="module")
def trained(workspace: Path) -> Path:
    cfg = _config(workspace, "tiny")
    _invoke("train", str(cfg), "--max-steps", "30", "--json")
    return workspace / "runs/tiny"


def test_train_loss_decreases_and_everything_is_saved(trained: Path, workspace: Path) -> None:
    metrics = json.loads((trained / "metrics.json").read_text())
    losses = [loss for _, loss in metrics["losses"]]
    assert metrics["global_step"] == 30 and len(losses) == 7
    assert losses[-1] < losses[0] - 0.3, losses
    assert metrics["samples"] == 56  # 48 Sample records + 8 plain messages records
    assert metrics["tokens_seen"] > 0
    for f in ("adapter_model.safetensors", "adapter_config.json", "tokenizer.json", "chat_template.jinja"):
        assert (trained / "adapter" / f).is_file(), f
    adapter_cfg = json.loads((trained / "adapter/adapter_config.json").read_text())
    assert adapter_cfg["r"] == 8 and not adapter_cfg.get("modules_to_save")
    resolved = yaml.safe_load((trained / "config.resolved.yaml").read_text())
    assert resolved["training"]["max_steps"] == 30 and resolved["lora"]["rank"] == 8
    fp = json.loads((trained / "dataset.fingerprint.json").read_text())
    assert set(fp["files"]) == {str(workspace / "samples.jsonl"), str(workspace / "messages.jsonl")}
    assert list((trained / "tensorboard").glob("events.out.tfevents.*"))
    assert (trained / "checkpoint-30").is_dir()


def test_adapter_reloads_and_generates(trained: Path, workspace: Path) -> None:
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(trained / "adapter")
    base = AutoModelForCausalLM.from_pretrained(workspace / "tiny-qwen2")
    prompt = tok.apply_chat_template(
        [{"role": "user", "content": "What does LDA $10 do?"}],
        add_generation_prompt=True,
        return_tensors="pt",
        return_dict=True,
    )
    with torch.no_grad():
        base_logits = base(**prompt).logits
    model = PeftModel.from_pretrained(base, trained / "adapter")
    model.eval()
    with torch.no_grad():
        tuned_logits = model(**prompt).logits
        out = model.generate(**prompt, max_new_tokens=8, do_sample=False)
    assert not torch.allclose(base_logits, tuned_logits)
    assert out.shape[1] > prompt["input_ids"].shape[1]
    assert tok.decode(out[0, prompt["input_ids"].shape[1] :]).strip()


def test_resume_continues_from_the_checkpoint(trained: Path, workspace: Path) -> None:
    out = _invoke("train", str(workspace / "tiny.yaml"), "--max-steps", "36", "--resume", "--json")
    metrics = json.loads(out)
    assert metrics["resumed_from"].endswith("checkpoint-30")
    assert metrics["global_step"] == 36
    assert [s for s, _ in metrics["losses"]] == [
        4,
        8,
        12,
        16,
        20,
        24,
        28,
        32,
        36,
    ]  # history restored, then continued


def test_preview_masks_exactly_the_non_assistant_tokens(workspace: Path) -> None:
    from transformers import AutoTokenizer

    cfg = _config(workspace, "preview", seq_length=40)
    data = json.loads(_invoke("train", "--preview", str(cfg), "--samples", "2", "--json"))
    tok = AutoTokenizer.from_pretrained(workspace / "tiny-qwen2")
    rows = _tiny.conversations(48)
    lengths = []
    for i, row in enumerate(rows + rows[:8]):
        # Render ChatML by hand and mark assistant spans (content + <|im_end|>) by character.
        text, spans = "", []
        for m in row["messages"]:
            text += f"<|im_start|>{m['role']}\n"
            start = len(text)
            text += m["content"] + "<|im_end|>"
            if m["role"] == "assistant":
                spans.append((start, len(text)))
            text += "\n"
        enc = tok(text, add_special_tokens=False, return_offsets_mapping=True)
        lengths.append(len(enc["input_ids"]))
        if i >= len(data["samples"]):
            continue
        sample = data["samples"][i]
        assert sample["ids"] == enc["input_ids"]
        expected = [
            int(pos < 40 and any(a <= s and e <= b for a, b in spans))
            for pos, (s, e) in enumerate(enc["offset_mapping"])
        ]
        assert sample["loss_mask"] == expected
        assert 0 < sum(expected) < len(expected)
    length = data["length"]
    assert (length["count"], length["min"], length["max"]) == (56, min(lengths), max(lengths))
    assert length["over_max"] == sum(n > 40 for n in lengths)
    rich_out = _invoke("train", "--preview", str(cfg), "--samples", "1")
    assert "p95" in rich_out and "exceed seq_length 40" in rich_out


def test_packing_with_curriculum_order(workspace: Path) -> None:
    cfg = yaml.safe_load(_config(workspace, "packed", packing=True, seq_length=128).read_text())
    cfg["curriculum"] = {"order": "field", "field": "domain", "stages": ["din", "nayru", "farore", "cross"]}
    cfg["data"]["eval_paths"] = ["messages.jsonl"]
    cfg["checkpointing"]["save_steps"] = 2
    path = workspace / "packed.yaml"
    path.write_text(yaml.safe_dump(cfg))
    _invoke("train", str(path), "--max-steps", "4", "--json")
    metrics = json.loads((workspace / "runs/packed/metrics.json").read_text())
    assert metrics["global_step"] == 4 and metrics["losses"]
    assert [r["step"] for r in metrics["log_history"] if "eval_loss" in r] == [2, 4]


def test_packed_samples_do_not_attend_to_each_other(workspace: Path) -> None:
    """What TRL's padding-free packing feeds the model (position ids restarting per sample, no
    attention mask) must give each sample the logits it gets alone: no cross-sample attention."""
    import torch
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(workspace / "tiny-qwen2", attn_implementation="sdpa").eval()
    a, b = torch.tensor([[5, 9, 14, 30, 2]]), torch.tensor([[7, 8, 40]])
    packed = torch.cat([a, b], dim=1)
    positions = torch.tensor([[0, 1, 2, 3, 4, 0, 1, 2]])
    with torch.no_grad():
        together = model(input_ids=packed, position_ids=positions, use_cache=False).logits  # as in training
        alone = torch.cat([model(input_ids=a).logits, model(input_ids=b).logits], dim=1)
        leaky = model(input_ids=packed, use_cache=False).logits
    assert torch.allclose(together, alone, atol=1e-5)
    assert not torch.allclose(leaky[:, 5:], alone[:, 5:], atol=1e-5)


def test_export_merges_and_writes_serving_files(trained: Path, workspace: Path) -> None:
    import torch
    from peft import LoraConfig, PeftModel, get_peft_model
    from transformers import AutoModelForCausalLM

    from triforce.errors import InputError
    from triforce.train.export import check_servable, read_adapter, strip_modules_to_save

    out = workspace / "export"
    data = json.loads(_invoke("train", "export", str(trained / "adapter"), "--out", str(out), "--json"))
    merged = Path(data["merged"])
    ids = torch.tensor([[1, 5, 9, 20, 40]])
    with torch.no_grad():
        peft_logits = PeftModel.from_pretrained(
            AutoModelForCausalLM.from_pretrained(workspace / "tiny-qwen2"), trained / "adapter"
        )(ids).logits
        merged_logits = AutoModelForCausalLM.from_pretrained(merged)(ids).logits
    assert torch.allclose(peft_logits, merged_logits, atol=1e-4)
    modelfile = (out / "Modelfile").read_text()
    assert modelfile.startswith(f"FROM {merged.resolve()}") and 'PARAMETER stop "<|im_end|>"' in modelfile
    script = (out / "vllm-serve.sh").read_text()
    assert (
        "--enable-lora" in script
        and f"tiny={trained / 'adapter'}" in script
        and "--max-lora-rank 8" in script
    )

    # An adapter with modules_to_save is refused for vLLM, and stripping makes it servable.
    base = AutoModelForCausalLM.from_pretrained(workspace / "tiny-qwen2")
    bad = get_peft_model(base, LoraConfig(r=4, target_modules=["q_proj"], modules_to_save=["norm"]))
    bad.save_pretrained(workspace / "bad-adapter")
    with pytest.raises(InputError, match="modules_to_save"):
        check_servable(read_adapter(workspace / "bad-adapter"))
    stripped = strip_modules_to_save(workspace / "bad-adapter", workspace / "stripped")
    check_servable(read_adapter(stripped))


def test_models_and_plan_commands(trained: Path, workspace: Path) -> None:
    reg = workspace / "models.toml"
    reg.write_text(
        '[models.euclid-asm]\nkind = "specialist"\ncategory = "oracle-din"\n'
        f'base_model = "{workspace / "tiny-qwen2"}"\nadapter = "{trained / "adapter"}"\n'
        'endpoint = "http://localhost:8001/v1"\n'
    )
    rows = json.loads(_invoke("models", "--registry", str(reg), "--json"))
    assert {r["name"]: r["adapter_present"] for r in rows}["euclid-asm"] is True
    groups = json.loads(_invoke("train", "serve-commands", "--registry", str(reg), "--json"))
    assert groups[0]["adapters"] == ["euclid-asm"] and "8001" in groups[0]["command"]
    plan = json.loads(_invoke("plan", str(workspace / "tiny.yaml"), "--gpu", "1GB", "--json"))
    assert plan["parameters"] > 0 and plan["gpus"][0]["fits"] is True
    assert "fits" in _invoke("plan", "triforce-sage-32b", "--gpu", "16GB")


def test_chat_template_resolution(workspace: Path) -> None:
    from transformers import AutoTokenizer

    from triforce.errors import ConfigError
    from triforce.train.chat import resolve_chat_template, template_text

    tok = AutoTokenizer.from_pretrained(workspace / "tiny-qwen2")
    assert tok.chat_template is None
    assert resolve_chat_template(tok, "auto") == template_text("chatml")  # ChatML tokens in the vocabulary
    marked = "{% for m in messages %}{% generation %}{{ m['content'] }}{% endgeneration %}{% endfor %}"
    tok.chat_template = marked
    assert resolve_chat_template(tok, "auto") == marked  # a template with markers is kept
    assert "[INST]" in resolve_chat_template(tok, "mistral-v7")
    tok.chat_template = "{% for m in messages %}{{ m['content'] }}{% endfor %}"
    with pytest.raises(ConfigError, match="no \\{% generation %\\} markers"):
        resolve_chat_template(tok, str(_write_template(workspace)))


def _write_template(root: Path) -> Path:
    path = root / "plain.jinja"
    path.write_text("{% for m in messages %}{{ m['content'] }}{% endfor %}")
    return path


def test_zero3_run_saves_the_full_adapter(trained: Path, workspace: Path) -> None:
    """A real DeepSpeed ZeRO-3 run (one process, DeepSpeed's CPU accelerator): partitioned LoRA
    weights are gathered on save, so the adapter has every tensor at full shape."""
    import os
    import subprocess
    import sys

    pytest.importorskip("deepspeed")
    from safetensors.torch import load_file

    cfg = yaml.safe_load(_config(workspace, "zero3").read_text())
    cfg["distributed"] = {"strategy": "zero3"}
    cfg["logging"]["tensorboard"] = False
    path = workspace / "zero3.yaml"
    path.write_text(yaml.safe_dump(cfg))
    env = {k: v for k, v in os.environ.items() if k not in ("WORLD_SIZE", "RANK", "LOCAL_RANK")}
    env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).parents[1] / "src"), env.get("PYTHONPATH", "")])
    proc = subprocess.run(
        [sys.executable, "-m", "triforce", "train", str(path), "--max-steps", "2", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert json.loads(proc.stdout)["global_step"] == 2
    assert (
        json.loads((workspace / "runs/zero3/deepspeed.json").read_text())["zero_optimization"]["stage"] == 3
    )
    zero = load_file(workspace / "runs/zero3/adapter/adapter_model.safetensors")
    plain = load_file(trained / "adapter/adapter_model.safetensors")
    assert {k: v.shape for k, v in zero.items()} == {k: v.shape for k, v in plain.items()}
    assert all(v.numel() > 0 and v.abs().sum() > 0 for k, v in zero.items() if "lora_A" in k)


def test_resume_refuses_a_checkpoint_of_other_data(trained: Path, workspace: Path) -> None:
    """Resuming continues only the run that wrote the checkpoint: other data is refused up front."""
    from triforce.errors import ConfigError

    raw = yaml.safe_load((workspace / "tiny.yaml").read_text())
    raw["data"]["paths"] = ["messages.jsonl"]  # same output folder, a different dataset
    other = workspace / "tiny-other-data.yaml"
    other.write_text(yaml.safe_dump(raw))
    before = sorted(p.name for p in trained.iterdir())
    result = runner.invoke(app, ["train", str(other), "--max-steps", "40", "--resume", "--json"])
    assert isinstance(result.exception, ConfigError), result.output
    assert "data_sha256" in str(result.exception) and "checkpoint-" in str(result.exception)
    assert sorted(p.name for p in trained.iterdir()) == before  # nothing trained, nothing written
