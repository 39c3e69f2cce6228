"""Dataset curation: the shared sample record, I/O, dedup, decontamination, mixing, splits,
export and the dataset card. `curate` runs them all in order (what `triforce build` calls).

Names are imported lazily: every package imports `triforce.sample`, and that must not
pull in pyarrow, datasketch and matplotlib.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "triforce.dataset.decontam": (
        "DecontamConfig",
        "DecontamReport",
        "EvalItem",
        "Hit",
        "decontaminate",
        "load_suite",
    ),
    "triforce.dataset.dedup": ("ASSEMBLED_HEX", "DedupConfig", "DedupReport", "dedup"),
    "triforce.dataset.export": ("ExportConfig", "export", "order_samples"),
    "triforce.dataset.filters": ("FilterConfig", "FilterReport", "filter_samples"),
    "triforce.dataset.mix": ("MixConfig", "MixReport", "load_mix_config", "mix", "preset_names"),
    "triforce.dataset.pipeline": ("CurationConfig", "CurationResult", "curate", "load_curation_config"),
    "triforce.sample": ("Message", "Provenance", "Sample", "Verification"),
    "triforce.dataset.sample_io": ("ReadResult", "read_many", "read_samples", "write_samples"),
    "triforce.dataset.splits": ("SplitConfig", "SplitReport", "check_leaks", "split"),
}
_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}
__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'triforce.dataset' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
