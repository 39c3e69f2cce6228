"""Where a base model comes from, decided once before anything is loaded.

Asked for a Hub id without a network, `transformers` retries each file for half a minute or
more before it fails. `model_source` settles the question at once:

- an existing folder is a local model: it must hold `config.json`, and it is read with
  `local_files_only` (no network at all);
- a name that looks like a path (absolute, `./`, `~`, or with more than one `/`) but is not a
  folder is an error naming it;
- a Hub id (`org/name`) goes to the Hub only when the Hub answers one quick request; when
  `HF_HUB_OFFLINE`/`TRANSFORMERS_OFFLINE` is set, or the Hub does not answer, it is read from the
  local Hugging Face cache with `local_files_only`, or, when it is not cached, refused at once
  with how to point `model.name` at a local folder.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from triforce.errors import ConfigError

DEFAULT_ENDPOINT = "https://huggingface.co"
# One request decides whether the Hub is there; it is never repeated.
PROBE_TIMEOUT_S = 3.0
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[A-Za-z0-9][\w.-]*)?$")
_TRUE = {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class ModelSource:
    """What to hand `from_pretrained`, and whether it may touch the network."""

    name: str  # a folder path or a Hub id
    local_only: bool
    note: str | None = None  # said to the user (e.g. "offline: using the cached copy")
    cache_dir: str | None = None  # the Hub cache as the environment names it now

    def kwargs(self) -> dict[str, Any]:
        out: dict[str, Any] = {"local_files_only": True} if self.local_only else {}
        if self.cache_dir:
            out["cache_dir"] = self.cache_dir
        return out


def cache_dir() -> str | None:
    """The Hub cache folder the environment names (read now: the libraries read it at import)."""
    if os.environ.get("HF_HUB_CACHE"):
        return os.environ["HF_HUB_CACHE"]
    if os.environ.get("HF_HOME"):
        return str(Path(os.environ["HF_HOME"]) / "hub")
    return None


def hub_endpoint() -> str:
    return os.environ.get("HF_ENDPOINT", DEFAULT_ENDPOINT).rstrip("/")


def offline_by_env() -> str | None:
    """The variable that switches the Hub off, if one does."""
    for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        if os.environ.get(var, "").strip().lower() in _TRUE:
            return var
    return None


def probe_hub(endpoint: str, timeout_s: float = PROBE_TIMEOUT_S) -> str | None:
    """None when the Hub answers one HTTP request (any status), else why not. No retries."""
    import httpx

    try:
        httpx.head(f"{endpoint}/api/models", timeout=timeout_s, follow_redirects=False)
    except httpx.HTTPError as exc:
        return f"{exc.__class__.__name__}: {exc}" if str(exc) else exc.__class__.__name__
    return None


def is_cached(repo_id: str, revision: str | None) -> bool:
    from huggingface_hub import try_to_load_from_cache

    found = try_to_load_from_cache(repo_id, "config.json", cache_dir=cache_dir(), revision=revision)
    return isinstance(found, str)


def _local_hint(name: str) -> str:
    short = name.rsplit("/", 1)[-1]
    return (
        "point model.name at a local folder holding config.json, the tokenizer and the weights "
        f"(e.g. made where the Hub is reachable with `hf download {name} --local-dir models/{short}`)"
    )


_decided: dict[tuple[str | None, ...], ModelSource] = {}


def model_source(name: str, revision: str | None = None, where: str = "model.name") -> ModelSource:
    """Decide where `name` loads from; raises ConfigError at once when it cannot load at all.

    A Hub id's answer is remembered for the process (keyed by endpoint, offline switch and
    cache folders), so the tokenizer and the model of one run cost one probe, not two."""
    path = Path(name).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise ConfigError(f"{where}: {path} is a folder but not a model (no config.json in it)")
        return ModelSource(str(path), local_only=True)
    looks_like_path = name.startswith(("/", ".", "~")) or name.count("/") > 1
    if looks_like_path or not _HUB_ID.match(name):
        raise ConfigError(f"{where}: {name!r} is not a model folder (no such directory) nor a Hub id")
    env = tuple(os.environ.get(v) for v in ("HF_HOME", "HF_HUB_CACHE"))
    key = (name, revision, hub_endpoint(), offline_by_env(), *env)
    if key not in _decided:
        _decided[key] = _hub_source(name, revision, where)
    return _decided[key]


def _hub_source(name: str, revision: str | None, where: str) -> ModelSource:
    switched_off = offline_by_env()
    endpoint = hub_endpoint()
    why = f"{switched_off} is set" if switched_off else probe_hub(endpoint)
    if why is None:
        return ModelSource(name, local_only=False, cache_dir=cache_dir())
    if is_cached(name, revision):
        return ModelSource(
            name,
            local_only=True,
            note=f"Hugging Face Hub not used ({why}): loading {name} from the local cache",
            cache_dir=cache_dir(),
        )
    reached = "is switched off" if switched_off else f"at {endpoint} cannot be reached"
    raise ConfigError(
        f"{where}: {name!r} is not in the local Hugging Face cache and the Hub {reached} ({why}); "
        f"{_local_hint(name)}"
    )
