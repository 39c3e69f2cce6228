"""Voice profiles: how a character talks, as numbers and word lists a program can check.

A profile (data in `voices.yaml`, our own characters) says how long its sentences are, which
words mark its speech (at least `min_markers` of them must appear), which words it never uses,
and how its sentences end. `check_voice` measures a message against it; no model judges.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

import yaml

from triforce.errors import ConfigError

_SENTENCE = re.compile(r"[^.!?…]+(?:[.!?…]+|$)")
_WORD = re.compile(r"\[L\]|[A-Za-z0-9']+")


@dataclass(frozen=True)
class VoiceProfile:
    key: str
    name: str
    role: str
    description: str
    sentence_words: tuple[int, int]  # every sentence has between these many words
    markers: tuple[str, ...]  # words/phrases typical of the voice (lowercase)
    min_markers: int = 1
    forbidden: tuple[str, ...] = ()  # words/phrases it never says (lowercase)
    endings: tuple[str, ...] = (".", "!", "?")  # how its sentences may end
    max_lines: int = 9  # box lines per message
    tags: tuple[str, ...] = field(default=())

    def summary(self) -> str:
        lo, hi = self.sentence_words
        ends = " ".join(self.endings)
        return (
            f"{self.description}; sentences of {lo}-{hi} words ending in {ends}; "
            f"uses words like {', '.join(self.markers[:4])}"
        )


def plain(text: str) -> str:
    """The words of a message in the readable syntax: line and pause commands become spaces,
    other commands go, `[...]` becomes '…', `[L]` stays."""
    from triforce.text.tokens import parse

    out: list[str] = []
    for tok in parse(text):
        if tok.kind == "char":
            out.append("…" if tok.value == 0x43 else " " if tok.value == 0x59 else _glyph(tok.value))
        elif tok.kind == "cmd" and tok.value == 0x6A:
            out.append("[L]")
        elif tok.kind == "cmd" and tok.value in (0x73, 0x74, 0x75, 0x76, 0x7E):
            out.append(" ")
    return re.sub(r"\s+", " ", "".join(out)).strip()


def _glyph(code: int) -> str:
    from triforce.text.charset import glyph_text

    return glyph_text(code)


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.findall(text) if s.strip()]


def check_voice(message: str, profile: VoiceProfile) -> list[str]:
    """Problems with a message (readable syntax) against a voice; empty when it fits."""
    text = plain(message)
    low = f" {' '.join(_WORD.findall(text.lower()))} "
    problems: list[str] = []
    lo, hi = profile.sentence_words
    for i, s in enumerate(sentences(text), start=1):
        n = len(_WORD.findall(s))
        if not lo <= n <= hi:
            problems.append(f"sentence {i} has {n} words; {profile.name} speaks in {lo}-{hi}")
        if not s.endswith(tuple(profile.endings)):
            problems.append(
                f"sentence {i} ends {s[-1]!r}; {profile.name} ends with {' '.join(profile.endings)}"
            )
    found = [m for m in profile.markers if f" {m} " in low]
    if len(found) < profile.min_markers:
        problems.append(
            f"{len(found)} of {profile.name}'s words ({', '.join(profile.markers)}); at least {profile.min_markers}"
        )
    for word in profile.forbidden:
        if f" {word} " in low:
            problems.append(f"{profile.name} never says {word!r}")
    return problems


def markers_used(message: str, profile: VoiceProfile) -> list[str]:
    low = f" {' '.join(_WORD.findall(plain(message).lower()))} "
    return [m for m in profile.markers if f" {m} " in low]


@cache
def voices() -> dict[str, VoiceProfile]:
    """The bundled profiles (our own characters), by key."""
    raw = yaml.safe_load(resources.files("triforce.text").joinpath("voices.yaml").read_text("utf-8")) or {}
    out: dict[str, VoiceProfile] = {}
    for key, v in raw.items():
        try:
            out[key] = VoiceProfile(
                key=key,
                name=v["name"],
                role=v["role"],
                description=v["description"],
                sentence_words=(int(v["sentence_words"][0]), int(v["sentence_words"][1])),
                markers=tuple(str(m).lower() for m in v["markers"]),
                min_markers=int(v.get("min_markers", 1)),
                forbidden=tuple(str(m).lower() for m in v.get("forbidden", [])),
                endings=tuple(v.get("endings", [".", "!", "?"])),
                max_lines=int(v.get("max_lines", 9)),
            )
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise ConfigError(f"text/voices.yaml: voice {key!r}: {exc}") from exc
    return out
