"""Quest -> implementation templates: quests from the quest model, implemented by parameterised
routines written for Triforce, each with its spec, so the grader can prove every pair.

`build(kind, variant, split)` returns a `Pair`: the spec (`CrossSpec`), the reference patch
(asar source placing a JSL hook and the routine in free space, plus room data for dungeon
work), the message texts, the quest (quest model), the design in prose and the two prompts
(design -> code, code -> design). Kinds: fetch, talk, trigger, puzzle, escort, shop, and the
plan's three test cases (fairy fountain, Master Sword hint NPC, switch room).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import yaml

from triforce.errors import ConfigError
from triforce.quest.checks import QuestRules
from triforce.quest.model import Flag, Quest, Step
from triforce.romhack.room import tag_name, tag_needs
from triforce.romhack.spec import ROUTINE_NAMES, Condition, CrossSpec, MessageCall, Reward
from triforce.snes.addresses import format_address

KINDS = ("fetch", "talk", "trigger", "puzzle", "escort", "shop")
PLAN_CASES = ("fairy_fountain", "master_sword_hint", "switch_room")

# Link_ReceiveItem item ids (the game's item receipt table; z3randomizer itemdatatables.asm
# names them the same way).
ITEMS: dict[int, str] = {
    0x0B: "Bow",
    0x0C: "Blue Boomerang",
    0x0D: "Magic Powder",
    0x12: "Lamp",
    0x16: "Bottle",
    0x17: "Piece of Heart",
    0x1E: "Zora's Flippers",
    0x1F: "Moon Pearl",
    0x24: "Small Key",
    0x29: "Mushroom",
    0x31: "10 Bombs",
    0x36: "20 Rupees",
    0x3D: "Bottle with a Fairy",
    0x3E: "Heart Container",
}
KB_REWARD_ITEM = {"heart_piece": 0x17, "heart_container": 0x3E, "bottle": 0x16, "magic_powder": 0x0D}
# Save RAM bytes the vanilla game uses (US), for conditions and counters.
SRAM = {
    "bombs": 0x7EF343,
    "lamp": 0x7EF34A,
    "bottles": 0x7EF34F,
    "gloves": 0x7EF354,
    "flippers": 0x7EF356,
    "moon pearl": 0x7EF357,
    "sword": 0x7EF359,
    "rupees": 0x7EF360,
    "pendants": 0x7EF374,
    "arrows": 0x7EF377,
    "follower": 0x7EF3CC,
}
WRAM = {"area": 0x7E008A, "room": 0x7E00A0, "indoors": 0x7E001B, "link_y": 0x7E0020, "link_x": 0x7E0022}
FOLLOWERS = {0x04: "the old man", 0x06: "the maiden", 0x07: "the lost smith", 0x09: "the thief's chest"}


@dataclass
class Pair:
    key: str
    kind: str
    title: str
    spec: CrossSpec
    patch: str
    messages: dict[int, str]
    quest: Quest
    design: str
    brief: str  # what to build, in words (the design -> code prompt)
    explanation: str  # what the code does (the code -> design answer)
    claims: list[str] = field(default_factory=list)  # facts the explanation must state

    def answer(self) -> str:
        """The design -> code answer: quest + messages as JSON, then the patch."""
        data: dict[str, Any] = {}
        if self.spec.quest_rules is not None:
            data["quest"] = json.loads(self.quest.model_dump_json(exclude_defaults=True))
        if self.messages:
            data["messages"] = {f"${k:03X}": v for k, v in self.messages.items()}
        head = f"{self.design}\n\n"
        if data:
            head += f"```json\n{json.dumps(data, indent=2, ensure_ascii=False)}\n```\n\n"
        return f"{head}```asm\n{self.patch.rstrip()}\n```\n"

    def prompt(self) -> str:
        return self.brief


@cache
def hosts() -> dict[str, dict[str, Any]]:
    text = resources.files("triforce.romhack").joinpath("data/hosts.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise ConfigError("romhack/data/hosts.yaml: expected a mapping of host sites")
    return data


@cache
def phrasing() -> dict[str, Any]:
    text = resources.files("triforce.romhack").joinpath("data/phrasing.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise ConfigError("romhack/data/phrasing.yaml: expected a mapping of kinds")
    return data


def _variant_index(split: str, variant: int, count: int) -> int:
    """Phrasing 0 is the evaluation suite's; training uses the others."""
    return 0 if split == "eval" or count < 2 else 1 + variant % (count - 1)


def words_for(kind: str, split: str, variant: int, **slots: Any) -> tuple[str, list[str]]:
    """(design, [message text, ...]) of a kind in the split's phrasing."""
    entry = phrasing()[kind]
    designs, messages = entry["design"], entry.get("messages") or []
    design = str(designs[_variant_index(split, variant, len(designs))]).format(**slots)
    texts: list[str] = []
    if messages:
        for rows in messages[_variant_index(split, variant, len(messages))]:
            texts.append(_say(*(str(r).format(**slots) for r in rows)))
    return design, texts


def _n(key: str) -> int:
    return int(hashlib.sha256(key.encode()).hexdigest()[:8], 16)


def _host(name: str) -> dict[str, Any]:
    h = hosts()[name]
    body = "\n".join(f"    {ins}" if not ins.startswith(".") else ins for ins in [*h["hooked"], *h["rest"]])
    entry = {k: int(v) for k, v in (h.get("entry") or {}).items()}
    return {
        "address": h["address"],
        "length": int(h["length"]),
        "host": body,
        "hooked": list(h["hooked"]),
        "memory": dict(h.get("memory") or {}),
        "entry": entry,
    }


