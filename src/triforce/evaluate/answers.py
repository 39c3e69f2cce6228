"""Getting the gradable part out of a model's answer, whatever shape it came in.

Assembly: `triforce.snes.asmblocks` (shared with `dataset verify`, which proves a sample's
assistant message the same way). JSON: the first object, fenced or bare.
"""

from __future__ import annotations

import json
from typing import Any

from triforce.snes.asmblocks import FENCE, CodeBlock, asm_blocks, code_blocks, extract_asm, strip_thinking

__all__ = ["CodeBlock", "asm_blocks", "code_blocks", "extract_asm", "extract_json", "strip_thinking"]


def extract_json(text: str) -> tuple[Any, str]:
    """The first JSON object in the answer: a ```json block, else the first balanced {...}."""
    text = strip_thinking(text)
    candidates = [m.group(3) for m in FENCE.finditer(text) if m.group(2).lower() in ("json", "")]
    candidates += _balanced_objects(text)
    errors: list[str] = []
    for candidate in candidates:
        try:
            return json.loads(candidate), ""
        except json.JSONDecodeError as exc:
            errors.append(exc.msg)
    return None, ("no JSON object in the answer" if not errors else f"JSON did not parse: {errors[0]}")


def _balanced_objects(text: str) -> list[str]:
    found: list[str] = []
    depth = 0
    start = -1
    in_string = False
    escaped = False
    for i, ch in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
            continue
        if ch == '"' and depth > 0:
            in_string = True
        elif ch == "{":
            if depth == 0:
                start = i
            depth += 1
        elif ch == "}" and depth > 0:
            depth -= 1
            if depth == 0:
                found.append(text[start : i + 1])
    return found
