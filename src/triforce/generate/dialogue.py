"""Dialogue samples (`dialogue.*`, the plan's Dialogue Patterns row), every box proven by the
text engine (`triforce.text`).

Tasks:
- `dialogue.voice`: write what a character says, in its voice, carrying given facts;
- `dialogue.fit`: lay running text out in the box;
- `dialogue.encode` / `dialogue.decode`: message text <-> US ROM bytes;
- `dialogue.fix`: find the line that overflows the box and re-wrap the message.

Material: with no `--source`, messages built from our templates (`catalogs/dialogue.yaml`) in our
characters' voices (`triforce/text/voices.yaml`). With a usdasm tree, the game's dictionary is used
for encoding (greedy, the canonical form) and the 397 vanilla messages become encode/decode samples
(origin vanilla-disassembly). With a hack tree (yaze bundles in `Data/dialogue/*.json`), its
messages become decode samples and its overflowing ones fix samples (origin rom-hack).

Every assistant message states only what the engine measured, and `check` re-derives all of it
from the message: the ```text block (or the `db` lines) is extracted and proven again.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from triforce.errors import ConfigError, InputError
from triforce.generate.domain import DomainGenerator, Source, Unit, UnitResult, checked, make_domain_sample
from triforce.sample import Provenance, Sample
from triforce.text import (
    Dictionary,
    LayoutRules,
    Token,
    check,
    compress,
    decode,
    expand,
    format_tokens,
    from_bytes,
    parse,
    to_bytes,
)
from triforce.text.bundle import BundleMessage, read_bundle
from triforce.text.extract import extract_bytes, extract_message
from triforce.text.requirements import Requirements, verify
from triforce.text.voice import markers_used, plain, voices
from triforce.text.wrap import break_lines, fit, pace

SOURCE_ROW = "dialogue-patterns"
CORPUS = "triforce-dialogue"
PER_VOICE = 60  # bundled units per voice (five samples each)
ATTEMPTS = 12  # slot draws per unit before it is rejected
RULES = LayoutRules()  # 168 px lines, 42 px for the name


@cache
def catalogue() -> dict[str, Any]:
    text = resources.files("triforce.generate").joinpath("catalogs/dialogue.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    if not isinstance(data, dict) or "voices" not in data or "slots" not in data:
        raise ConfigError("generate/catalogs/dialogue.yaml needs 'system', 'slots' and 'voices'")
    unknown = set(data["voices"]) - set(voices())
    if unknown:
        raise ConfigError(f"generate/catalogs/dialogue.yaml: voices without a profile: {sorted(unknown)}")
    return data


def _rng(*parts: object) -> random.Random:
    digest = hashlib.sha256(":".join(map(str, parts)).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


@dataclass(frozen=True)
class Draft:
    voice: str
    text: str  # running text (no line commands)
    facts: tuple[str, ...]


def draft(voice: str, rng: random.Random) -> Draft:
    """A greeting (mostly), a hint, a trade and/or a warning in either order, a farewell; the facts
    are the slot values used."""
    cat = catalogue()
    lines = cat["voices"][voice]
    slots = {k: str(rng.choice(v)) for k, v in cat["slots"].items()}
    extra = rng.sample(["trade", "warn"], k=rng.choice([1, 1, 2]))
    middle = ["hint", *extra]
    rng.shuffle(middle)
    intents = (["greet"] if rng.random() < 0.8 else []) + middle + ["bye"]
    filled = [rng.choice(lines[i]).format(**slots) for i in intents]
    filled = [f[0].upper() + f[1:] for f in filled]
    facts = [slots["place"], slots["dir"]]
    if "trade" in intents:
        facts += [slots["item"], f"{slots['price']} rupees"]
    if "warn" in intents:
        facts.append(slots["danger"])
    return Draft(voice, " ".join(filled), tuple(facts))


def _db_lines(data: bytes) -> str:
    return "\n".join(
        "db " + ", ".join(f"${b:02X}" for b in data[i : i + 16]) for i in range(0, len(data), 16)
    )


def _fence(message: str) -> str:
    return f"```text\n{message}\n```"


def _shown(tokens: Sequence[Token]) -> str:
    return format_tokens(tokens, newlines=True)


def _summary(tokens: Sequence[Token]) -> str:
    layout = check(tokens, RULES)
    return f"{len(layout.lines)} lines, the widest {layout.max_px} px."


_SUMMARY = re.compile(r"(\d+) lines?, the widest (\d+) px")
_BYTES = re.compile(r"(\d+) bytes")
_OVERFLOW = re.compile(r"Line (\d+) is (\d+) px; the box holds (\d+) \(the word (.+?) crosses the edge\)")


def _check_summary(answer: str, message: str, dictionary: Dictionary | None) -> list[str]:
    m = _SUMMARY.search(answer)
    if not m:
        return ["the answer does not state its lines and widest line"]
    layout = check(parse(message), RULES, dictionary)
    said = (int(m.group(1)), int(m.group(2)))
    real = (len(layout.lines), layout.max_px)
    return (
        []
        if said == real
        else [f"the answer says {said[0]} lines / {said[1]} px; the message has {real[0]} / {real[1]}"]
    )


class DialogueGenerator(DomainGenerator):
    name = "dialogue"
    tasks = ("dialogue.voice", "dialogue.fit", "dialogue.encode", "dialogue.decode", "dialogue.fix")

    def units(self, sources: Sequence[Source], seed: int) -> list[Unit]:
        usdasm_roots = [
            s for s in sources if (s.path / "text.asm").is_file() and (s.path / "bank_0E.asm").is_file()
        ]
        hacks = [s for s in sources if any((s.path / "Data" / "dialogue").glob("*.json"))]
        dict_root = str(usdasm_roots[0].path) if usdasm_roots else None
        out: list[Unit] = []
        if not sources or usdasm_roots:
            for voice in catalogue()["voices"]:
                out += [
                    Unit(
                        f"voice:{voice}:{i:03d}", {"kind": "voice", "voice": voice, "i": i, "dict": dict_root}
                    )
                    for i in range(PER_VOICE)
                ]
        for s in usdasm_roots:
            from triforce.text.usdasm import read_messages

            for gm in read_messages(s.path).messages:
                out.append(
                    Unit(f"vanilla:{gm.id:03X}", {"kind": "vanilla", "root": str(s.path), "id": gm.id})
                )
        for s in hacks:
            for path in sorted((s.path / "Data" / "dialogue").glob("*.json")):
                for m in read_bundle(path):
                    out.append(
                        Unit(
                            f"hack:{s.path.name}:{path.name}:{m.position:03d}",
                            {
                                "kind": "hack",
                                "root": str(s.path),
                                "file": str(path),
                                "position": m.position,
                                "dict": dict_root,
                            },
                        )
                    )
        return out

    def run(self, unit: Unit, seed: int) -> UnitResult:
        kind = unit.payload["kind"]
        if kind == "voice":
            return self._voice_unit(unit, seed)
        if kind == "vanilla":
            return self._vanilla_unit(unit)
        return self._hack_unit(unit)

    # --- bundled templates -------------------------------------------------------------------

    def _voice_unit(self, unit: Unit, seed: int) -> UnitResult:
        """Five samples, one per task, each from its own draft (the same message under two tasks
        would be near-duplicates for the curator)."""
        p = unit.payload
        voice = p["voice"]
        profile = voices()[voice]
        dictionary = _dictionary(p.get("dict"))
        out = UnitResult(candidates=len(self.tasks))
        rng = _rng("dialogue", seed, voice, p["i"])
        prov = Provenance(corpus=CORPUS, origin="original", file="generate/catalogs/dialogue.yaml")
        group = f"dialogue:{voice}:{p['i']}"
        for task in self.tasks:
            found = self._fitting_draft(voice, rng)
            if isinstance(found, str):
                out.reject("voice-or-layout", found, task)
                continue
            d, message = found
            made = self._make(task, profile, d, message, dictionary)
            if made is None:
                out.reject("nothing-to-fix", "the message has a single line", task)
                continue
            user, answer, spec = made
            uses_dictionary = dictionary is not None and task in ("dialogue.encode", "dialogue.decode")
            spec["dictionary"] = _dict_spec(dictionary) if uses_dictionary else None
            # bytes made with the game's dictionary are derived from the disassembly
            origin = prov.model_copy(update={"origin": "vanilla-disassembly"}) if uses_dictionary else prov
            out.samples.append(self._sample(task, user, answer, spec, origin, group))
        return out

    def _make(
        self, task: str, profile: Any, d: Draft, message: str, dictionary: Dictionary | None
    ) -> tuple[str, str, dict[str, Any]] | None:
        if task == "dialogue.voice":
            return self._voice_sample(profile, d, message)
        if task == "dialogue.fit":
            return self._fit_sample(d.text, message)
        if task == "dialogue.encode":
            return self._encode_sample(message, dictionary)
        if task == "dialogue.decode":
            return self._decode_sample(to_bytes(compress(parse(message), dictionary, "greedy")), dictionary)
        return self._fix_sample(parse(message), dictionary)

    def _fitting_draft(self, voice: str, rng: random.Random) -> tuple[Draft, str] | str:
        """A draft whose fitted message passes the voice, fact and layout checks (or the reasons
        the last attempts failed)."""
        reasons: list[str] = []
        for _ in range(ATTEMPTS):
            d = draft(voice, rng)
            try:
                message = _shown(fit(d.text, RULES))
            except InputError as exc:
                reasons.append(str(exc))
                continue
            problems = verify(message, Requirements(voice=voice, facts=d.facts))
            if not problems:
                return d, message
            reasons.append(problems[0])
        return "; ".join(sorted(set(reasons))[:3])

    def _voice_sample(self, profile: Any, d: Draft, message: str) -> tuple[str, str, dict[str, Any]]:
        facts = ", ".join(d.facts)
        user = (
            f"Write what {profile.name}, {profile.role}, says to the player. Voice: {profile.summary()}. "
            f"The message must mention: {facts}. Fit the ALTTP text box: lines of at most 168 px with "
            "42 px for the player's name, a key press every three lines."
        )
        used = ", ".join(markers_used(message, profile))
        answer = f"{_fence(message)}\n\n{_summary(parse(message))} In {profile.name}'s voice: {used}."
        return user, answer, {"task": "voice", "voice": profile.key, "facts": list(d.facts)}

    def _fit_sample(self, text: str, message: str) -> tuple[str, str, dict[str, Any]]:
        user = (
            "Lay this text out for the ALTTP text box (lines of at most 168 px, 42 px for [L], a key "
            f"press every three lines), keeping every word:\n\n{text}"
        )
        answer = f"{_fence(message)}\n\n{_summary(parse(message))}"
        return user, answer, {"task": "fit", "words": plain(text)}

    def _encode_sample(self, message: str, dictionary: Dictionary | None) -> tuple[str, str, dict[str, Any]]:
        data = to_bytes(compress(parse(message), dictionary, "greedy"))
        how = (
            "compressed with the game's dictionary (greedy, the canonical form)"
            if dictionary
            else "without dictionary compression"
        )
        user = f"Encode this message as US ROM text bytes, {how}, with the end byte:\n\n{_fence(message)}"
        answer = f"```asm\n{_db_lines(data)}\n```\n\n{len(data)} bytes, the $7F end byte included."
        return (
            user,
            answer,
            {
                "task": "encode",
                "message": format_tokens(parse(message)),
                "mode": "greedy" if dictionary else "none",
            },
        )

    def _decode_sample(self, data: bytes, dictionary: Dictionary | None) -> tuple[str, str, dict[str, Any]]:
        tokens, _ = from_bytes(data)
        if dictionary is not None:
            tokens = expand(tokens, dictionary)
        user = f"Decode these ALTTP message bytes into bracket-token text:\n\n```asm\n{_db_lines(data)}\n```"
        return user, _fence(_shown(tokens)), {"task": "decode", "bytes": data.hex()}

    def _fix_sample(
        self, tokens: list[Token], dictionary: Dictionary | None
    ) -> tuple[str, str, dict[str, Any]] | None:
        """Join two lines of a fitted message so one overflows; the answer finds it and re-wraps."""
        head = [t for t in tokens[:2] if t.kind == "cmd" and t.value in (0x6B, 0x7A)]
        lines = break_lines(tokens[len(head) :], RULES)
        if len(lines) < 2:
            return None
        k = len(lines) // 2 if len(lines) > 2 else 0
        merged = [*lines[:k], [*lines[k], Token("char", 0x59), *lines[k + 1]], *lines[k + 2 :]]
        broken = head + pace(merged)
        return self._fix_from(broken, dictionary)

    def _fix_from(
        self, broken: list[Token], dictionary: Dictionary | None
    ) -> tuple[str, str, dict[str, Any]] | None:
        layout = check(broken, RULES, dictionary)
        over = [p for p in layout.problems if p.code == "overflow"]
        if not over:
            return None
        first = over[0]
        fixed = fit(broken, RULES)
        fixed_text = _shown(fixed)
        if verify(fixed_text, Requirements(words=plain(_shown(broken))), dictionary):
            return None
        user = (
            "This message overflows the ALTTP text box (168 px lines, 42 px for [L]). Say which line "
            f"and fix it, keeping the words:\n\n{_fence(_shown(broken))}"
        )
        answer = (
            f"Line {(first.line or 0) + 1} is {first.px} px; the box holds {RULES.max_px} (the word "
            f"{first.word} crosses the edge). Re-wrapped so every line fits, with a key press every three "
            f"lines:\n\n{_fence(fixed_text)}\n\n{_summary(fixed)}"
        )
        return user, answer, {"task": "fix", "broken": format_tokens(broken)}

    # --- a usdasm tree: the vanilla messages ---------------------------------------------------

    def _vanilla_unit(self, unit: Unit) -> UnitResult:
        root = unit.payload["root"]
        dictionary = _dictionary(root)
        assert dictionary is not None
        m = _vanilla_messages(root)[unit.payload["id"]]
        out = UnitResult(candidates=1)
        prov = Provenance(
            corpus="usdasm", origin="vanilla-disassembly", file="text.asm", routine=f"Message_{m.id:04X}"
        )
        text = decode(m.data, dictionary)
        spec_dict = _dict_spec(dictionary)
        group = f"dialogue:vanilla:{m.id:03X}"
        for task, made in (
            ("dialogue.decode", self._decode_sample(m.data, dictionary)),
            ("dialogue.encode", self._encode_sample(text, dictionary)),
        ):
            user, answer, spec = made
            spec["dictionary"] = spec_dict
            out.samples.append(self._sample(task, user, answer, spec, prov, group))
        return out

    # --- a hack tree: its bundles --------------------------------------------------------------

    def _hack_unit(self, unit: Unit) -> UnitResult:
        p = unit.payload
        dictionary = _dictionary(p.get("dict"))
        m = _bundle(p["file"])[p["position"]]
        out = UnitResult(candidates=1)
        try:
            tokens = parse(m.text)
            if any(t.kind == "dict" for t in tokens) and dictionary is None:
                out.reject(
                    "needs-dictionary", "the message has [D:..] references: add a usdasm tree as --source"
                )
                return out
            data = to_bytes(tokens)
            plain_tokens = expand(tokens, dictionary) if dictionary else tokens
        except InputError as exc:
            out.reject("unreadable-message", str(exc))
            return out
        root = Path(p["root"])
        prov = Provenance(
            corpus=f"{root.name}-dialogue",
            origin="rom-hack",
            file=str(Path(p["file"]).relative_to(root)),
            routine=f"${m.absolute_id:03X}",
        )
        group = f"dialogue:{root.name}:{m.absolute_id:03X}"
        spec_dict = _dict_spec(dictionary)
        made: list[tuple[str, tuple[str, str, dict[str, Any]] | None]] = [
            ("dialogue.decode", self._decode_sample(data, dictionary))
        ]
        has_choice = any(t.kind == "cmd" and t.value in (0x68, 0x69, 0x6F, 0x71, 0x72) for t in plain_tokens)
        if not has_choice:
            made.append(("dialogue.fix", self._fix_from(plain_tokens, None)))
        for task, sample in made:
            if sample is None:
                continue
            user, answer, spec = sample
            spec["dictionary"] = spec_dict
            out.samples.append(self._sample(task, user, answer, spec, prov, group))
        return out

    # --- records -------------------------------------------------------------------------------

    def _sample(
        self, task: str, user: str, answer: str, spec: dict[str, Any], prov: Provenance, group: str
    ) -> Sample:
        problems = self._prove(task, answer, spec)
        if problems:
            raise RuntimeError(f"{task}: a generated answer does not prove: {problems}")
        return make_domain_sample(
            self,
            task=task,
            domain="farore",
            source=SOURCE_ROW,
            system=catalogue()["system"].strip(),
            user=user,
            assistant=answer,
            provenance=prov,
            verification=checked("text-engine", {"layout": "168px/42px-name", "task": spec["task"]}),
            meta={"dialogue": spec},
            group=group,
        )

    def check(self, sample: dict[str, Any]) -> list[str]:
        spec = (sample.get("meta") or {}).get("dialogue")
        if not isinstance(spec, dict):
            return ["meta.dialogue (the task's spec) is missing"]
        answers = [m for m in sample.get("messages", []) if m.get("role") == "assistant"]
        if not answers:
            return ["no assistant message"]
        return self._prove(str(sample.get("task", "")), str(answers[-1].get("content", "")), spec)

    def _prove(self, task: str, answer: str, spec: dict[str, Any]) -> list[str]:
        """Re-prove an answer from its own text (the spec says what was asked)."""
        try:
            dictionary = Dictionary.from_strings(spec["dictionary"]) if spec.get("dictionary") else None
        except InputError as exc:
            return [f"meta.dialogue.dictionary: {exc}"]
        kind = spec.get("task")
        if task != f"dialogue.{kind}":
            return [f"task {task!r} does not match the spec's {kind!r}"]
        if kind == "encode":
            data = extract_bytes(answer)
            if data is None:
                return ["no db lines in the answer"]
            expected = to_bytes(compress(parse(spec["message"]), dictionary, spec.get("mode", "greedy")))
            problems = [] if data == expected else ["the bytes are not the message's canonical encoding"]
            m = _BYTES.search(answer)
            if not m or int(m.group(1)) != len(data):
                problems.append("the stated byte count does not match the bytes")
            return problems
        message = extract_message(answer)
        if message is None:
            return ["no ```text block in the answer"]
        if kind == "decode":
            try:
                want, _ = from_bytes(bytes.fromhex(spec["bytes"]))
                got = parse(message)
            except (InputError, ValueError) as exc:
                return [f"does not parse: {exc}"]
            if dictionary is not None:
                want, got = expand(want, dictionary), expand(got, dictionary)
            return [] if got == want else ["the text is not what the bytes say"]
        if kind == "voice":
            req = Requirements(voice=spec.get("voice"), facts=tuple(spec.get("facts", ())))
        elif kind == "fit":
            req = Requirements(words=spec.get("words"))
        elif kind == "fix":
            broken = parse(spec["broken"])
            req = Requirements(words=plain(format_tokens(broken)))
            first = next((p for p in check(broken, RULES).problems if p.code == "overflow"), None)
            m = _OVERFLOW.search(answer)
            if first is None:
                return ["the message to fix has no overflowing line"]
            if not m or (int(m.group(1)), int(m.group(2)), m.group(4)) != (
                (first.line or 0) + 1,
                first.px,
                first.word,
            ):
                return ["the answer does not name the overflowing line, its width and the word that crosses"]
        else:
            return [f"unknown dialogue task {kind!r}"]
        problems = verify(message, req, dictionary)
        return problems or _check_summary(answer, message, dictionary)


def _dict_spec(dictionary: Dictionary | None) -> list[str] | None:
    return dictionary.strings() if dictionary else None


@cache
def _dictionary(root: str | None) -> Dictionary | None:
    if not root:
        return None
    from triforce.text.usdasm import read_dictionary

    return read_dictionary(Path(root))


@cache
def _bundle(path: str) -> list[BundleMessage]:
    return read_bundle(Path(path))


@cache
def _vanilla_messages(root: str) -> list[Any]:
    from triforce.text.usdasm import read_messages

    return read_messages(Path(root)).messages