def _camel(text: str) -> str:
    return "".join(w[:1].upper() + w[1:] for w in "".join(c if c.isalnum() else " " for c in text).split())


# --------------------------------------------------------------------------- code emission


def _cond_asm(c: Condition, i: int, side: int = 1) -> list[str]:
    a = format_address(c.address)
    if c.width == 2:
        body = ["    REP #$20", f"    LDA.l {a}"]
        if c.mask != 0xFFFF:
            body.append(f"    AND #${c.mask:04X}")
        br = {"ge": "BCC", "lt": "BCS"}.get(c.op)
        if br is None:
            raise ConfigError("16-bit conditions are 'ge' or 'lt'")
        return [
            *body,
            f"    CMP #${c.value:04X}",
            "    SEP #$20          ; SEP leaves carry alone",
            f"    {br} .skip",
        ]
    lines = [f"    LDA.l {a}"]
    single = c.mask & (c.mask - 1) == 0
    if c.op == "set":
        lines.append(f"    AND #${c.mask:02X}")
        lines += ["    BEQ .skip"] if single else [f"    CMP #${c.mask:02X}", "    BNE .skip"]
    elif c.op == "clear":
        lines += [f"    AND #${c.mask:02X}", "    BNE .skip"]
    elif c.op == "eq":
        if c.mask != 0xFF:
            lines.append(f"    AND #${c.mask:02X}")
        lines += [f"    CMP #${c.value:02X}", "    BNE .skip"]
    else:
        if c.mask != 0xFF:
            lines.append(f"    AND #${c.mask:02X}")
        lines += [f"    CMP #${c.value:02X}", "    BCC .skip" if c.op == "ge" else "    BCS .skip"]
    lines[0] += f"        ; {c.meaning or c.what}" if side else f"        ; {c.what}"
    return lines


def _reward_asm(r: Reward, i: int) -> list[str]:
    if r.kind == "item":
        return [
            f"    LDY #${r.item:02X}           ; {r.name or ITEMS.get(int(r.item or 0), 'item')}",
            "    JSL Link_ReceiveItem",
        ]
    a = format_address(int(r.address or 0))
    if r.kind == "flag":
        return [f"    LDA.l {a}        ; {r.name or 'flag'}", f"    ORA #${r.mask:02X}", f"    STA.l {a}"]
    return [
        f"    LDA.l {a}        ; {r.name or 'counter'}",
        f"    CMP #${r.cap:02X}",
        f"    BCS .full{i}          ; already at the cap",
        f"    ADC #${r.add:02X}           ; carry is clear here",
        f"    BCS .cap{i}",
        f"    CMP #${r.cap:02X}",
        f"    BCC .store{i}",
        f".cap{i}",
        f"    LDA #${r.cap:02X}",
        f".store{i}",
        f"    STA.l {a}",
        f".full{i}",
    ]


_MESSAGE_LABEL = {
    0x05E1A7: "Sprite_ShowSolicitedMessage",
    0x05E1F0: "Sprite_ShowMessageOnContact",
    0x05E219: "Sprite_ShowMessageUnconditional",
}


def _message_asm(m: MessageCall) -> list[str]:
    return [
        f"    LDA #${m.id & 0xFF:02X}            ; message {m.key}: {m.purpose}".rstrip(": "),
        f"    LDY #${m.id >> 8:02X}",
        f"    JSL {_MESSAGE_LABEL[m.address]}",
    ]


def _object_bytes(obj_id: int, x: int, y: int, size: int = 0) -> list[int]:
    if obj_id >= 0xF80:
        low = obj_id & 0xF
        return [(x << 2) | (low & 3), (y << 2) | (low >> 2), 0xF8 | ((obj_id >> 4) & 7)]
    if obj_id >= 0x100:
        return [0xFC | (x >> 4), ((x & 0xF) << 4) | (y >> 2), ((y & 3) << 6) | (obj_id & 0x3F)]
    return [(x << 2) | (size >> 2), (y << 2) | (size & 3), obj_id]


def _room_asm(spec: CrossSpec, variant: int, side: int = 1) -> list[str]:
    room = spec.room
    assert room is not None
    needs = tag_needs(room.tag)
    objs: list[tuple[int, int, int, int, str]] = [
        (0x01, 2 + side, 2, 5, "wall top"),
        (0x61, 2, 4 + side, 3, "wall left"),
        (0x34 if variant % 2 else 0x33, 10 + 2 * side + variant % 3, 10, 2, "floor"),
    ]
    objs += [
        (oid, 20 + 4 * k + side, 14 + variant % 5, 0, f"object ${oid:03X}")
        for k, oid in enumerate(room.objects)
    ]
    if "chest" in needs:
        objs.append((0xF99, 30 + side, 20 + variant % 4, 0, "chest"))
    lines = [
        f"{room.label}_Tags:",
        f"    db ${room.tag:02X}, $00          ; tag {room.tag}: {tag_name(room.tag)}",
        f"{room.label}_Objects:",
    ]
    for oid, x, y, size, what in objs:
        b = _object_bytes(oid, x, y, size)
        lines.append(f"    db ${b[0]:02X}, ${b[1]:02X}, ${b[2]:02X}    ; {what} at ({x},{y})")
    if "door" in needs:
        lines += [
            "    db $F0, $FF          ; the door list",
            f"    dw ${0x0040 + 8 * (variant % 4):04X}            ; door (north wall)",
        ]
    lines.append("    dw $FFFF")
    if "torches" in needs:
        lines.append(f"{room.label}_Torches:")
        lines += [
            f"    dw ${0x0412 + 0x0108 * t + 2 * side + 0x40 * (variant % 3):04X}            ; torch {t + 1}"
            for t in range(room.torches)
        ]
        lines.append("    dw $FFFF")
    return lines


