"""Readers for a hack's own documents (Oracle of Secrets' layout): what is structured becomes KB
records in the hack's scope, each citing `path#L<line>`; the rest stays citable passages.

- `Data/location_registry.json`: dungeons, shrines, places, bosses, dungeon items, the dungeon
  order and its item gates;
- `Data/dungeon_metadata.json`: each dungeon's entrance room (checked against the registry);
- `Docs/World/Guides/QuestFlow.md`: chapter order, rewards, required items, flag tables;
- `Docs/Planning/Story_Event_Graph.md`: events, where they happen, the flags they set
  (code-verified rows are hack canon, design rows design notes);
- `Core/sram.asm`: flag names, addresses and bit constants (the code's truth);
- `Docs/World/Lore/*.md`: passages, and the points the story leaves open on purpose;
- flag mentions anywhere ("`RockMeat` $7EF350") become records too, so a document that puts a
  flag where the code keeps another one is caught as a collision.
Statements a document makes about the vanilla game (the crystal slot a bit belongs to) are
returned as claims to check against the vanilla scope.
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from triforce.lore.claims import ClaimChecker
from triforce.lore.kb import VANILLA, KnowledgeBase, entity_for, load_vanilla, make_record
from triforce.lore.model import Claim, ClaimResult, Problem, Tier
from triforce.lore.names import normalise
from triforce.lore.passages import Passage, passages, read_text
from triforce.lore.validate import validate

REGISTRY = "Data/location_registry.json"
METADATA = "Data/dungeon_metadata.json"
QUESTFLOW = "Docs/World/Guides/QuestFlow.md"
EVENTS = "Docs/Planning/Story_Event_Graph.md"
SRAM = "Core/sram.asm"
LORE_DIR = "Docs/World/Lore"
_ADDR = r"\$?(7E[0-9A-Fa-f]{4})"


@dataclass
class HackDocs:
    root: Path
    scope: str
    kb: KnowledgeBase
    passages: list[Passage] = field(default_factory=list)
    vanilla_claims: list[tuple[Claim, str]] = field(default_factory=list)  # (claim, path#line)
    files: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def problems(self) -> list[Problem]:
        """The documents' consistency problems: with themselves and the code, and about vanilla."""
        found = [
            p
            for p in validate(self.kb, self.scope)
            if any(r.scope == self.scope for r in p.records) or not p.records
        ]
        for result, where in self.vanilla_results():
            if result.status == "contradicted":
                found.append(
                    Problem(
                        "vanilla",
                        f"{where}: {result.claim.subject} {result.claim.relation} {result.claim.object}: {result.reason}",
                        tuple(result.records),
                    )
                )
        return found

    def vanilla_results(self) -> list[tuple[ClaimResult, str]]:
        checker = ClaimChecker(self.kb, VANILLA)
        return [(checker.check(c), where) for c, where in self.vanilla_claims]


def is_oos_tree(root: Path) -> bool:
    return (root / REGISTRY).is_file() or (root / QUESTFLOW).is_file() or (root / LORE_DIR).is_dir()


