"""Generators for every domain beyond assembly routines, and how the build and `dataset verify`
reach them.

The ASM generators work on routines of an asar tree (`synth.py`). Every other domain (graphics,
compression, text, lore, quests, C++, cross-domain) plugs in here with one class:

```python
class TileGenerator(DomainGenerator):
    name = "gfx"                                   # the `triforce build -g` name
    tasks = ("gfx.tile_encode", "gfx.tile_decode")  # the Sample.task values it writes

    def units(self, sources, seed):                # what there is to do, in a fixed order
        return [Unit(f"synthetic:{i:04d}", {"i": i}) for i in range(400)]

    def run(self, unit, seed):                     # one unit -> proven samples and rejects
        ...
        return UnitResult(samples=[sample], rejects=[], candidates=1)

    def check(self, sample):                       # re-prove a shipped sample from its text
        return []                                  # problems; empty when everything holds
```

and one line in `generate/domains.yaml` (`name: module:Class`). The build runs each
requested generator's units after the routines (resumable in the same unit log, in parallel
over the build's workers), keeps at most `--limit-per-type` samples per generator, and writes
them into the same `samples.jsonl`. `triforce dataset verify` calls `check` on every sample whose
`meta.generator` names the generator.

Rules every domain generator follows (what makes a sample "proven"):
- `units` and `run` are deterministic for a given (sources, seed): same input, same bytes.
- Every fact, byte, box and flag in a sample is proven by the domain's truth machine before the
  sample is returned; what cannot be proven is a reject with a reason, never a sample.
- `check` re-proves the sample from what the model is trained on: it extracts the answer from
  the assistant message itself (not from a copy in `meta`) and fails when the message and the
  record disagree.
- Samples set `meta["generator"] = self.name` (`make_domain_sample` does it) and a `group` that
  keeps related samples (same source file, same quest) in one split.
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar

import yaml

from triforce.errors import ConfigError
from triforce.sample import Domain, Message, Origin, Provenance, Sample, Verification


@dataclass(frozen=True)
class Source:
    """A tree the user named with `--source` (any kind: an asar tree, a C++ checkout, a hack's
    documents); each generator decides what in it is its material."""

    path: Path
    origin: Origin = "original"


@dataclass(frozen=True)
class Unit:
    """One piece of work: a stable key (unique within its generator; the resume log and the output
    order use it) and a picklable payload for `run`."""

    key: str
    payload: Any = None


@dataclass
class UnitResult:
    samples: list[Sample] = field(default_factory=list)
    # {"reason": short key for counting, "detail": for people}; "routine" defaults to the unit key
    rejects: list[dict[str, str]] = field(default_factory=list)
    candidates: int = 0

    def reject(self, reason: str, detail: str = "", item: str = "") -> None:
        self.rejects.append({"reason": reason, "detail": detail, "routine": item})


class DomainGenerator(ABC):
    """A generator of proven samples for one domain (see the module docstring)."""

    name: ClassVar[str]
    tasks: ClassVar[tuple[str, ...]]

    @abstractmethod
    def units(self, sources: Sequence[Source], seed: int) -> list[Unit]:
        """The work for these sources (the bundled defaults when `sources` is empty)."""

    @abstractmethod
    def run(self, unit: Unit, seed: int) -> UnitResult:
        """Make and prove the samples of one unit."""

    @abstractmethod
    def check(self, sample: dict[str, Any]) -> list[str]:
        """Re-prove a shipped sample (a decoded samples.jsonl row) from its assistant message;
        returns the problems found (empty: verified)."""

    def check_in(self, sample: dict[str, Any], root: Path | None) -> list[str]:
        """`check` for `dataset verify --root TREE`: a generator whose proof reads the tree the
        sample came from (an `incbin` or `incsrc` of the routine) overrides this to use `root`;
        the others do not need it."""
        return self.check(sample)


def make_domain_sample(
    generator: DomainGenerator,
    *,
    task: str,
    domain: Domain,
    source: str,
    user: str,
    assistant: str | list[str],
    provenance: Provenance,
    verification: Verification,
    meta: dict[str, Any] | None = None,
    system: str | None = None,
    group: str = "",
    turns: list[tuple[str, str]] | None = None,
) -> Sample:
    """A Sample with the generator's name in `meta.generator`.

    `turns` gives a multi-turn chat instead of user/assistant: [(role, content), ...] after the
    system prompt (error-correction chains)."""
    messages = [Message(role="system", content=system)] if system else []
    if turns is not None:
        messages += [Message(role=r, content=c) for r, c in turns]  # type: ignore[arg-type]
    else:
        messages.append(Message(role="user", content=user))
        answers = [assistant] if isinstance(assistant, str) else assistant
        messages += [Message(role="assistant", content=a) for a in answers]
    return Sample(
        messages=messages,
        domain=domain,
        task=task,
        source=source,
        provenance=provenance,
        verification=verification,
        group=group,
        meta={"generator": generator.name, **(meta or {})},
    )


def checked(method: str, details: dict[str, Any] | None = None, *, states: int = 0) -> Verification:
    """The verification record of a sample its truth machine proved."""
    return Verification(
        assembled="asar" in method,
        executed=states > 0,
        states_tested=states,
        passed=True,
        method=method,
        details=details or {},
    )


_REGISTERED: dict[str, str] = {}


@cache
def _catalogue() -> dict[str, str]:
    text = resources.files("triforce.generate").joinpath("domains.yaml").read_text("utf-8")
    data = yaml.safe_load(text) or {}
    if not isinstance(data, dict):
        raise ConfigError("generate/domains.yaml must map generator names to module:Class")
    return {str(k): str(v) for k, v in data.items()}


def registry() -> dict[str, str]:
    """{generator name: "module:Class"}: `domains.yaml` (one line per generator), then
    any added with `register`."""
    return {**_catalogue(), **_REGISTERED}


def registered() -> dict[str, str]:
    """The generators added with `register` in this process (not those of the catalogue)."""
    return dict(_REGISTERED)


def register(name: str, target: str) -> None:
    """Add a generator ("module:Class") for this process and the workers it forks (a plugin, a
    test). The catalogue file is the place for the project's own."""
    _REGISTERED[name] = target
    load_generator.cache_clear()


def domain_names() -> list[str]:
    return list(registry())


@cache
def load_generator(name: str) -> DomainGenerator:
    """The generator registered under `name` (ConfigError when unknown or broken)."""
    target = registry().get(name)
    if target is None:
        raise ConfigError(f"unknown domain generator {name!r}; choose from {', '.join(registry())}")
    module, _, cls = target.partition(":")
    try:
        gen = getattr(importlib.import_module(module), cls)()
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"domain generator {name!r} ({target}) cannot be loaded: {exc}") from exc
    if not isinstance(gen, DomainGenerator) or gen.name != name:
        raise ConfigError(f"{target} is not a DomainGenerator named {name!r}")
    return gen