# Comment and brief wordings per side (0: the evaluation suite, 1: training), see `_side`.
_DONE_COMMENT = ("finished before?", "done already?")
_MARK_COMMENT = ("remember that it happened", "mark the step done")


def patch_source(spec: CrossSpec, hooked: list[str], title: str, variant: int, side: int = 1) -> str:
    h = spec.hook
    used = {RECEIVE_ITEM_LABEL} if any(r.kind == "item" for r in spec.rewards) else set()
    used |= {_MESSAGE_LABEL[m.address] for m in spec.messages}
    defs = [f"{name} = ${addr:06X}" for addr, name in sorted(ROUTINE_NAMES.items()) if name in used]
    pad = h.length - 4
    d = spec.done
    done = format_address(d.address)
    body = [
        f"; {title}",
        *defs,
        "",
        f"org ${h.address:06X}          ; hook: {' : '.join(hooked)}",
        f"    JSL {h.routine}",
        *(["    NOP"] * pad),
        "",
        f"org ${spec.free_space.start:06X}",
        f"{h.routine}:",
        "    PHX",
        "    PHY",
        f"    LDA.l {done}        ; {_DONE_COMMENT[side]}",
        f"    AND #${d.mask:02X}",
        "    BNE .skip",
    ]
    for i, c in enumerate(spec.trigger):
        body += _cond_asm(c, i, side)
    body += [
        f"    LDA.l {done}",
        f"    ORA #${d.mask:02X}",
        f"    STA.l {done}        ; {_MARK_COMMENT[side]}",
    ]
    for i, r in enumerate(spec.rewards):
        body += _reward_asm(r, i)
    for m in spec.messages:
        body += _message_asm(m)
    body += [".skip", "    PLY", "    PLX", *(f"    {ins}" for ins in hooked), "    RTL"]
    if spec.room is not None:
        body += ["", *_room_asm(spec, variant, side)]
    return "\n".join(body) + "\n"


RECEIVE_ITEM_LABEL = "Link_ReceiveItem"


# --------------------------------------------------------------------------- words


def _conditions_text(spec: CrossSpec) -> str:
    return "; ".join(f"{c.meaning}: {c.describe()}" for c in spec.trigger)


def _rewards_text(spec: CrossSpec, side: int = 1) -> str:
    out = []
    for r in spec.rewards:
        name = r.name or ITEMS.get(int(r.item or 0), "an item")
        where = format_address(int(r.address or 0))
        if r.kind == "item":
            out.append(
                f"give {name} through Link_ReceiveItem ($07:99AD) with Y = ${r.item:02X}"
                if side
                else f"call Link_ReceiveItem at $07:99AD (Y = ${r.item:02X}: {name})"
            )
        elif r.kind == "flag":
            out.append(
                f"set bit(s) ${r.mask:02X} of {where} ({r.name})"
                if side
                else f"{r.name}: OR ${r.mask:02X} into {where}"
            )
        else:
            out.append(
                f"add {r.add} to {r.name} at {where}, never above {r.cap}"
                if side
                else f"raise {where} ({r.name}) by {r.add} up to a cap of {r.cap}"
            )
    return "; ".join(out) or "nothing besides the done flag"


def _messages_text(spec: CrossSpec, side: int = 1) -> str:
    return "; ".join(
        f"message {m.key} ({m.purpose}) through {ROUTINE_NAMES[m.address]} (${m.address:06X}, A = ${m.id & 0xFF:02X}, Y = ${m.id >> 8:02X})"
        if side
        else f"{ROUTINE_NAMES[m.address]} at ${m.address:06X} for message {m.key}, {m.purpose} (A = ${m.id & 0xFF:02X}, Y = ${m.id >> 8:02X})"
        for m in spec.messages
    )


