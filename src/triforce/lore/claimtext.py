"""How claims travel inside prose: a fenced ```claims block the prose stands on, and the entity
mentions that tie the prose to it.

An answer reads like this:

    The Armos Knights guard the Eastern Palace, whose prize is the Pendant of Courage.

    ```claims
    [{"s": "Eastern Palace", "r": "boss", "o": "Armos Knights", "cite": "alttp:eastern_palace/boss/armos_knights"},
     {"s": "Eastern Palace", "r": "prize", "o": "Pendant of Courage"}]
    ```

The checker re-proves the block; `prose_problems` ties the words to it: every KB entity the prose
names must appear in a claim (or in the question), and every claim's entities must be named in
the prose. A canon verdict travels the same way in a ```verdict block. Answers are untrusted:
blocks are read with a size bound and parsed defensively.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from functools import cache
from typing import Any

from triforce.lore.kb import VANILLA, KnowledgeBase
from triforce.lore.model import Claim

MAX_BLOCK = 64 * 1024  # characters of one block that are parsed
MAX_CLAIMS = 200
# Kinds prose names by their proper names (events, flags and the game itself are not "mentions").
MENTIONABLE = frozenset({"world", "place", "dungeon", "item", "pendant", "crystal", "character", "boss"})
_FENCE = re.compile(r"^[ \t]*(```|~~~)[ \t]*([\w-]*)[^\n]*\n(.*?)^[ \t]*\1[ \t]*$", re.DOTALL | re.MULTILINE)
_THINK = re.compile(r"<(think|thinking|reasoning)>.*?(</\1>|\Z)", re.DOTALL | re.IGNORECASE)


def render_claims(claims: Iterable[Claim]) -> str:
    """A fenced claims block, one claim per line (stable text for the same claims)."""
    rows = [json.dumps(c.to_json(), ensure_ascii=False) for c in claims]
    return "```claims\n[" + ",\n ".join(rows) + "]\n```"


def render_verdict(claim: Claim, status: str, record: str | None, reason: str = "") -> str:
    body: dict[str, Any] = {"claim": claim.to_json(), "status": status}
    if record:
        body["record"] = record
    if reason:
        body["rule"] = reason
    return "```verdict\n" + json.dumps(body, ensure_ascii=False) + "\n```"


def blocks(text: str) -> list[tuple[str, str]]:
    """(language tag, body) of every fenced block, thinking sections removed."""
    text = _THINK.sub("", text)
    return [(m.group(2).lower(), m.group(3)) for m in _FENCE.finditer(text)]


def prose_of(text: str) -> str:
    """The answer without its fenced blocks and thinking: what a reader reads."""
    return _FENCE.sub("", _THINK.sub("", text)).strip()


def _claim(row: Any, n: int) -> Claim:
    if isinstance(row, list | tuple) and len(row) in (3, 4):
        return Claim(
            str(row[0]),
            str(row[1]),
            row[2] if isinstance(row[2], int) else str(row[2]),
            str(row[3]) if len(row) == 4 else "",
        )
    if isinstance(row, dict):
        s = row.get("s", row.get("subject"))
        r = row.get("r", row.get("relation"))
        o = row.get("o", row.get("object"))
        if s is not None and r is not None and o is not None:
            cite = row.get("cite", row.get("record", ""))
            return Claim(
                str(s),
                str(r),
                o if isinstance(o, int) and not isinstance(o, bool) else str(o),
                str(cite or ""),
            )
    raise ValueError(f"claim {n + 1} is not {{s, r, o}} or [s, r, o]")


def extract_claims(text: str) -> tuple[list[Claim] | None, str]:
    """The claims of an answer's ```claims block (or a JSON object with a "claims" list);
    (None, why) when there is none or it does not parse."""
    found = [body for lang, body in blocks(text) if lang == "claims"]
    if not found:
        found = [body for lang, body in blocks(text) if lang in ("json", "") and '"claims"' in body]
    if not found:
        return None, "no ```claims block in the answer"
    body = found[-1][:MAX_BLOCK]
    try:
        data = json.loads(body)
    except json.JSONDecodeError as exc:
        return None, f"the claims block is not JSON: {exc.msg} (line {exc.lineno})"
    if isinstance(data, dict):
        data = data.get("claims")
    if not isinstance(data, list):
        return None, "the claims block must be a JSON list of claims"
    if len(data) > MAX_CLAIMS:
        return None, f"{len(data)} claims: at most {MAX_CLAIMS}"
    try:
        return [_claim(row, n) for n, row in enumerate(data)], ""
    except ValueError as exc:
        return None, str(exc)


def extract_verdict(text: str) -> tuple[dict[str, Any] | None, str]:
    """The ```verdict block of a canon-verification answer: {"claim", "status", "record"}."""
    found = [body for lang, body in blocks(text) if lang == "verdict"]
    if not found:
        return None, "no ```verdict block in the answer"
    try:
        data = json.loads(found[-1][:MAX_BLOCK])
    except json.JSONDecodeError as exc:
        return None, f"the verdict block is not JSON: {exc.msg}"
    if not isinstance(data, dict) or not isinstance(data.get("status"), str):
        return None, 'the verdict block needs {"status": "supported" | "contradicted" | "unknown", ...}'
    return data, ""


