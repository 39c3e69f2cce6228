"""Graders, chosen by an item's `grading.kind`. Each grader is a spec model plus a function.

Adding a kind means adding a module here and a line to `kinds.yaml` (merged by union across
branches); suites stay data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import import_module
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from triforce.evaluate.verdict import Verdict


@dataclass(frozen=True)
class GradeContext:
    """What the grader may know besides the answer text (latency graders need the timing)."""

    latency_s: float | None = None
    ttft_s: float | None = None
    asm_timeout_s: float = 10.0  # wall-clock limit for one sandboxed asar run of an answer
    # (source, org) -> AssembleResult; a shared BatchAssembler when many answers are graded at once
    assembler: Callable[[str, int], Any] | None = None


GradeFn = Callable[[Any, str, GradeContext], Verdict]

_KINDS_FILE = Path(__file__).with_name("kinds.yaml")


@cache
def _graders() -> dict[str, tuple[str, str, str]]:
    """kind -> (module, spec class name, grade function name), from kinds.yaml."""
    data = yaml.safe_load(_KINDS_FILE.read_text(encoding="utf-8")) or {}
    out: dict[str, tuple[str, str, str]] = {}
    for kind, target in data.items():
        module, _, names = str(target).partition(":")
        spec, _, fn = names.partition(",")
        out[str(kind)] = (module, spec.strip(), fn.strip())
    return out


GRADER_KINDS: tuple[str, ...] = tuple(_graders())


def spec_model(kind: str) -> type[BaseModel]:
    """The pydantic model validating `grading` for this kind (KeyError when unknown)."""
    module, spec_name, _ = _graders()[kind]
    model: type[BaseModel] = getattr(import_module(module), spec_name)
    return model


def grade(grading: dict[str, Any], answer: str, ctx: GradeContext | None = None) -> Verdict:
    """Grade one answer against one item's grading spec."""
    module, spec_name, fn_name = _graders()[grading["kind"]]
    mod = import_module(module)
    spec = getattr(mod, spec_name).model_validate(grading)
    fn: GradeFn = getattr(mod, fn_name)
    return fn(spec, answer, ctx or GradeContext())