def brief(spec: CrossSpec, quest: Quest, design_asked: bool, side: int = 1) -> str:
    h = spec.hook
    host_lines = h.host.splitlines()
    parts = []
    if design_asked and spec.quest_rules is not None:
        qr = spec.quest_rules
        parts.append(
            f'Design the quest "{spec.title}" and implement it in the ROM. Part 1: give the quest outline as '
            'JSON under "quest" ({"title", "steps": [{"kind", "location", "summary", "requires", '
            f'"grants"}}]}}): {qr.min_steps}-{qr.max_steps} steps on real ALTTP places'
            + (f", granting {', '.join(qr.must_grant)}" if qr.must_grant else "")
            + (f", with {', '.join(qr.must_include_kinds)} steps" if qr.must_include_kinds else "")
            + ", ending with a reward."
        )
    else:
        who = f"{quest.giver}'s quest" if quest.giver else "the quest"
        parts.append(f'Implement the payoff of {who} "{quest.title}" in the ROM. {quest.goal}')
    parts.append(
        f"The hook: {format_address(h.address)} holds `{' : '.join(ln.strip() for ln in host_lines[: len(_hooked(h.host, h.length))])}` "
        f"({h.length} bytes, then `{' : '.join(ln.strip() for ln in host_lines[len(_hooked(h.host, h.length)) :])}`); "
        f"overwrite those {h.length} bytes with a JSL to a routine `{h.routine}` in free space "
        f"{format_address(spec.free_space.start)}-{format_address(spec.free_space.end)} (write nothing else), and keep "
        "the overwritten instructions' effect (registers, flags they set, memory). A/X/Y are 8-bit, DB = $7E."
    )
    done = f"bit(s) ${spec.done.mask:02X} of {format_address(spec.done.address)}"
    effects = _rewards_text(spec, side) + (f"; show {_messages_text(spec, side)}" if spec.messages else "")
    if side:
        parts.append(
            f"Each time it runs: when {_conditions_text(spec)}, and the done flag ({done}) is clear, set the done "
            f"flag, {effects}. Otherwise change nothing and call nothing."
        )
    else:
        parts.append(
            f"The routine acts only if all of these hold: {_conditions_text(spec)}; and {done} (the done flag) is "
            f"still 0. Then it sets that flag and must {effects}. In every other case it leaves memory alone and "
            "calls no game routine."
        )
    if spec.messages and side:
        parts.append(
            "Write each message's text (text engine syntax: [2]/[3] start rows 2/3, [K] waits for a key, [V] scrolls, "
            f"[L] is the player's name, at most 168 px a line, name counted as {spec.name_px} px) as JSON under "
            '"messages" ({"$id": text}).'
        )
    elif spec.messages:
        parts.append(
            'Give the text of every message in a JSON object under "messages", keyed "$id". Lines may be at most '
            f"168 px wide (the player's name [L] counts {spec.name_px} px); [2] and [3] begin box rows 2 and 3, [K] "
            "waits for a key press and [V] scrolls the box."
        )
    if spec.room is not None and not side:
        r = spec.room
        need = tag_needs(r.tag)
        parts.append(
            f"The dungeon data for room ${r.id:03X} goes into the free space too: label `{r.label}_Tags` holds "
            f"two tag bytes, the first {r.tag} ({tag_name(r.tag)}); label `{r.label}_Objects` holds the object stream"
            + (" with its door list" if "door" in need else "")
            + (
                f"; label `{r.label}_Torches` lists {r.torches} torches (words, $FFFF last)"
                if "torches" in need
                else ""
            )
            + (
                f"; object(s) {', '.join(f'${o:03X}' for o in r.objects)} must be in the stream"
                if r.objects
                else ""
            )
            + "."
        )
    elif spec.room is not None:
        r = spec.room
        need = tag_needs(r.tag)
        parts.append(
            f"Room ${r.id:03X}: write in the free space `{r.label}_Tags` (db tag1, tag2) with tag1 = {r.tag} "
            f"({tag_name(r.tag)}), `{r.label}_Objects` (3-byte objects"
            + (", F0 FF, then the 2-byte doors" if "door" in need else "")
            + ", ended by $FFFF)"
            + (
                f" and `{r.label}_Torches` ({r.torches} 2-byte torch entries ended by $FFFF)"
                if "torches" in need
                else ""
            )
            + (f"; the list needs objects {', '.join(f'${o:03X}' for o in r.objects)}" if r.objects else "")
            + "."
        )
    parts.append("Put the patch (it places itself with org) in one ```asm block.")
    return "\n\n".join(parts)


def _hooked(host: str, length: int) -> list[str]:
    """The leading host lines the hook overwrites (lines up to `length` bytes; the templates keep
    the hooked instructions as the first lines)."""
    sizes = []
    total = 0
    for line in host.splitlines():
        ins = line.strip()
        mode = ins.split()[0] if ins else ""
        n = 4 if mode.endswith(".l") else 3 if mode.endswith(".w") else 2
        sizes.append(ins)
        total += n
        if total >= length:
            break
    return sizes


def explanation(spec: CrossSpec, title: str) -> tuple[str, list[str]]:
    h = spec.hook
    hooked = _hooked(h.host, h.length)
    claims = [format_address(h.address), h.routine, format_address(spec.done.address)]
    claims += [format_address(c.address) for c in spec.trigger]
    claims += [f"${r.item:02X}" for r in spec.rewards if r.kind == "item"]
    claims += [m.key for m in spec.messages]
    text = [
        f"**{title}.** The patch hooks {format_address(h.address)}: the {h.length} bytes of "
        f"`{' : '.join(hooked)}` become `JSL {h.routine}`"
        + (" plus NOP padding" if h.length > 4 else "")
        + f". {h.routine} sits in free space at {format_address(spec.free_space.start)}; it saves X and Y, runs the quest "
        "logic, restores them and replays the overwritten instructions last, so the vanilla code after the hook sees "
        "the same registers and flags.",
        f"Trigger: {_conditions_text(spec)}; and the done flag, bit(s) ${spec.done.mask:02X} of "
        f"{format_address(spec.done.address)}, must be clear (so it fires once).",
        f"When it fires it sets the done flag and does this: {_rewards_text(spec)}.",
    ]
    if spec.messages:
        text.append(f"It shows {_messages_text(spec)}.")
    if spec.room is not None:
        r = spec.room
        text.append(
            f"Room ${r.id:03X} gets tag {r.tag} ({tag_name(r.tag)}); its object list and"
            + (" torch table" if "torches" in tag_needs(r.tag) else " door list")
            + " are written in free space."
        )
        claims.append(str(r.tag))
    text.append("Nothing outside the hook site and the free space changes in the ROM.")
    return "\n\n".join(text), claims


# --------------------------------------------------------------------------- the kinds


def _quest(kind: str, variant: int, split: str) -> Quest:
    from triforce.lore.kb import vanilla
    from triforce.lore.memory import free_bytes
    from triforce.quest.templates import FREE_BLOCK, fill, givers, slots

    kb = vanilla()
    people = givers(kb, split=split)
    for k in range(len(people)):
        giver, home = people[(variant + k) % len(people)]
        s = slots(kb, giver, home, variant)
        if s is not None:
            quest = fill(kind, kb, s)
            # the flag byte: alternate free save bytes for the two sides (see `_side`)
            free = free_bytes(kb, "alttp", *FREE_BLOCK)[_side(split) :: 2]
            address = free[_n(f"{kind}:{variant}:{giver}") % len(free)]
            flags = [f.model_copy(update={"address": address}) for f in quest.flags]
            return quest.model_copy(update={"flags": flags})
    raise ConfigError(f"no quest slots for {kind} variant {variant}")


