"""The cross-domain spec: what a quest -> implementation pair must do in the ROM (data, not code).

One spec per pair: the quest (the quest model), the trigger (conditions on WRAM/SRAM bytes:
flags, items, room, position), the flag that marks the step done, the rewards (an item given
through the game's `Link_ReceiveItem` $07:99AD with Y = item id, a flag, or a capped counter),
the messages (shown through $05:E1A7 / $05:E1F0 / $05:E219 with A = id low byte, Y = high byte),
the hook (the address, the vanilla code there, the routine it must call) and the free space the
patch may use, and for dungeon work the room (tag 0-64, object list, torch table).

Semantics the grader proves (`triforce.romhack.prove`): each time the hooked code runs, when
every trigger condition holds and the done flag is clear, the routine sets the done flag, gives
every reward and shows every message once; otherwise it changes nothing and calls nothing; in
both cases the vanilla code at the hook site behaves as before.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_serializer, field_validator, model_validator

from triforce.quest.checks import QuestRules
from triforce.quest.model import Quest
from triforce.snes.addresses import format_address, parse_address

# The game's routines a patch calls (usdasm bank_07 / bank_05).
RECEIVE_ITEM = 0x0799AD  # Link_ReceiveItem: Y = item id
MESSAGE_ROUTINES: dict[str, int] = {
    "solicited": 0x05E1A7,  # Sprite_ShowSolicitedMessage: when Link talks to the sprite
    "contact": 0x05E1F0,  # Sprite_ShowMessageOnContact: when Link touches it
    "unconditional": 0x05E219,  # Sprite_ShowMessageUnconditional
}
ROUTINE_NAMES: dict[int, str] = {
    RECEIVE_ITEM: "Link_ReceiveItem",
    0x05E1A7: "Sprite_ShowSolicitedMessage",
    0x05E1F0: "Sprite_ShowMessageOnContact",
    0x05E219: "Sprite_ShowMessageUnconditional",
}


def _addr(value: object, field: str) -> int:
    return parse_address(value if isinstance(value, int) else str(value), field=field)


def _num(value: object) -> int:
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if text.startswith("$"):
        return int(text[1:], 16)
    return int(text, 0)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Condition(_Model):
    """One trigger condition on a byte (or a 16-bit word) of WRAM/SRAM.

    `op`: "set" (all bits of `mask` set), "clear" (all clear), "eq" / "ge" / "lt" (the masked
    value compared with `value`)."""

    what: Literal["flag", "item", "room", "position", "counter"]
    address: int
    op: Literal["set", "clear", "eq", "ge", "lt"]
    mask: int = 0xFF
    value: int = 0
    width: Literal[1, 2] = 1
    meaning: str = ""

    _a = field_validator("address", mode="before")(lambda v: _addr(v, "condition address"))
    _n = field_validator("mask", "value", mode="before")(lambda v: _num(v))

    @model_validator(mode="after")
    def _fits(self) -> Condition:
        top = 0xFF if self.width == 1 else 0xFFFF
        if not 1 <= self.mask <= top or not 0 <= self.value <= top:
            raise ValueError(f"mask/value must fit {self.width} byte(s)")
        if self.op in ("set", "clear") and self.value:
            raise ValueError("'set'/'clear' conditions take no value")
        if self.op == "lt" and self.value == 0:
            raise ValueError("'lt 0' can never hold")
        return self

    @field_serializer("address")
    def _show(self, v: int) -> str:
        return format_address(v)

    def holds(self, read: dict[int, int]) -> bool:
        raw = read.get(self.address, 0) | (read.get(self.address + 1, 0) << 8 if self.width == 2 else 0)
        v = raw & self.mask
        return {
            "set": v == self.mask,
            "clear": v == 0,
            "eq": v == self.value,
            "ge": v >= self.value,
            "lt": v < self.value,
        }[self.op]

    def describe(self) -> str:
        where = format_address(self.address)
        word = " (16-bit)" if self.width == 2 else ""
        if self.op == "set":
            return f"bit(s) ${self.mask:02X} of {where} set"
        if self.op == "clear":
            return f"bit(s) ${self.mask:02X} of {where} clear"
        sym = {"eq": "=", "ge": ">=", "lt": "<"}[self.op]
        masked = "" if self.mask in (0xFF, 0xFFFF) else f" & ${self.mask:02X}"
        return f"{where}{word}{masked} {sym} ${self.value:02X}"


class FlagBit(_Model):
    address: int
    mask: int = Field(ge=1, le=0xFF)

    _a = field_validator("address", mode="before")(lambda v: _addr(v, "flag address"))
    _n = field_validator("mask", mode="before")(lambda v: _num(v))

    @field_serializer("address")
    def _show(self, v: int) -> str:
        return format_address(v)


class Reward(_Model):
    """`item`: JSL Link_ReceiveItem with Y = `item`; `flag`: OR `mask` into `address`;
    `counter`: add `add` to the byte at `address`, capped at `cap`."""

    kind: Literal["item", "flag", "counter"]
    item: int | None = Field(default=None, ge=0, le=0xFF)
    address: int | None = None
    mask: int | None = Field(default=None, ge=1, le=0xFF)
    add: int | None = Field(default=None, ge=1, le=0xFF)
    cap: int | None = Field(default=None, ge=1, le=0xFF)
    name: str = ""

    @field_validator("address", mode="before")
    @classmethod
    def _a(cls, v: object) -> int | None:
        return None if v is None else _addr(v, "reward address")

    @field_validator("item", "mask", "add", "cap", mode="before")
    @classmethod
    def _n(cls, v: object) -> int | None:
        return None if v is None else _num(v)

    @model_validator(mode="after")
    def _shape(self) -> Reward:
        need = {"item": ("item",), "flag": ("address", "mask"), "counter": ("address", "add", "cap")}[
            self.kind
        ]
        missing = [k for k in need if getattr(self, k) is None]
        if missing:
            raise ValueError(f"a {self.kind} reward needs {', '.join(missing)}")
        return self

    @field_serializer("address")
    def _show(self, v: int | None) -> str | None:
        return None if v is None else format_address(v)


class MessageCall(_Model):
    routine: Literal["solicited", "contact", "unconditional"]
    id: int = Field(ge=0, le=0xFFFF)
    purpose: str = ""
    _n = field_validator("id", mode="before")(lambda v: _num(v))

    @property
    def address(self) -> int:
        return MESSAGE_ROUTINES[self.routine]

    @property
    def key(self) -> str:
        return f"${self.id:03X}"


class Hook(_Model):
    """The hook site: `host` is the vanilla code found at `address` (asar text, the hooked
    instructions first, ending in RTL); the patch overwrites at most `length` bytes there with a
    JSL/JML to `routine`, and the hooked instructions must still run."""

    address: int
    host: str = Field(min_length=1)
    length: int = Field(ge=4, le=16)
    routine: str = Field(min_length=1, pattern=r"^[A-Za-z_]\w*$")
    entry_state: dict[str, int] = Field(default_factory=dict)  # registers at the host's entry: a/x/y
    memory: dict[str, int] = Field(default_factory=dict)  # bytes the host reads ("$7E0D85": value)

    @field_validator("memory", mode="before")
    @classmethod
    def _memory(cls, value: object) -> object:
        if not isinstance(value, dict):
            return value
        return {format_address(_addr(k, "host memory address")): _num(v) for k, v in value.items()}

    _a = field_validator("address", mode="before")(lambda v: _addr(v, "hook address"))

    @field_serializer("address")
    def _show(self, v: int) -> str:
        return format_address(v)


class FreeSpace(_Model):
    start: int
    end: int

    _a = field_validator("start", "end", mode="before")(lambda v: _addr(v, "free-space address"))

    @model_validator(mode="after")
    def _order(self) -> FreeSpace:
        if self.end < self.start:
            raise ValueError("free space ends before it starts")
        return self

    @field_serializer("start", "end")
    def _show(self, v: int) -> str:
        return format_address(v)


class Room(_Model):
    """Dungeon work: the patch writes, in free space, `<label>_Tags: db tag1, tag2`, the object
    list at `<label>_Objects` (3-byte objects, `F0 FF` then 2-byte doors, ended by $FFFF) and,
    for torch tags, the torch table at `<label>_Torches` (2-byte entries ended by $FFFF)."""

    id: int = Field(ge=0, le=0x127)
    label: str = Field(min_length=1, pattern=r"^[A-Za-z_]\w*$")
    tag: int = Field(ge=0, le=64)
    torches: int = Field(default=0, ge=0, le=16)  # torches the puzzle needs lit
    objects: list[int] = Field(default_factory=list)  # object ids the design needs besides the tag's


class CrossSpec(_Model):
    """One quest -> implementation pair's contract."""

    title: str = ""
    quest: Quest | None = None  # the design this implements (quest model)
    quest_rules: QuestRules | None = None  # when the answer must design the quest itself
    trigger: list[Condition] = Field(min_length=1)
    done: FlagBit
    rewards: list[Reward] = Field(default_factory=list)
    messages: list[MessageCall] = Field(default_factory=list)
    hook: Hook
    free_space: FreeSpace
    room: Room | None = None
    name_px: int = 42

    @model_validator(mode="after")
    def _consistent(self) -> CrossSpec:
        hook_end = self.hook.address + self.hook.length - 1
        if not (hook_end < self.free_space.start or self.hook.address > self.free_space.end):
            raise ValueError("the hook site overlaps the free space")
        for c in self.trigger:
            if c.address == self.done.address and c.mask & self.done.mask:
                raise ValueError("a trigger condition tests the done flag itself")
        return self

    def due(self, memory: dict[int, int]) -> bool:
        """Must the routine act on this memory?"""
        done = memory.get(self.done.address, 0) & self.done.mask == self.done.mask
        return not done and all(c.holds(memory) for c in self.trigger)
