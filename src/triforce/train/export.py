"""From adapter to something that serves: merged weights, vLLM multi-LoRA, Ollama.

vLLM serves many LoRA adapters over one base model, but only plain LoRA matrices: an adapter
saved with `modules_to_save` (a full copy of, say, lm_head) is refused, so such adapters are
either rejected here or stripped to their LoRA tensors on request. Ollama cannot load LoRA
adapters for every architecture (Qwen2 among them), so its Modelfile points at merged weights.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from triforce.errors import InputError
from triforce.fsio import (
    MAX_CONFIG_BYTES,
    MAX_DATA_BYTES,
    read_bytes_bounded,
    read_text_bounded,
    write_json_atomic,
    write_text_atomic,
)
from triforce.train.registry import ModelEntry

VLLM_RANKS = (8, 16, 32, 64, 128, 256, 320, 512)  # ranks vLLM's punica kernels accept


@dataclass(frozen=True)
class AdapterInfo:
    path: Path
    base_model: str
    rank: int
    modules_to_save: list[str]


def read_adapter(path: Path) -> AdapterInfo:
    cfg_path = path / "adapter_config.json"
    if not cfg_path.is_file():
        raise InputError(f"{path}: not a PEFT adapter (no adapter_config.json)")
    try:
        cfg = json.loads(read_text_bounded(cfg_path, MAX_CONFIG_BYTES))
    except json.JSONDecodeError as exc:
        raise InputError(f"{cfg_path}: not valid JSON ({exc})") from exc
    return AdapterInfo(
        path=path,
        base_model=str(cfg.get("base_model_name_or_path") or ""),
        rank=int(cfg.get("r") or 0),
        modules_to_save=list(cfg.get("modules_to_save") or []),
    )


def strip_modules_to_save(adapter: Path, out: Path) -> Path:
    """Copy an adapter keeping only its LoRA tensors, so vLLM accepts it."""
    from safetensors.torch import load_file, save_file

    read_adapter(adapter)  # fails early on a folder that is not an adapter
    tensors = load_file(str(adapter / "adapter_model.safetensors"))
    kept = {k: v for k, v in tensors.items() if "lora_" in k}
    out.mkdir(parents=True, exist_ok=True)
    save_file(kept, str(out / "adapter_model.safetensors"))
    cfg = json.loads(read_text_bounded(adapter / "adapter_config.json", MAX_CONFIG_BYTES))
    cfg["modules_to_save"] = None
    write_json_atomic(out / "adapter_config.json", cfg)
    for extra in (
        "tokenizer.json",
        "tokenizer_config.json",
        "chat_template.jinja",
        "special_tokens_map.json",
    ):
        if (adapter / extra).is_file():
            (out / extra).write_bytes(read_bytes_bounded(adapter / extra, MAX_DATA_BYTES))
    return out


def check_servable(info: AdapterInfo) -> None:
    if info.modules_to_save:
        raise InputError(
            f"{info.path}: adapter saved with modules_to_save {info.modules_to_save}; vLLM multi-LoRA refuses it. "
            "Retrain with lora.modules_to_save: [] or export with --strip-modules-to-save"
        )


def merge_adapter(adapter: Path, out: Path, base: str | None = None) -> Path:
    """Fold the LoRA deltas into the base weights and save a plain checkpoint + tokenizer."""
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    info = read_adapter(adapter)
    base_name = base or info.base_model
    if not base_name:
        raise InputError(f"{adapter}: adapter_config.json names no base model; pass --base")
    # The checkpoint's own dtype (bf16 for the preset bases): merge into full-precision weights even
    # when the adapter was trained against a 4-bit copy (QLoRA).
    from triforce.train.hub import model_source

    source = model_source(base_name, where=f"{adapter}: base model")  # at once, no network retries
    model = AutoModelForCausalLM.from_pretrained(source.name, dtype="auto", **source.kwargs())
    merged = PeftModel.from_pretrained(model, str(adapter)).merge_and_unload()
    out.mkdir(parents=True, exist_ok=True)
    merged.save_pretrained(str(out))
    if (adapter / "tokenizer_config.json").is_file():
        tokenizer = AutoTokenizer.from_pretrained(str(adapter))
    else:
        tokenizer = AutoTokenizer.from_pretrained(source.name, **source.kwargs())
    tokenizer.save_pretrained(str(out))
    return out


def _vllm_rank(rank: int) -> int:
    for r in VLLM_RANKS:
        if rank <= r:
            return r
    return rank


def vllm_command(base_model: str, adapters: dict[str, AdapterInfo], port: int = 8000) -> list[str]:
    """One `vllm serve` for one base model and every adapter trained on it."""
    for info in adapters.values():
        check_servable(info)
    max_rank = _vllm_rank(max((a.rank for a in adapters.values()), default=8))
    cmd = ["vllm", "serve", base_model, "--port", str(port), "--enable-lora"]
    cmd += ["--max-lora-rank", str(max_rank), "--max-loras", str(max(1, len(adapters)))]
    if adapters:
        cmd += ["--lora-modules", *(f"{name}={info.path}" for name, info in sorted(adapters.items()))]
    return cmd


def registry_serve_commands(entries: dict[str, ModelEntry], root: Path | None = None) -> list[dict[str, Any]]:
    """Group registry models with adapters present by base model: one vLLM server each."""
    groups: dict[str, dict[str, AdapterInfo]] = {}
    ports: dict[str, int] = {}
    skipped: list[str] = []
    for e in entries.values():
        path = e.adapter_path(root)
        if not e.base_model or path is None or not e.adapter_present(root):
            if e.kind != "category":
                skipped.append(e.name)
            continue
        info = read_adapter(path)
        groups.setdefault(e.base_model, {})[e.name] = info
        for alias in e.aliases:
            groups[e.base_model][alias] = info
        port = urlparse(e.endpoint).port if e.endpoint else None
        if port:
            ports.setdefault(e.base_model, port)
    return [
        {"base_model": base, "adapters": sorted(ad), "command": vllm_command(base, ad, ports.get(base, 8000))}
        | {"skipped_without_adapter": skipped}
        for base, ad in sorted(groups.items())
    ]


def _ollama_template(chat_template: str) -> tuple[str, list[str]]:
    folder = resources.files("triforce.train") / "templates"
    if "[INST]" in chat_template:
        return (folder / "ollama-mistral.tmpl").read_text(encoding="utf-8"), ["</s>", "[INST]"]
    return (folder / "ollama-chatml.tmpl").read_text(encoding="utf-8"), ["<|im_end|>", "<|im_start|>"]


def ollama_modelfile(merged: Path, system: str = "", temperature: float = 0.2, num_ctx: int = 4096) -> str:
    template_file = merged / "chat_template.jinja"
    chat_template = read_text_bounded(template_file, MAX_CONFIG_BYTES) if template_file.is_file() else ""
    if not chat_template:
        tok_cfg = merged / "tokenizer_config.json"
        if tok_cfg.is_file():
            tok = json.loads(read_text_bounded(tok_cfg, MAX_CONFIG_BYTES))
            chat_template = str(tok.get("chat_template") or "")
    template, stops = _ollama_template(chat_template)
    lines = [f"FROM {merged.resolve()}", f'TEMPLATE """{template}"""']
    lines += [f'PARAMETER stop "{s}"' for s in stops]
    lines += [f"PARAMETER temperature {temperature}", f"PARAMETER num_ctx {num_ctx}"]
    if system:
        lines.append(f'SYSTEM """{system}"""')
    return "\n".join(lines) + "\n"


@dataclass
class ExportResult:
    merged: Path | None
    adapter: Path
    modelfile: Path | None
    vllm_script: Path


def export(
    adapter: Path,
    out: Path,
    name: str,
    merge: bool = True,
    strip: bool = False,
    base: str | None = None,
    port: int = 8000,
) -> ExportResult:
    info = read_adapter(adapter)
    if info.modules_to_save:
        if not strip:
            check_servable(info)
        adapter = strip_modules_to_save(adapter, out / "adapter-lora-only")
        info = read_adapter(adapter)
    merged = merge_adapter(adapter, out / "merged", base) if merge else None
    modelfile = None
    if merged is not None:
        modelfile = out / "Modelfile"
        write_text_atomic(modelfile, ollama_modelfile(merged))
    cmd = vllm_command(base or info.base_model, {name: info}, port)
    script = out / "vllm-serve.sh"
    write_text_atomic(script, "#!/bin/sh\nexec " + " ".join(shlex.quote(c) for c in cmd) + "\n")
    script.chmod(0o755)
    return ExportResult(merged=merged, adapter=adapter, modelfile=modelfile, vllm_script=script)