def _side(split: str) -> int:
    """0 for the evaluation suite, 1 for training: numbers the two sides pick never coincide
    (banks, areas, rooms, message ids, flag bytes), so no training text repeats an item's."""
    return 0 if split == "eval" else 1


def _free(variant: int, key: str, split: str) -> dict[str, str]:
    bank = 0x20 + _n(key) % 0x10 + 0x10 * _side(split)
    start = (bank << 16) | 0x8000 | ((variant % 8) * 0x800)
    return {"start": format_address(start), "end": format_address(start + 0x7FF)}


def _spec(
    *,
    title: str,
    quest: Quest,
    host: str,
    trigger: list[dict[str, Any]],
    done: tuple[int, int],
    rewards: list[dict[str, Any]],
    messages: list[dict[str, Any]],
    variant: int,
    split: str,
    room: dict[str, Any] | None = None,
    rules: QuestRules | None = None,
) -> tuple[CrossSpec, list[str]]:
    h = _host(host)
    memory = h.pop("memory")
    hooked = h.pop("hooked")
    entry = h.pop("entry")
    routine = f"{_camel(title)[:36] or 'Quest'}{variant:03d}"
    spec = CrossSpec.model_validate(
        {
            "title": title,
            "quest": quest.model_dump(),
            "quest_rules": rules.model_dump() if rules else None,
            "trigger": trigger,
            "done": {"address": format_address(done[0]), "mask": done[1]},
            "rewards": rewards,
            "messages": messages,
            "hook": {**h, "routine": routine, "entry_state": entry, "memory": memory},
            "free_space": _free(variant, title, split),
            "room": room,
        }
    )
    return spec, hooked


def _done(quest: Quest) -> tuple[int, int]:
    f = quest.flags[0]
    return f.address, f.bits


def _say(*lines: str) -> str:
    """Rows of one box: [2]/[3] start rows 2 and 3; [K] waits for the key at the end."""
    out = lines[0]
    for i, line in enumerate(lines[1:3], start=2):
        out += f"[{i}]{line}"
    return out + "[K]"


def host_names(split: str) -> tuple[str, ...]:
    """Hook sites of a split: the evaluation suite's are held out from training."""
    want = "eval" if split == "eval" else "train"
    return tuple(k for k, v in hosts().items() if str(v.get("split", "train")) == want)


def _pick(seq: tuple[Any, ...] | list[Any], variant: int, salt: str) -> Any:
    return seq[_n(f"{salt}:{variant}") % len(seq)]


def suite_plan() -> list[tuple[str, int]]:
    """The evaluation suite's items: the plan's three cases, then ten of each quest kind."""
    return [(k, 0) for k in PLAN_CASES] + [(k, v) for k in KINDS for v in range(10)]


def build(kind: str, variant: int, split: str = "train") -> Pair:
    """One proven-to-be pair template filled for `variant` (deterministic)."""
    maker = _MAKERS.get(kind)
    if maker is None:
        raise ConfigError(f"unknown cross-domain kind {kind!r}; choose from {', '.join(_MAKERS)}")
    return maker(variant, split)


def _finish(
    kind: str,
    variant: int,
    split: str,
    title: str,
    quest: Quest,
    spec: CrossSpec,
    hooked: list[str],
    messages: dict[int, str],
    design: str,
) -> Pair:
    patch = patch_source(spec, hooked, title, variant, _side(split))
    expl, claims = explanation(spec, title)
    return Pair(
        key=f"{kind}:{variant:04d}",
        kind=kind,
        title=title,
        spec=spec,
        patch=patch,
        messages=messages,
        quest=quest,
        design=design,
        brief=brief(spec, quest, spec.quest_rules is not None, _side(split)),
        explanation=expl,
        claims=claims,
    )


def _fetch(variant: int, split: str) -> Pair:
    quest = _quest("fetch", variant, split)
    addr, mask = _done(quest)
    item = KB_REWARD_ITEM.get(
        quest.reward[0].replace(" ", "_").lower(), _pick(tuple(ITEMS), variant, "fetch-item")
    )
    obj = quest.steps[2].grants[0] if len(quest.steps) > 2 and quest.steps[2].grants else "the lost object"
    msg = 0x180 + 2 * (variant % 0x30) + _side(split)
    title = quest.title
    room = 0x0100 + 2 * (variant % 0x10) + _side(split)
    trigger = [
        {
            "what": "flag",
            "address": format_address(addr),
            "op": "set",
            "mask": mask << 4 & 0xFF or 0x80,
            "meaning": f"Link carries {quest.giver}'s {obj}",
        },
        {
            "what": "room",
            "address": format_address(WRAM["room"]),
            "op": "ge",
            "value": room,
            "mask": 0xFFFF,
            "width": 2,
            "meaning": f"Link is in the giver's house (room ${room:03X} or later)",
        },
    ]
    spec, hooked = _spec(
        title=title,
        quest=quest,
        host=_pick(host_names(split), variant, "fetch-host"),
        trigger=trigger,
        done=(addr, mask),
        rewards=[{"kind": "item", "item": item, "name": ITEMS.get(item, "the reward")}],
        messages=[{"routine": "solicited", "id": msg, "purpose": "thanks"}],
        variant=variant,
        split=split,
    )
    giver = quest.giver or "The giver"
    design, texts = words_for(
        "fetch",
        split,
        variant,
        title=title,
        goal=quest.goal,
        giver=giver,
        obj=obj,
        item=ITEMS.get(item, "reward"),
    )
    messages = {msg: texts[0]}
    return _finish("fetch", variant, split, title, quest, spec, hooked, messages, design)


