"""Save-RAM and WRAM as the KB knows it: which bytes and bits the game (or a hack) already uses.

A flag is an address with an optional bit mask (none: the whole byte) and a size. Two users of
memory collide when their bytes overlap and their masks share a bit; a RAM block that contains
bit flags at its own address is their container, not a collision. Blocks marked unused are free.
"""

from __future__ import annotations

from dataclasses import dataclass

from triforce.lore.kb import VANILLA, KnowledgeBase
from triforce.lore.model import Record
from triforce.snes.addresses import format_address, parse_address

SAVE_START, SAVE_END = 0x7EF000, 0x7EF4FF  # the save file's WRAM copy
WRAM_START, WRAM_END = 0x7E0000, 0x7FFFFF


@dataclass(frozen=True)
class Use:
    entity: str
    address: int
    size: int = 1
    mask: int = 0xFF
    kind: str = "flag"  # "flag" or "ram" (a block that may contain flags)
    scope: str = VANILLA
    record: Record | None = None

    @property
    def end(self) -> int:
        return self.address + self.size

    def overlaps(self, address: int, size: int = 1, mask: int = 0xFF) -> bool:
        return self.address < address + size and address < self.end and bool(self.mask & mask)

    def describe(self, kb: KnowledgeBase) -> str:
        where = format_address(self.address)
        if self.size > 1:
            where += f"-{format_address(self.end - 1)}"
        if self.mask != 0xFF:
            where += f" mask ${self.mask:02X}"
        return f"{kb.name(self.entity)} ({where}, {self.scope})"


def uses(kb: KnowledgeBase, scope: str = VANILLA, include_unused: bool = False) -> list[Use]:
    """Every memory user visible in the scope. In a hack's scope, the vanilla game's users are
    kept too: a new flag must avoid both."""
    found: list[Use] = kb.memo(("uses", scope, include_unused), lambda: _uses(kb, scope, include_unused))
    return list(found)


def _uses(kb: KnowledgeBase, scope: str, include_unused: bool) -> list[Use]:
    out: list[Use] = []
    for s in kb.scope_chain(scope):
        for ent in kb.entities.values():
            if ent.kind not in ("flag", "ram"):
                continue
            addr = [r for r in kb.facts(ent.id, "address", s) if r.scope == s]
            if not addr:
                continue
            status = kb.facts(ent.id, "status", s)
            if status and status[0].object == "unused" and not include_unused:
                continue
            size = kb.facts(ent.id, "size", s)
            mask = kb.facts(ent.id, "mask", s)
            out.append(
                Use(
                    ent.id,
                    parse_address(str(addr[0].object)),
                    int(size[0].object) if size else 1,
                    int(mask[0].object) if mask else 0xFF,
                    ent.kind,
                    s,
                    addr[0],
                )
            )
    return out


def conflicts(
    kb: KnowledgeBase, address: int, mask: int = 0xFF, size: int = 1, scope: str = VANILLA
) -> list[Use]:
    """The memory users a new flag at (address, mask, size) would collide with. A byte whose bits
    are named one by one is taken only where a named bit is: a new bit beside them is free."""
    hits = [u for u in uses(kb, scope) if u.overlaps(address, size, mask)]
    if mask != 0xFF:
        split = {u.address for u in hits if u.kind == "flag" and u.mask != 0xFF}
        containers = {u.address for u in uses(kb, scope) if u.kind == "flag" and u.mask != 0xFF}
        hits = [u for u in hits if not (u.kind == "ram" and u.size == 1 and u.address in containers | split)]
    return hits


def collisions(kb: KnowledgeBase, scope: str = VANILLA) -> list[tuple[Use, Use]]:
    """Pairs of users within one scope that share bits (containers holding their own flags aside)."""
    found: list[tuple[Use, Use]] = []
    own = sorted((u for u in uses(kb, scope) if u.scope == scope), key=lambda u: (u.address, u.entity))
    for i, a in enumerate(own):
        for b in own[i + 1 :]:
            if b.address >= a.end:
                break
            if not a.overlaps(b.address, b.size, b.mask):
                continue
            container = {a.kind, b.kind} == {"ram", "flag"} and (a.mask != 0xFF or b.mask != 0xFF)
            if not container:
                found.append((a, b))
    return found


def free_bytes(
    kb: KnowledgeBase, scope: str = VANILLA, start: int = SAVE_START, end: int = SAVE_END
) -> list[int]:
    """Save-area bytes no user of the scope (or of the vanilla game) touches."""
    taken = [u for u in uses(kb, scope) if u.address <= end and u.end > start]
    return [a for a in range(start, end + 1) if not any(u.overlaps(a) for u in taken)]
