"""The model registry: the plan's hierarchy as data (`models.toml`), with adapter status.

The packaged file is the default; a user file (`--registry` or $TRIFORCE_MODELS) replaces
entries by name and adds new ones, so a deployment can point adapters and endpoints elsewhere
without editing the package.
"""

from __future__ import annotations

import os
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from triforce.errors import ConfigError
from triforce.fsio import MAX_CONFIG_BYTES, read_text_bounded

ENV_VAR = "TRIFORCE_MODELS"


class ModelEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = ""
    kind: Literal["router", "category", "specialist", "unified"]
    description: str = ""
    base_model: str | None = None
    preset: str | None = None
    category: str | None = None
    domains: list[str] = Field(default_factory=list)
    members: list[str] = Field(default_factory=list)
    routes_to: list[str] = Field(default_factory=list)
    aliases: list[str] = Field(default_factory=list)
    adapter: str | None = None
    endpoint: str | None = None
    # Serving: the environment variable holding the endpoint's API key (never the key itself),
    # and the models that answer when this one cannot (`oracle-council` = the MoE path).
    api_key_env: str | None = None
    fallback: list[str] = Field(default_factory=list)

    def adapter_path(self, root: Path | None = None) -> Path | None:
        if not self.adapter:
            return None
        p = Path(os.path.expanduser(self.adapter))
        return p if p.is_absolute() else (root or Path.cwd()) / p

    def adapter_present(self, root: Path | None = None) -> bool:
        p = self.adapter_path(root)
        return bool(p and (p / "adapter_config.json").is_file())


def _parse(text: str, source: str) -> dict[str, ModelEntry]:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML ({exc})") from exc
    entries = {}
    for name, body in (raw.get("models") or {}).items():
        try:
            entries[name] = ModelEntry.model_validate({**body, "name": name})
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            raise ConfigError(f"{source}: models.{name}: {problems}") from exc
    return entries


def load_registry(path: str | Path | None = None) -> dict[str, ModelEntry]:
    packaged = (resources.files("triforce.train") / "models.toml").read_text(encoding="utf-8")
    entries = _parse(packaged, "models.toml (packaged)")
    user = path or os.environ.get(ENV_VAR)
    if user:
        p = Path(user)
        if not p.is_file():
            raise ConfigError(f"{p}: model registry not found")
        entries.update(_parse(read_text_bounded(p, MAX_CONFIG_BYTES), str(p)))
    _check_links(entries)
    return entries


def _check_links(entries: dict[str, ModelEntry]) -> None:
    for e in entries.values():
        for ref in [*e.members, *e.routes_to, *e.fallback, *([e.category] if e.category else [])]:
            if ref not in entries:
                raise ConfigError(f"models.{e.name}: refers to unknown model {ref!r}")


def resolve(entries: dict[str, ModelEntry], name: str) -> ModelEntry:
    """Look a model up by name or alias (master-sword → triforce-sage)."""
    if name in entries:
        return entries[name]
    for e in entries.values():
        if name in e.aliases:
            return e
    raise ConfigError(f"{name}: not in the model registry ({', '.join(entries)})")


def status_rows(entries: dict[str, ModelEntry], root: Path | None = None) -> list[dict[str, Any]]:
    rows = []
    for e in entries.values():
        if e.kind == "category":
            present = sum(entries[m].adapter_present(root) for m in e.members)
            status = f"{present}/{len(e.members)} member adapters"
        elif e.adapter:
            status = "adapter present" if e.adapter_present(root) else "no adapter"
        else:
            status = "-"
        rows.append(
            e.model_dump()
            | {
                "adapter_present": e.adapter_present(root),
                "status": status,
                "adapter_path": str(e.adapter_path(root) or ""),
            }
        )
    return rows
