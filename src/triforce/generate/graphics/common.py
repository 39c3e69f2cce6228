"""What the graphics and compression tasks share: the prompt catalogue, fenced blocks, sample
records and the checks' small helpers."""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import yaml

from triforce.errors import ConfigError


@cache
def catalogue() -> dict[str, Any]:
    text = resources.files("triforce.generate").joinpath("catalogs", "graphics.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    if not isinstance(data, dict) or "requests" not in data or "system" not in data:
        raise ConfigError("generate/catalogs/graphics.yaml needs `system` and `requests`")
    return data


def request(rng: random.Random, key: str, **values: Any) -> str:
    """One phrasing of request `key`, filled in."""
    return str(rng.choice(catalogue()["requests"][key])).format(**values)


def system(kind: str) -> str:
    return str(catalogue()["system"][kind])


@dataclass
class Made:
    """A task's sample before it becomes a Sample: the chat and what the record carries."""

    task: str
    user: str
    assistant: str
    meta: dict[str, Any] = field(default_factory=dict)
    method: str = "codec"
    states: int = 0


_FENCE = re.compile(r"^[ \t]*```[ \t]*([\w+#.-]*)[^\n]*\n(.*?)^[ \t]*```[ \t]*$", re.DOTALL | re.MULTILINE)


def blocks(text: str) -> list[tuple[str, str]]:
    """(language, body) of every fenced block, in order."""
    return [(lang.lower(), body) for lang, body in _FENCE.findall(text)]


def block(text: str, lang: str, which: int = -1) -> str:
    """The body of the `which`-th block in `lang` (last by default); ValueError when there is none."""
    found = [body for lg, body in blocks(text) if lg == lang]
    if not found:
        raise ValueError(f"no ```{lang} block")
    return found[which]


def json_block(text: str) -> Any:
    try:
        return json.loads(block(text, "json"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"the json block does not parse: {exc.msg}") from exc


def fence(lang: str, body: str) -> str:
    return f"```{lang}\n{body.rstrip()}\n```"


def messages(sample: dict[str, Any]) -> tuple[str, str]:
    """(user text, assistant text) of a decoded sample row."""
    msgs = sample.get("messages") or []
    user = next((m["content"] for m in msgs if m.get("role") == "user"), "")
    answer = next((m["content"] for m in reversed(msgs) if m.get("role") == "assistant"), "")
    return user, answer


def yes_no(flag: bool) -> str:
    return "yes" if flag else "no"


def parse_yes_no(text: str, name: str) -> bool:
    m = re.search(rf"{name}\s*:?\s*(yes|no)\b", text, re.IGNORECASE)
    if not m:
        raise ValueError(f"the request does not say {name}")
    return m.group(1).lower() == "yes"


def bits(value: int, width: int) -> str:
    return format(value, f"0{width}b")
