"""The plan's entry point, `AsmSynthesizer`: chosen generators over a corpus into one dataset."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from triforce.generate.build import BuildOptions, generator_names, run_build
from triforce.generate.domain import Source
from triforce.generate.routines import load_routines
from triforce.generate.synth import GENERATORS


class AsmSynthesizer:
    """The plan's entry point: chosen generators over a corpus, verified, into one dataset.

    `AsmSynthesizer(generator_types=["base", "debug"]).generate_unified_dataset("out", 100)`
    reads the bundled corpus (or `sources`), runs the build, and returns its report.
    """

    def __init__(
        self,
        generator_types: Sequence[str] | None = None,
        seed: int = 0,
        workers: int | None = None,
        sources: Sequence[Path] = (),
    ) -> None:
        known = generator_names()
        unknown = [g for g in generator_types or () if g not in known]
        if unknown:
            from triforce.errors import ConfigError

            raise ConfigError(f"unknown generator(s) {unknown}; choose from {', '.join(known)}")
        self.generator_types = list(generator_types) if generator_types is not None else generator_names()
        self.seed = seed
        self.workers = workers
        self.sources = list(sources)

    def generate_unified_dataset(self, output_dir: str | Path, limit_per_type: int | None = None) -> Any:
        corpus = load_routines(self.sources, required=not set(self.generator_types) - set(GENERATORS))
        opts = BuildOptions(
            generators=self.generator_types,
            limit_per_type=limit_per_type,
            seed=self.seed,
            workers=self.workers,
            sources=[Source(Path(p)) for p in self.sources],
        )
        return run_build(corpus, Path(output_dir), opts)

    async def agenerate_unified_dataset(
        self, output_dir: str | Path, limit_per_type: int | None = None
    ) -> Any:
        """The same in a thread, for callers that live in an event loop."""
        return await asyncio.to_thread(self.generate_unified_dataset, output_dir, limit_per_type)
