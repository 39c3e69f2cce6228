"""Verified ASM training samples from routines: base, debug, optimize, hook and doc generators.

`AsmSynthesizer(generator_types=[...]).generate_unified_dataset(out_dir, limit_per_type)` is the
Python form of `triforce build`.
"""

from triforce.generate.build import BuildOptions, run_build
from triforce.generate.routines import load_routines
from triforce.generate.synth import GENERATORS
from triforce.generate.synthesizer import AsmSynthesizer

__all__ = ["GENERATORS", "AsmSynthesizer", "BuildOptions", "load_routines", "run_build"]
