"""Graders, chosen by an item's `grading.kind`. Each grader is a spec model plus a function.

Adding a category later means adding a module here and a line to `_GRADERS`; suites stay data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from typing import Any

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

# kind -> (module, spec class name, grade function name)
_GRADERS: dict[str, tuple[str, str, str]] = {
    "asm-exec": ("triforce.evaluate.graders.asm", "AsmSpec", "grade_asm"),
    "gfx-tile": ("triforce.evaluate.graders.graphics", "TileSpec", "grade_tiles"),
    "gfx-palette": ("triforce.evaluate.graders.graphics", "PaletteSpec", "grade_palette"),
    "lore-facts": ("triforce.evaluate.graders.lore", "LoreSpec", "grade_lore"),
    "quest-structure": ("triforce.evaluate.graders.quest", "QuestSpec", "grade_quest"),
    "cross": ("triforce.evaluate.graders.cross", "CrossSpec", "grade_cross"),
    "latency": ("triforce.evaluate.graders.latency", "LatencySpec", "grade_latency"),
}

GRADER_KINDS: tuple[str, ...] = tuple(_GRADERS)


def spec_model(kind: str) -> type[BaseModel]:
    """The pydantic model validating `grading` for this kind (KeyError when unknown)."""
    module, spec_name, _ = _GRADERS[kind]
    model: type[BaseModel] = getattr(import_module(module), spec_name)
    return model


def grade(grading: dict[str, Any], answer: str, ctx: GradeContext | None = None) -> Verdict:
    """Grade one answer against one item's grading spec."""
    module, spec_name, fn_name = _GRADERS[grading["kind"]]
    mod = import_module(module)
    spec = getattr(mod, spec_name).model_validate(grading)
    fn: GradeFn = getattr(mod, fn_name)
    return fn(spec, answer, ctx or GradeContext())
