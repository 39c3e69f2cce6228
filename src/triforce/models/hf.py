"""A local transformers model (`hf:PATH`): a directory with config, weights and tokenizer.

Generation runs in a worker thread (one at a time: a local model is one device) so the event loop
keeps grading. Uses the tokenizer's chat template when it has one, else a plain transcript.
"""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import Any

from triforce.errors import InputError, ToolNotFoundError
from triforce.models.base import Completion, ItemRequest


class HFBackend:
    def __init__(
        self, path: Path, max_new_tokens: int = 256, device: str | None = None, temperature: float = 0.0
    ) -> None:
        if not path.is_dir():
            raise InputError(f"{path}: hf model directory does not exist")
        try:
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer
        except ImportError as exc:  # the train extra is optional
            raise ToolNotFoundError("the hf backend needs the 'train' extra (torch, transformers)") from exc
        self.name = f"hf:{path}"
        self._path = path
        self._torch = torch
        self._device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self._tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
        model: Any = AutoModelForCausalLM.from_pretrained(str(path), local_files_only=True)
        self._model = model.to(self._device)
        self._model.eval()
        self._max_new_tokens = max_new_tokens
        self._temperature = temperature
        self._lock = threading.Lock()

    def _prompt_ids(self, messages: list[dict[str, str]]) -> Any:
        tok = self._tokenizer
        if getattr(tok, "chat_template", None):
            encoded: Any = tok.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt")
            # Newer transformers return a BatchEncoding here, older ones the id tensor itself.
            return encoded["input_ids"] if hasattr(encoded, "keys") else encoded
        text = "".join(f"{m['role']}: {m['content']}\n" for m in messages) + "assistant: "
        return tok(text, return_tensors="pt").input_ids

    def _generate(self, request: ItemRequest) -> Completion:
        with self._lock:
            start = time.perf_counter()
            ids = self._prompt_ids(request.messages).to(self._device)
            do_sample = self._temperature > 0  # the same for every sample, as pass@k assumes
            if do_sample:
                self._torch.manual_seed(request.sample)
            pad = (
                self._tokenizer.pad_token_id
                if self._tokenizer.pad_token_id is not None
                else self._tokenizer.eos_token_id
            )
            with self._torch.no_grad():
                out = self._model.generate(
                    ids,
                    attention_mask=self._torch.ones_like(ids),
                    max_new_tokens=self._max_new_tokens,
                    do_sample=do_sample,
                    temperature=self._temperature if do_sample else None,
                    top_p=None,
                    top_k=None,
                    pad_token_id=pad,
                )
            text = str(self._tokenizer.decode(out[0, ids.shape[1] :], skip_special_tokens=True))
            elapsed = time.perf_counter() - start
            return Completion(
                text=text, latency_s=elapsed, usage={"completion_tokens": int(out.shape[1] - ids.shape[1])}
            )

    measures_latency = True

    async def check(self) -> None:
        return None  # loading the model in __init__ was the check

    def identity(self) -> dict[str, Any]:
        return {
            "kind": "hf",
            "path": str(self._path.resolve()),
            "temperature": self._temperature,
            "max_tokens": self._max_new_tokens,
        }

    async def complete(self, request: ItemRequest) -> Completion:
        try:
            return await asyncio.to_thread(self._generate, request)
        except Exception as exc:  # a generation failure is recorded per item, the run goes on
            return Completion(error=f"generation failed: {exc.__class__.__name__}: {exc}")

    async def aclose(self) -> None:
        return None