class _Reader:
    def __init__(self, root: Path, kb: KnowledgeBase, scope: str) -> None:
        self.root, self.kb, self.scope = root, kb, scope
        kb.parents.setdefault(scope, VANILLA)
        self.docs = HackDocs(root, scope, kb)

    def add(self, s: str, rel: str, o: Any, where: str, tier: Tier = "hack-canon", note: str = "") -> None:
        try:
            self.kb.add(
                make_record(
                    self.kb, s, rel, o, source=where, tier=tier, scope=self.scope, where=where, note=note
                )
            )
        except Exception as exc:  # one odd value must not stop the reader; it is reported
            self.docs.skipped.append((where, str(exc)[:200]))

    def entity(self, name: str, kind: str) -> str:
        return entity_for(self.kb, name, kind, self.scope).id

    def text(self, rel: str) -> list[str] | None:
        path = self.root / rel
        if not path.is_file():
            return None
        self.docs.files.append(rel)
        return read_text(path).splitlines()

    # -- Core/sram.asm ------------------------------------------------------------------------------

    def sram(self) -> None:
        lines = self.text(SRAM)
        if lines is None:
            return
        byte: int | None = None  # the byte the bit constants below a "... Bits ($7EFxxx)" header live in
        bits: dict[tuple[int, int], str] = {}  # (byte, mask) -> the first constant that names it
        for n, line in enumerate(lines, start=1):
            where = f"{SRAM}#L{n}"
            header = re.match(r"^;\s*\w[\w ]*?\s+(Bits|Values)\b.*?\$(7EF[0-9A-Fa-f]{3})\)", line)
            if header:
                byte = int(header.group(2), 16) if header.group(1) == "Bits" else None
                continue
            const = re.match(r"^!(\w+)\s*=\s*\$([0-9A-Fa-f]{2})\b(.*)$", line)
            if const:
                mask = int(const.group(2), 16)
                if byte is not None and mask and mask & (mask - 1) == 0:  # one bit: a flag of its own
                    if (byte, mask) in bits:  # "(alias, same as above)": a second name, not a second flag
                        self.kb.add_alias(bits[(byte, mask)], const.group(1))
                        continue
                    e = self.entity(const.group(1), "flag")
                    bits[(byte, mask)] = e
                    self.add(e, "address", f"${byte:06X}", where)
                    self.add(e, "mask", mask, where)
                    slot = re.search(r"bit (\d) - ([A-Z][\w' ]+?) slot", const.group(3))
                    if slot:
                        self._vanilla_slot(int(slot.group(1)), slot.group(2).strip(), where)
                continue
            label = re.match(r"^([A-Z]\w+)\s*=\s*\$(7E[0-9A-Fa-f]{4})\b", line)
            if label:  # a byte of save RAM (its bits, if any, are the constants above)
                e = self.entity(label.group(1), "ram")
                self.add(e, "address", f"${label.group(2).upper()}", where)

    def _vanilla_slot(self, bit: int, dungeon: str, where: str) -> None:
        """A comment naming which vanilla dungeon's crystal a bit belongs to: a claim about vanilla."""
        d = self.kb.resolve(dungeon, VANILLA, kinds=("dungeon",))
        if d is None:
            return
        prize = self.kb.facts(d.id, "prize", VANILLA)
        flags = self.kb.facts_about(str(prize[0].object), "tracks", VANILLA) if prize else []
        if flags and flags[0].subject in self.kb.entities:
            self.docs.vanilla_claims.append((Claim(self.kb.name(flags[0].subject), "mask", 1 << bit), where))

    # -- Data/location_registry.json, Data/dungeon_metadata.json ---------------------------------

    def _json(self, rel: str) -> tuple[Any, list[str]] | None:
        lines = self.text(rel)
        if lines is None:
            return None
        try:
            return json.loads("\n".join(lines)), lines
        except json.JSONDecodeError as exc:
            self.docs.skipped.append((rel, f"not valid JSON: {exc.msg} (line {exc.lineno})"))
            return None

    @staticmethod
    def _line(lines: list[str], key: str, after: int = 0) -> int:
        needle = f'"{key}"'
        return next((i + 1 for i, line in enumerate(lines) if i >= after and needle in line), after + 1)

    def registry(self) -> None:
        got = self._json(REGISTRY)
        if got is None:
            return
        data, lines = got
        ids: dict[str, str] = {}
        for group, kind in (
            ("dungeons", "dungeon"),
            ("shrines", "dungeon"),
            ("fortress", "dungeon"),
            ("caves", "place"),
            ("special", "place"),
            ("houses", "place"),
            ("fairy_fountains", "place"),
        ):
            for key, spec in (data.get(group) or {}).items():
                if not isinstance(spec, dict) or not spec.get("name"):
                    continue
                line = self._line(lines, key)
                where = f"{REGISTRY}#L{line}"
                e = self.entity(str(spec["name"]), kind)
                ids[key] = e
                if spec.get("entrance_room"):
                    self.add(e, "entrance_room", str(spec["entrance_room"]).lower(), where)
                boss = (spec.get("boss") or {}).get("name") if isinstance(spec.get("boss"), dict) else None
                if boss and boss != "TBD":
                    self.add(e, "boss", self.entity(str(boss), "boss"), where)
                items = spec.get("dungeon_item")
                if isinstance(items, str) and items and items != "TBD":
                    for item in (x.strip() for x in items.split(",")):
                        self.add(self.entity(item, "item"), "found_at", e, where)
                for item in (spec.get("difficulty") or {}).get("required_items") or []:
                    self.add(e, "requires", self.entity(str(item), "item"), where)
        for world in (data.get("overworld_areas") or {}).values():
            for name in sorted(set(world.values()) if isinstance(world, dict) else []):
                self.entity(str(name), "place")
        prog = data.get("progression") or {}
        order = [k for k in prog.get("order") or [] if isinstance(k, str)]
        line = self._line(lines, "order", self._line(lines, "progression") - 1)
        for a, b in itertools.pairwise(order):
            if a in ids and b in ids:
                self.add(ids[a], "before", ids[b], f"{REGISTRY}#L{line}")
        for key, items in (prog.get("item_gates") or {}).items():
            if key in ids:
                where = f"{REGISTRY}#L{self._line(lines, key, self._line(lines, 'item_gates') - 1)}"
                for item in items:
                    self.add(ids[key], "requires", self.entity(str(item), "item"), where)

    def metadata(self) -> None:
        got = self._json(METADATA)
        if got is None:
            return
        data, lines = got
        for key, spec in data.items():
            if isinstance(spec, dict) and spec.get("name") and spec.get("entrance_room"):
                e = self.entity(str(spec["name"]), "dungeon")
                self.add(
                    e,
                    "entrance_room",
                    str(spec["entrance_room"]).lower(),
                    f"{METADATA}#L{self._line(lines, key)}",
                )

    # -- Docs/World/Guides/QuestFlow.md --------------------------------------------------------------

    def questflow(self) -> None:
        lines = self.text(QUESTFLOW)
        if lines is None:
            return
        chapter: str | None = None
        previous: str | None = None
        for n, line in enumerate(lines, start=1):
            where = f"{QUESTFLOW}#L{n}"
            head = re.match(r"^### Chapter [\d.]+: (?:The )?(.+?) \(([DS]\d)\)\s*$", line)
            if head:
                chapter = self.entity(head.group(1).strip(), "dungeon")
                if previous and head.group(2).startswith("D"):
                    self.add(previous, "before", chapter, where)
                if head.group(2).startswith("D"):
                    previous = chapter
                continue
            if line.startswith("### ") or line.startswith("## "):
                chapter = None
                continue
            if chapter is None:
                continue
            reward = re.match(r"^\s*\d+\.\s+\*\*Reward:\*\*\s*(.*)$", line)
            if reward:
                for item in re.findall(r"\*\*([^*]+)\*\*", reward.group(1)):
                    name = re.sub(r"\s*\(.*?\)\s*$", "", item).strip()
                    self.add(self.entity(name, "item"), "found_at", chapter, where)
            needs = re.match(r"^\s*\d+\.\s+\*\*Required Items?:\*\*\s*(.*)$", line)
            if needs:
                for item in re.split(r",|\band\b", re.sub(r"\*\*|\.|Completion of .*", "", needs.group(1))):
                    if item.strip():
                        self.add(chapter, "requires", self.entity(item.strip(), "item"), where)

    # -- Docs/Planning/Story_Event_Graph.md -----------------------------------------------------------

    def events(self) -> None:
        lines = self.text(EVENTS)
        if lines is None:
            return
        for n, line in enumerate(lines, start=1):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) < 9 or not re.match(r"EV-\d+", cells[0]):
                continue
            where = f"{EVENTS}#L{n}"
            tier: Tier = "hack-canon" if "(code)" in cells[7] else "hack-design"
            ev = self.entity(f"{cells[0]} {cells[1]}", "event")
            for place in re.split(r"[;/]", cells[3]):
                name = re.sub(r"\(.*?\)|Entrance.*|OW 0x\w+|SW 0x\w+|Room 0x\w+", "", place).strip(" ,:")
                target = self.kb.resolve(name, self.scope, kinds=("place", "dungeon")) if name else None
                if target is not None:
                    self.add(ev, "happens_at", target.id, where, tier)
                    break
            for flag, bit in re.findall(r"(\w+) \((?:[A-Z0-9_]+ )?bit (\d)\)", cells[2]):
                known = self.kb.resolve(flag, self.scope, kinds=("flag",))
                if known is not None:
                    self.add(ev, "sets_flag", known.id, where, tier)
                    self.add(
                        known.id, "mask", 1 << int(bit), where, tier, note="bit named by the event graph"
                    )

    # -- flag mentions in any document ----------------------------------------------------------------

    def flag_mentions(self, rel: str) -> None:
        lines = self.text(rel) if rel not in self.docs.files else read_text(self.root / rel).splitlines()
        if lines is None:
            return
        pattern = re.compile(r"`(\w+)`\s*(?:[a-z]+\s+)?(?:at\s*|\(\s*)?`?\$(7E[0-9A-Fa-f]{4})`?")
        for n, line in enumerate(lines, start=1):
            for name, addr in pattern.findall(line):
                if name.startswith("$") or name.lower() in ("bit", "value"):
                    continue
                known = self.kb.resolve(name, self.scope, kinds=("flag", "ram"))
                if known is None or known.scope != self.scope:
                    same = self._byte_named_alike(name, int(addr, 16))
                    if same is not None:  # "MagicBeanProg" for the code's "MagicBeanProgress"
                        self.kb.add_alias(same, name)
                        continue
                e = known.id if known is not None and known.scope == self.scope else self.entity(name, "ram")
                self.add(e, "address", f"${addr.upper()}", f"{rel}#L{n}", "hack-design")

    def _byte_named_alike(self, name: str, address: int) -> str | None:
        """The code's label for this address when the document's name is a shortening of it."""
        key = normalise(name).replace(" ", "")
        for r in self.kb.facts_about(f"${address:06X}", "address", self.scope):
            label = normalise(self.kb.entities[r.subject].name).replace(" ", "")
            if r.scope == self.scope and (label.startswith(key) or key.startswith(label)):
                return r.subject
        return None

    # -- Docs/World/Lore/*.md -----------------------------------------------------------------------

    def lore(self) -> None:
        folder = self.root / LORE_DIR
        if not folder.is_dir():
            return
        for path in sorted(folder.glob("*.md")):
            rel = str(path.relative_to(self.root))
            self.docs.files.append(rel)
            self.docs.passages += passages(self.root, path)
            for n, line in enumerate(read_text(path).splitlines(), start=1):
                m = re.search(
                    r"\*\*([A-Z][\w]+)'s ([\w ]+?):\*\*.*?(intentionally ambiguous|left unnamed|left to interpretation)",
                    line,
                    re.IGNORECASE,
                )
                if m:
                    who = (
                        self.kb.resolve(m.group(1), self.scope)
                        or self.kb.entities[self.entity(m.group(1), "character")]
                    )
                    self.add(
                        who.id, "_".join(normalise(m.group(2)).split()), "open", f"{rel}#L{n}", "ambiguous"
                    )


def read_oos(root: Path, kb: KnowledgeBase | None = None, scope: str = "oos") -> HackDocs:
    """Read an Oracle-of-Secrets-style tree into (a copy of) the vanilla KB, in the hack's scope."""
    reader = _Reader(root, kb if kb is not None else load_vanilla(), scope)
    reader.sram()
    reader.registry()
    reader.metadata()
    reader.questflow()
    reader.events()
    for rel in (QUESTFLOW, EVENTS, f"{LORE_DIR}/side_quests.md"):
        if (root / rel).is_file():
            reader.flag_mentions(rel)
    reader.lore()
    return reader.docs
