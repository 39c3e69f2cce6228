"""A reader for a hack's side-quest bible (Oracle of Secrets' `Docs/World/Lore/side_quests.md`):
each quest's flow table, trigger conditions, rewards, related files and the flags it names,
turned into the quest model where the table allows, so the designer checks run on real quests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from triforce.lore.names import normalise
from triforce.lore.passages import read_text
from triforce.quest.model import Flag, Quest, Step, StepKind

SIDE_QUESTS = "Docs/World/Lore/side_quests.md"
_KIND_WORDS: list[tuple[StepKind, tuple[str, ...]]] = [
    ("reward", ("receive", "reward", "obtain", "heart piece")),
    ("escort", ("lead", "escort", "avoid enemies", "guide")),
    ("combat", ("defeat", "complete d", "fight", "kill")),
    ("trigger", ("play ", "plant", "use ", "release")),
    ("deliver", ("return", "deliver", "give", "hand", "trade")),
    ("talk", ("speak", "talk", "learn", "ask", "message", "dialogue")),
    ("fetch", ("collect", "gather", "purchase", "buy", "get ", "find ", "take")),
    ("explore", ("reach", "access", "enter", "explore", "search")),
    ("story", ("scene", "updates", "reconcil")),
]


@dataclass
class HackQuest:
    title: str
    line: int
    path: str
    giver: str | None = None
    columns: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    triggers: list[str] = field(default_factory=list)
    rewards: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    flags: list[tuple[str, int, int]] = field(default_factory=list)  # (name, address, line)

    @property
    def cite(self) -> str:
        return f"{self.path}#L{self.line}"

    def has_steps(self) -> bool:
        return bool(self.rows) and self.columns[:1] == ["Step"]

    def has_places(self) -> bool:
        return "Location" in self.columns


def _kind(text: str) -> StepKind:
    low = text.lower()
    for kind, words in _KIND_WORDS:
        if any(w in low for w in words):
            return kind
    return "explore"


def _items(cell: str) -> list[str]:
    cell = cell.strip()
    return [] if not cell or cell in ("—", "-", "???") else [cell]


def to_quest(q: HackQuest) -> Quest | None:
    """The quest model of a side quest whose flow table lists steps (None otherwise)."""
    if not q.has_steps():
        return None
    col = {name: i for i, name in enumerate(q.columns)}

    def cell(row: list[str], name: str) -> str:
        return row[col[name]] if name in col and col[name] < len(row) else ""

    steps = []
    for row in q.rows:
        action = " ".join(
            c for name, c in zip(q.columns, row, strict=False) if name not in ("Step", "Location")
        )
        place = re.sub(r"\s*\(.*?\)\s*", "", cell(row, "Location")).strip() or "(not given)"
        given, received = _items(cell(row, "Item Given")), _items(cell(row, "Item Received"))
        kind: StepKind = "deliver" if given and received else _kind(action)
        if received and not given and kind == "deliver":
            kind = "talk"  # someone hands Link something: a conversation, not a delivery
        steps.append(
            Step(
                kind=kind,
                location=place,
                summary=action.strip(),
                requires=given,
                consumes=given,
                grants=received,
            )
        )
    if (
        steps
        and steps[-1].kind != "reward"
        and q.rewards
        and any(normalise(r) in normalise(steps[-1].summary) for r in q.rewards)
    ):
        steps[-1] = steps[-1].model_copy(update={"kind": "reward"})
    flags = [
        Flag(name=name, address=address) for name, address in dict.fromkeys((n, a) for n, a, _ in q.flags)
    ]
    return Quest(title=q.title, giver=q.giver, steps=steps, reward=[], flags=flags)


def read_side_quests(root: Path, rel: str = SIDE_QUESTS) -> list[HackQuest]:
    """Every `### quest` section of the side-quest bible, with what its subsections state."""
    path = root / rel
    if not path.is_file():
        return []
    lines = read_text(path).splitlines()
    quests: list[HackQuest] = []
    givers: dict[str, str] = {}
    current: HackQuest | None = None
    part = ""
    in_summary = False
    for n, line in enumerate(lines, start=1):
        if line.startswith("## "):
            in_summary = "Status Summary" in line
            current = None
            continue
        if line.startswith("### "):
            current = HackQuest(title=line[4:].strip(), line=n, path=rel)
            quests.append(current)
            part = ""
            continue
        if line.startswith("#### "):
            part = line[5:].strip().lower()
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")] if line.startswith("|") else []
        if in_summary and len(cells) >= 2 and cells[0] not in ("Quest",) and not set(cells[0]) <= {"-"}:
            givers[normalise(cells[0])] = cells[1]
            continue
        if current is None:
            continue
        if part.startswith("quest flow") and cells:
            if not current.columns:
                current.columns = cells
            elif not all(set(c) <= {"-", ":"} for c in cells):
                current.rows.append(cells)
        elif part.startswith("trigger") and line.startswith("- "):
            current.triggers.append(line[2:].strip())
        elif part.startswith("reward") and line.startswith("- "):
            m = re.match(r"- \*\*(.+?):\*\*", line)
            if m:
                current.rewards.append(m.group(1).strip())
        elif part.startswith("related files") and line.startswith("- "):
            current.files += re.findall(r"`([\w./-]+\.(?:asm|org|md|json))`", line)
        for name, addr in re.findall(r"`(\w+)`\s*(?:counter\s*)?at\s*\$(7E[0-9A-Fa-f]{4})", line):
            current.flags.append((name, int(addr, 16), n))
    for q in quests:
        for key, giver in givers.items():
            if key and key in normalise(q.title):
                q.giver = giver if giver not in ("—", "-") else None
    return quests
