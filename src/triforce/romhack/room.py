"""Dungeon room data: the 3-byte object list codec and what each room tag needs.

Object list (one layer): 3-byte objects until `F0 FF` (the door list follows: 2-byte door
entries) or `FF FF` (end). Object forms (yaze `room_object.cc`, checked in this order):
type 2 `111111xx xxxxyyyy yyiiiiii` (b1 >= $FC, id $100 + low 6 bits of b3); type 3
`xxxxxxii yyyyyyii 11111iii` (b3 >= $F8, id = b3 << 4 | $80 | size bits); type 1
`xxxxxxss yyyyyyss iiiiiiii`. Coordinates are 0-63 tiles.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import yaml

MAX_LIST_BYTES = 0x600


@dataclass(frozen=True)
class RoomObject:
    id: int
    x: int
    y: int
    size: int
    form: int  # 1, 2 or 3

    def to_json(self) -> dict[str, int]:
        return {"id": self.id, "x": self.x, "y": self.y, "size": self.size, "form": self.form}


@dataclass
class ObjectList:
    objects: list[RoomObject] = field(default_factory=list)
    doors: list[int] = field(default_factory=list)  # raw 2-byte door entries
    length: int = 0  # bytes consumed, terminator included
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error


def decode_object(b1: int, b2: int, b3: int) -> RoomObject:
    if b1 >= 0xFC:
        return RoomObject(
            0x100 | (b3 & 0x3F), ((b1 & 3) << 4) | (b2 >> 4), ((b2 & 0xF) << 2) | (b3 >> 6), 0, 2
        )
    size = ((b1 & 3) << 2) | (b2 & 3)
    if b3 >= 0xF8:
        return RoomObject((b3 << 4) | 0x80 | ((b2 & 3) << 2) | (b1 & 3), b1 >> 2, b2 >> 2, size, 3)
    return RoomObject(b3, b1 >> 2, b2 >> 2, size, 1)


def decode_list(data: bytes) -> ObjectList:
    """Decode one layer's object list from `data` (which may run on past its end)."""
    out = ObjectList()
    i = 0
    in_doors = False
    limit = min(len(data), MAX_LIST_BYTES)
    while True:
        if i + 2 > limit:
            out.error = f"no $FFFF end within {limit} bytes"
            return out
        pair = (data[i], data[i + 1])
        if pair == (0xFF, 0xFF):
            out.length = i + 2
            return out
        if not in_doors and pair == (0xF0, 0xFF):
            in_doors = True
            i += 2
            continue
        if in_doors:
            out.doors.append(data[i] | data[i + 1] << 8)
            i += 2
            continue
        if i + 3 > limit:
            out.error = f"object at byte {i} runs past {limit} bytes"
            return out
        out.objects.append(decode_object(data[i], data[i + 1], data[i + 2]))
        i += 3


def decode_torches(data: bytes, limit: int = 64) -> tuple[list[int], str]:
    """2-byte torch entries ended by $FFFF."""
    out: list[int] = []
    for i in range(0, min(len(data), 2 * limit + 2) - 1, 2):
        word = data[i] | data[i + 1] << 8
        if word == 0xFFFF:
            return out, ""
        out.append(word)
    return out, f"no $FFFF end within {limit} torch entries"


@cache
def tag_table() -> dict[str, Any]:
    text = resources.files("triforce.romhack").joinpath("data/room_tags.yaml").read_text("utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def tag_name(tag: int) -> str:
    return str(tag_table()["names"].get(tag, f"tag {tag}"))


def tag_needs(tag: int) -> list[str]:
    """What a room with this tag must hold: "door", "torches", "chest"."""
    return [need for need, tags in tag_table()["needs"].items() if tag in tags]


def chest_id() -> int:
    return int(tag_table()["chest_id"])