def _talk(variant: int, split: str) -> Pair:
    quest = _quest("talk", variant, split)
    addr, mask = _done(quest)
    token_bit = 0x40 if mask != 0x40 else 0x20
    title = quest.title
    msgs = [0x1A0 + 2 * (variant % 0x20) + _side(split), 0x2A0 + 2 * (variant % 0x20) + _side(split)]
    trigger = [
        {
            "what": "flag",
            "address": format_address(addr),
            "op": "set",
            "mask": token_bit,
            "meaning": f"Link has heard the token {quest.giver} waits for",
        },
        {
            "what": "flag",
            "address": format_address(WRAM["indoors"]),
            "op": "eq",
            "value": 1,
            "meaning": "Link is indoors",
        },
    ]
    spec, hooked = _spec(
        title=title,
        quest=quest,
        host=_pick(host_names(split), variant, "talk-host"),
        trigger=trigger,
        done=(addr, mask),
        rewards=[
            {
                "kind": "flag",
                "address": format_address(addr),
                "mask": 0x80 if token_bit != 0x80 and mask != 0x80 else 0x08,
                "name": "the giver's trust",
            }
        ],
        messages=[
            {"routine": "solicited", "id": msgs[0], "purpose": "the giver hears the token"},
            {"routine": "unconditional", "id": msgs[1], "purpose": "the giver's answer"},
        ],
        variant=variant,
        split=split,
    )
    giver = quest.giver or "The giver"
    design, texts = words_for("talk", split, variant, title=title, goal=quest.goal, giver=giver)
    messages = dict(zip(msgs, texts, strict=True))
    return _finish("talk", variant, split, title, quest, spec, hooked, messages, design)


def _trigger(variant: int, split: str) -> Pair:
    quest = _quest("trigger", variant, split)
    addr, mask = _done(quest)
    title = quest.title
    area = 2 * ((variant * 7) % 0x20) + _side(split)
    x0 = 0x0400 + 0x40 * (variant % 16) + 0x10 * _side(split)
    trigger = [
        {
            "what": "room",
            "address": format_address(WRAM["area"]),
            "op": "eq",
            "value": area,
            "meaning": f"overworld area ${area:02X}",
        },
        {
            "what": "position",
            "address": format_address(WRAM["link_x"]),
            "op": "ge",
            "value": x0,
            "mask": 0xFFFF,
            "width": 2,
            "meaning": "Link stands east of the lever",
        },
        {
            "what": "position",
            "address": format_address(WRAM["link_x"]),
            "op": "lt",
            "value": x0 + 0x20,
            "mask": 0xFFFF,
            "width": 2,
            "meaning": "and within two tiles of it",
        },
    ]
    spec, hooked = _spec(
        title=title,
        quest=quest,
        host=_pick(host_names(split), variant, "trigger-host"),
        trigger=trigger,
        done=(addr, mask),
        rewards=[
            {
                "kind": "counter",
                "address": format_address(SRAM["arrows"]),
                "add": 10,
                "cap": 30 + 10 * (variant % 4) + 5 * (1 - _side(split)),
                "name": "arrows",
            }
        ],
        messages=[],
        variant=variant,
        split=split,
    )
    design, _ = words_for("trigger", split, variant, title=title, goal=quest.goal, area=f"{area:02X}")
    return _finish("trigger", variant, split, title, quest, spec, hooked, {}, design)


def _puzzle(variant: int, split: str, tag: int | None = None, title: str | None = None) -> Pair:
    quest = _quest("puzzle", variant, split)
    addr, mask = _done(quest)
    title = title or quest.title
    tag = tag if tag is not None else (51, 19, 23, 62, 60)[variant % 5]
    room_id = 0x40 + 2 * ((variant * 5) % 0x60) + _side(split)
    switch = 0x10 if mask != 0x10 else 0x20
    need = tag_needs(tag)
    trigger = [
        {
            "what": "room",
            "address": format_address(WRAM["room"]),
            "op": "ge",
            "value": room_id,
            "mask": 0xFFFF,
            "width": 2,
            "meaning": f"Link is in room ${room_id:03X}",
        },
        {
            "what": "room",
            "address": format_address(WRAM["room"]),
            "op": "lt",
            "value": room_id + 1,
            "mask": 0xFFFF,
            "width": 2,
            "meaning": "and no later room",
        },
        {
            "what": "flag",
            "address": format_address(addr),
            "op": "set",
            "mask": switch,
            "meaning": f"the puzzle {quest.giver} spoke of is solved",
        },
    ]
    spec, hooked = _spec(
        title=title,
        quest=quest,
        host=_pick(host_names(split), variant, "puzzle-host"),
        trigger=trigger,
        done=(addr, mask),
        rewards=[{"kind": "item", "item": 0x24, "name": "Small Key"}]
        if "chest" in need
        else [
            {
                "kind": "flag",
                "address": format_address(addr),
                "mask": 0x80 if mask != 0x80 else 0x40,
                "name": "door open",
            }
        ],
        messages=[
            {
                "routine": "unconditional",
                "id": 0x1C0 + 2 * (variant % 0x10) + _side(split),
                "purpose": "the door grinds open",
            }
        ],
        variant=variant,
        split=split,
        room={
            "id": room_id,
            "label": f"Room{room_id:03X}",
            "tag": tag,
            "torches": 3 + variant % 2 if "torches" in need else 0,
            "objects": [0x134] if tag in (19, 60) else [],
        },
    )
    design, texts = words_for(
        "puzzle",
        split,
        variant,
        title=title,
        goal=quest.goal,
        room=f"{room_id:03X}",
        tag=tag,
        tag_name=tag_name(tag),
    )
    messages = {0x1C0 + 2 * (variant % 0x10) + _side(split): texts[0]}
    return _finish("puzzle", variant, split, title, quest, spec, hooked, messages, design)


