"""Reading a cross-domain answer: the patch (the ```asm block defining the hook routine, else
the first block with an `org`), and the JSON block's quest outline and message texts."""

from __future__ import annotations

import json
import re
from typing import Any

from triforce.snes.asmblocks import FENCE, asm_blocks, strip_thinking


def answer_parts(answer: str, routine: str) -> tuple[str | None, dict[int, str], Any, str]:
    """(patch source, messages by id, quest outline, problem) from an answer's text."""
    text = strip_thinking(answer)
    blocks = [b.code for b in asm_blocks(text) if b.fenced]
    code = next((b for b in blocks if re.search(rf"^\s*{re.escape(routine)}:", b, re.M)), None)
    if code is None:
        code = next((b for b in blocks if re.search(r"^\s*org\b", b, re.M | re.I)), None)
    data: Any = None
    problem = ""
    for m in FENCE.finditer(text):
        if m.group(2).lower() == "json":
            try:
                data = json.loads(m.group(3))
            except ValueError as exc:
                problem = f"the ```json block is not valid JSON: {exc}"
            break
    messages: dict[int, str] = {}
    quest = None
    if isinstance(data, dict):
        quest = data.get("quest")
        raw = data.get("messages") or {}
        if isinstance(raw, dict):
            for key, value in raw.items():
                try:
                    messages[int(str(key).strip().lstrip("$"), 16)] = str(value)
                except ValueError:
                    problem = f"message key {key!r} is not a hex id"
    return code, messages, quest, problem
