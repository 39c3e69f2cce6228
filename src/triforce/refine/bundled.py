"""The bundled expert seed pairs (`seeds/*.yaml`), turned into `cross.implementation` samples.

Seeds are data: a quest request, a prose design and an asar routine with its test states. The
loader only assembles the chat text and the grading spec; `validate_seed` proves each one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from triforce.errors import InputError
from triforce.fsio import MAX_CONFIG_BYTES, read_text_bounded
from triforce.refine.pairs import make_pair
from triforce.sample import Sample

SEEDS_DIR = Path(__file__).parent / "seeds"


def _pair(entry: dict[str, Any], contract: str, where: str) -> Sample:
    missing = [k for k in ("entry", "quest", "behaviour", "design", "code", "states") if k not in entry]
    if missing:
        raise InputError(f"{where}: missing field(s) {', '.join(missing)}")
    name = str(entry["entry"])
    prompt = f"{str(entry['quest']).strip()} {contract.format(entry=name, behaviour=str(entry['behaviour']).strip())}"
    answer = f"{str(entry['design']).strip()}\n\n```asm\n{str(entry['code']).rstrip()}\n```\n"
    grading = {
        "kind": "asm-exec",
        "entry": name,
        "convention": "jsl",
        "max_instructions": int(entry.get("max_instructions", 5000)),
        "states": entry["states"],
    }
    return make_pair(
        prompt,
        answer,
        grading,
        corpus="triforce-refine-seeds",
        origin="original",
        routine=name,
        meta={"seed_file": where.split(":")[0]},
    )


def _romhack_pair(entry: dict[str, Any], where: str) -> Sample:
    """A `format: romhack` seed: request, design, messages, patch and the cross-domain spec the
    romhack prover checks the patch against."""
    missing = [k for k in ("request", "design", "patch", "spec") if k not in entry]
    if missing:
        raise InputError(f"{where}: missing field(s) {', '.join(missing)}")
    messages = entry.get("messages") or {}
    quest = entry.get("quest")
    data: dict[str, Any] = {}
    if quest:
        data["quest"] = quest
    if messages:
        data["messages"] = {str(k): str(v) for k, v in messages.items()}
    head = str(entry["design"]).strip() + "\n\n"
    if data:
        head += f"```json\n{json.dumps(data, indent=2, ensure_ascii=False)}\n```\n\n"
    answer = f"{head}```asm\n{str(entry['patch']).rstrip()}\n```\n"
    spec = entry["spec"]
    routine = spec.get("hook", {}).get("routine") if isinstance(spec, dict) else None
    return make_pair(
        str(entry["request"]).strip(),
        answer,
        {"kind": "romhack", "spec": spec},
        corpus="triforce-refine-seeds",
        origin="original",
        routine=routine,
        meta={"seed_file": where.split(":")[0]},
    )


def load_seed_file(path: Path) -> list[Sample]:
    """Read one seed YAML file into (unverified) pair samples."""
    try:
        raw = yaml.safe_load(read_text_bounded(path, MAX_CONFIG_BYTES)) or {}
    except yaml.YAMLError as exc:
        raise InputError(f"{path}: not valid YAML ({exc})") from exc
    if isinstance(raw, dict) and raw.get("format") == "romhack":
        if not isinstance(raw.get("pairs"), list):
            raise InputError(f"{path}: a romhack seed file needs a 'pairs' list")
        return [_romhack_pair(e, f"{path.name}: pairs[{i}]") for i, e in enumerate(raw["pairs"])]
    if not isinstance(raw, dict) or not isinstance(raw.get("pairs"), list) or "contract" not in raw:
        raise InputError(f"{path}: expected a mapping with 'contract' and a 'pairs' list")
    return [
        _pair(entry, str(raw["contract"]), f"{path.name}: pairs[{i}]") for i, entry in enumerate(raw["pairs"])
    ]


def bundled_seeds() -> list[Sample]:
    """Every bundled seed pair, in file order."""
    return [s for path in sorted(SEEDS_DIR.glob("*.yaml")) for s in load_seed_file(path)]