def _escort(variant: int, split: str) -> Pair:
    quest = _quest("escort", variant, split)
    addr, mask = _done(quest)
    title = quest.title
    follower = _pick(tuple(FOLLOWERS), variant, "follower")
    area = 2 * ((variant * 11) % 0x20) + _side(split)
    item = _pick((0x16, 0x17, 0x31, 0x36), variant, "escort-item")
    trigger = [
        {
            "what": "flag",
            "address": format_address(SRAM["follower"]),
            "op": "eq",
            "value": follower,
            "meaning": f"{FOLLOWERS[follower]} follows Link, as {quest.giver} asked",
        },
        {
            "what": "room",
            "address": format_address(WRAM["area"]),
            "op": "eq",
            "value": area,
            "meaning": f"they reached area ${area:02X}",
        },
    ]
    spec, hooked = _spec(
        title=title,
        quest=quest,
        host=_pick(host_names(split), variant, "escort-host"),
        trigger=trigger,
        done=(addr, mask),
        rewards=[{"kind": "item", "item": item, "name": ITEMS[item]}],
        messages=[
            {
                "routine": "contact",
                "id": 0x1F0 + 2 * (variant % 8) + _side(split),
                "purpose": "arrival thanks",
            }
        ],
        variant=variant,
        split=split,
    )
    design, texts = words_for(
        "escort", split, variant, title=title, goal=quest.goal, area=f"{area:02X}", item=ITEMS[item]
    )
    messages = {0x1F0 + 2 * (variant % 8) + _side(split): texts[0]}
    return _finish("escort", variant, split, title, quest, spec, hooked, messages, design)


def _shop(variant: int, split: str) -> Pair:
    base = _quest("fetch", variant, split)
    addr, mask = _done(base)
    home = base.steps[0].location
    price = ((25, 45, 65, 85), (20, 30, 50, 80, 100, 150))[_side(split)][variant % (4 + 2 * _side(split))]
    item = _pick((0x16, 0x29, 0x0D, 0x12), variant, "shop-item")
    title = f"The {ITEMS[item]} Stall of {home}"
    quest = Quest(
        title=title,
        kind="shop",
        giver=base.giver,
        goal=f"Buy the {ITEMS[item]} the travelling merchant at {home} sells once.",
        steps=[
            Step(
                kind="talk",
                location=home,
                summary=f"A merchant at {home} offers one {ITEMS[item]}.",
                npc=base.giver,
            ),
            Step(kind="fetch", location=home, summary=f"Link gathers {price} rupees.", grants=["rupees"]),
            Step(
                kind="reward",
                location=home,
                summary=f"Link pays {price} rupees for the {ITEMS[item]}.",
                requires=["rupees"],
                grants=[ITEMS[item]],
                sets_flags=[base.flags[0].name],
            ),
        ],
        flags=base.flags[:1],
    )
    trigger = [
        {
            "what": "counter",
            "address": format_address(SRAM["rupees"]),
            "op": "ge",
            "value": price,
            "mask": 0xFFFF,
            "width": 2,
            "meaning": f"Link has at least {price} rupees",
        },
        {
            "what": "flag",
            "address": format_address(WRAM["indoors"]),
            "op": "eq",
            "value": 1,
            "meaning": "Link is inside the shop",
        },
    ]
    spec, hooked = _spec(
        title=title,
        quest=quest,
        host=_pick(host_names(split), variant, "shop-host"),
        trigger=trigger,
        done=(addr, mask),
        rewards=[{"kind": "item", "item": item, "name": ITEMS[item]}],
        messages=[
            {"routine": "solicited", "id": 0x170 + 2 * (variant % 8) + _side(split), "purpose": "sale"}
        ],
        variant=variant,
        split=split,
    )
    design, texts = words_for(
        "shop", split, variant, title=title, giver=base.giver or "the keeper", item=ITEMS[item], price=price
    )
    messages = {0x170 + 2 * (variant % 8) + _side(split): texts[0]}
    return _finish("shop", variant, split, title, quest, spec, hooked, messages, design)


# The plan's three cross-domain test cases.