@cache
def _pattern(kb_id: int, scope: str, names: tuple[tuple[str, str], ...]) -> re.Pattern[str]:
    alternatives = sorted({n for n, _ in names}, key=len, reverse=True)
    return re.compile(
        r"(?<![\w'])(" + "|".join(re.escape(n) for n in alternatives) + r")(?![\w])", re.IGNORECASE
    )


def _names(kb: KnowledgeBase, scope: str) -> tuple[tuple[str, str], ...]:
    chain = set(kb.scope_chain(scope))
    out = []
    for e in kb.entities.values():
        if e.scope not in chain:
            continue
        for n in (e.name, *e.aliases):
            # proper names only ("Hammer", not "the desert"); names of flags and events only
            # mask what they contain ("bow slot" is no Bow)
            if len(n) >= 3 and (n[:1].isupper() or e.kind not in MENTIONABLE):
                out.append((n, e.id))
    return tuple(sorted(out))


def mentions(kb: KnowledgeBase, text: str, scope: str = VANILLA) -> set[str]:
    """Entity ids the prose names (longest names first, so "Mirror Shield" is not a mirror)."""
    names = _names(kb, scope)
    pattern = _pattern(id(kb), scope, names)
    out = set()
    for m in pattern.finditer(prose_of(text)):
        entity = kb.resolve(m.group(1), scope)
        # flag and event names are matched too, so "Palace of Darkness crystal bit" is no palace
        if entity is not None and entity.kind in MENTIONABLE:
            out.add(entity.id)
    return out


def prose_problems(
    kb: KnowledgeBase, text: str, claims: Iterable[Claim], context: Iterable[str] = (), scope: str = VANILLA
) -> list[str]:
    """Where prose and claims disagree: an entity the prose names that no claim (nor the
    question) covers, or a claim whose entities the prose never names."""
    covered: set[str] = set()
    problems: list[str] = []
    said = mentions(kb, text, scope)
    for c in claims:
        ends = [
            kb.resolve(c.subject, scope),
            kb.resolve(c.object, scope) if isinstance(c.object, str) else None,
        ]
        ids = {e.id for e in ends if e is not None and e.kind in MENTIONABLE}
        covered |= ids
        missing = sorted(ids - said)
        if missing:
            problems.append(
                f"claim ({c.subject}, {c.relation}, {c.object}) is not in the prose: {', '.join(kb.name(m) for m in missing)} never named"
            )
    uncovered = sorted(said - covered - set(context) - {"link"})
    if uncovered:
        problems.append(
            "the prose names " + ", ".join(kb.name(u) for u in uncovered) + " but no claim covers it"
        )
    return problems
