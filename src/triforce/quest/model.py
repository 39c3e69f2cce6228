"""The quest schema: who gives it, what it is for, its steps, its reward and the flags it touches.

A clean pydantic model so that other packages (quest -> implementation pairs, graders) can build
on it: flags are WRAM/SRAM addresses (24-bit, written `$7EF3C5`) with an optional bit mask.
The model accepts the outline format the evaluation suites have used (title + steps with
kind/location/summary/requires/grants).
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_serializer, field_validator

from triforce.snes.addresses import format_address, parse_address

StepKind = Literal[
    "story", "talk", "explore", "fetch", "deliver", "trigger", "puzzle", "combat", "escort", "reward"
]
STEP_KINDS: tuple[str, ...] = (
    "story",
    "talk",
    "explore",
    "fetch",
    "deliver",
    "trigger",
    "puzzle",
    "combat",
    "escort",
    "reward",
)
SETUP = frozenset({"story", "talk", "explore"})  # beats that set a quest up
CONFLICT = frozenset({"puzzle", "combat", "escort"})  # beats that test the player
PAYOFF = frozenset({"reward"})
QUEST_KINDS = ("fetch", "talk", "trigger", "puzzle", "combat", "escort")  # the template families

_MESSAGE = re.compile(r"^(\$|0x)?[0-9A-Fa-f]{1,4}$")


class Flag(BaseModel):
    """A WRAM/SRAM flag the quest reads or writes: a byte, or the bits `mask` selects in it."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1)
    address: int
    mask: int | None = Field(default=None, ge=1, le=0xFF)
    meaning: str = ""

    @field_validator("address", mode="before")
    @classmethod
    def _address(cls, value: object) -> int:
        return parse_address(value if isinstance(value, int) else str(value), field="flag address")

    @field_validator("mask", mode="before")
    @classmethod
    def _mask(cls, value: object) -> int | None:
        if value is None or isinstance(value, int):
            return value
        text = str(value).strip()
        return int(text[1:], 16) if text.startswith("$") else int(text, 0)

    @field_serializer("address")
    def _show_address(self, value: int) -> str:
        return format_address(value)

    @field_serializer("mask")
    def _show_mask(self, value: int | None) -> str | None:
        return None if value is None else f"${value:02X}"

    @property
    def bits(self) -> int:
        return self.mask if self.mask is not None else 0xFF


class Step(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: StepKind
    location: str = Field(min_length=1)
    summary: str = ""
    npc: str | None = None
    requires: list[str] = Field(default_factory=list)  # items the player must hold
    grants: list[str] = Field(default_factory=list)  # items the step gives
    consumes: list[str] = Field(default_factory=list)  # items the step takes away (a trade)
    requires_flags: list[str] = Field(default_factory=list)
    sets_flags: list[str] = Field(default_factory=list)
    messages: list[str] = Field(default_factory=list)  # message ids, hex ("$1A3")

    @field_validator("messages")
    @classmethod
    def _messages(cls, value: list[str]) -> list[str]:
        bad = [m for m in value if not _MESSAGE.match(str(m).strip())]
        if bad:
            raise ValueError(f"message ids must be hex numbers such as $1A3, not {bad}")
        return value


class Quest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1)
    kind: str = ""  # the template family (fetch, talk, trigger, puzzle, combat, escort) when known
    giver: str | None = None
    goal: str = ""
    start_items: list[str] = Field(default_factory=list)
    start_flags: list[str] = Field(default_factory=list)
    steps: list[Step] = Field(min_length=1)
    reward: list[str] = Field(default_factory=list)  # what the quest must end up granting
    flags: list[Flag] = Field(default_factory=list)  # every WRAM/SRAM flag the steps touch

    def flag(self, name: str) -> Flag | None:
        return next((f for f in self.flags if f.name == name), None)