def _fairy_fountain(variant: int, split: str) -> Pair:
    base = _quest("puzzle", variant, split)
    addr, mask = _done(base)
    wall = 0x20 if mask != 0x20 else 0x40
    title = "The Hidden Fairy Fountain"
    rules = QuestRules(
        min_steps=3, max_steps=6, must_include_kinds=["puzzle"], opening_kinds=["story", "explore", "talk"]
    )
    trigger = [
        {
            "what": "flag",
            "address": format_address(addr),
            "op": "set",
            "mask": wall,
            "meaning": "the cracked wall is bombed open",
        },
        {
            "what": "room",
            "address": format_address(WRAM["area"]),
            "op": "eq",
            "value": 0x35,
            "meaning": "Link is at Lake Hylia (area $35)",
        },
        {
            "what": "position",
            "address": format_address(WRAM["link_y"]),
            "op": "lt",
            "value": 0x0C40,
            "mask": 0xFFFF,
            "width": 2,
            "meaning": "Link stands in the fountain's basin",
        },
    ]
    quest = Quest(
        title=title,
        kind="trigger",
        steps=[
            Step(kind="story", location="Lake Hylia", summary="A fisherman says the cliff sings at night."),
            Step(
                kind="puzzle",
                location="Lake Hylia",
                summary="Link bombs the cracked wall under the ledge.",
                sets_flags=["FairyWallOpened"],
            ),
            Step(
                kind="reward",
                location="Lake Hylia",
                summary="The fairy rises and gives Link a fairy in a bottle.",
                requires_flags=["FairyWallOpened"],
                sets_flags=["FairyBlessed"],
                grants=["bottle"],
            ),
        ],
        flags=[
            Flag(name="FairyWallOpened", address=addr, mask=wall, meaning="the cracked wall is open"),
            Flag(name="FairyBlessed", address=addr, mask=mask, meaning="the fairy gave her gift"),
        ],
    )
    spec, hooked = _spec(
        title=title,
        quest=quest,
        host="ancilla_timer",
        trigger=trigger,
        done=(addr, mask),
        rewards=[
            {"kind": "item", "item": 0x3D, "name": "Bottle with a Fairy"},
            {
                "kind": "counter",
                "address": format_address(SRAM["bombs"]),
                "add": 10,
                "cap": 30,
                "name": "bombs",
            },
        ],
        messages=[{"routine": "unconditional", "id": 0x150, "purpose": "the fairy's blessing"}],
        variant=variant,
        split=split,
        rules=rules,
    )
    messages = {0x150: _say("You found my hidden", "spring. Take this", "fairy, and bombs.")}
    design = "**The Hidden Fairy Fountain.** Behind a bombable wall at Lake Hylia lies a spring; stepping into the basin once the wall is open makes the fairy give a bottled fairy and ten bombs, one time only."
    return _finish("fairy_fountain", variant, split, title, quest, spec, hooked, messages, design)


def _master_sword_hint(variant: int, split: str) -> Pair:
    base = _quest("talk", variant, split)
    addr, mask = _done(base)
    title = "The Sage's Hint"
    rules = QuestRules(
        min_steps=3, max_steps=6, must_include_kinds=["talk"], opening_kinds=["story", "explore", "talk"]
    )
    trigger = [
        {
            "what": "item",
            "address": format_address(SRAM["pendants"]),
            "op": "set",
            "mask": 0x07,
            "meaning": "Link holds all three pendants",
        },
        {
            "what": "item",
            "address": format_address(SRAM["sword"]),
            "op": "lt",
            "value": 2,
            "meaning": "Link does not have the Master Sword yet",
        },
        {
            "what": "flag",
            "address": format_address(WRAM["indoors"]),
            "op": "eq",
            "value": 1,
            "meaning": "Link is indoors",
        },
    ]
    quest = Quest(
        title=title,
        kind="talk",
        steps=[
            Step(
                kind="story",
                location="Kakariko Village",
                summary="An old sage waits for a hero with three pendants.",
            ),
            Step(
                kind="talk",
                location="Kakariko Village",
                summary="The sage tells Link where the Master Sword rests.",
                sets_flags=["SageHintHeard"],
            ),
            Step(kind="explore", location="Lost Woods", summary="Link follows the hint into the Lost Woods."),
            Step(
                kind="reward",
                location="Lost Woods",
                summary="Link finds the pedestal.",
                grants=["master_sword"],
            ),
        ],
        flags=[Flag(name="SageHintHeard", address=addr, mask=mask, meaning="the sage gave the hint")],
    )
    spec, hooked = _spec(
        title=title,
        quest=quest,
        host="dungeon_event",
        trigger=trigger,
        done=(addr, mask),
        rewards=[],
        messages=[
            {"routine": "solicited", "id": 0x160, "purpose": "the hint"},
            {"routine": "unconditional", "id": 0x261, "purpose": "the farewell"},
        ],
        variant=variant,
        split=split,
        rules=rules,
    )
    messages = {
        0x160: _say("Three pendants... then", "the blade of evil's", "bane awaits you."),
        0x261: _say("Seek the pedestal deep", "in the Lost Woods,", "[L]. Go now.[V]May the gods guide you."),
    }
    design = "**The Sage's Hint.** A sage speaks only to a hero holding all three pendants and no Master Sword yet: two boxes that fit the text box (three rows, 168 px, the name budgeted) point to the Lost Woods, once."
    return _finish("master_sword_hint", variant, split, title, quest, spec, hooked, messages, design)


def _switch_room(variant: int, split: str) -> Pair:
    p = _puzzle(variant, split, tag=23, title="The Switch Room")
    rules = QuestRules(
        min_steps=3, max_steps=6, must_include_kinds=["puzzle"], opening_kinds=["story", "explore", "talk"]
    )
    spec = p.spec.model_copy(update={"quest_rules": rules})
    quest = Quest(
        title="The Switch Room",
        kind="puzzle",
        steps=[
            Step(
                kind="explore", location="Eastern Palace", summary="Link enters a room whose door is sealed."
            ),
            Step(
                kind="puzzle",
                location="Eastern Palace",
                summary="Link strikes the crystal switch to open the door.",
            ),
            Step(
                kind="reward",
                location="Eastern Palace",
                summary="Beyond the door lies a chest with a key.",
                grants=["small_key"],
            ),
        ],
    )
    p.spec, p.quest, p.kind, p.key = spec, quest, "switch_room", f"switch_room:{variant:04d}"
    p.brief = brief(spec, quest, True, _side(split))
    return p


_MAKERS = {
    "fetch": _fetch,
    "talk": _talk,
    "trigger": _trigger,
    "puzzle": _puzzle,
    "escort": _escort,
    "shop": _shop,
    "fairy_fountain": _fairy_fountain,
    "master_sword_hint": _master_sword_hint,
    "switch_room": _switch_room,
}
