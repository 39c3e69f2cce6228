"""`curate`: the default pipeline from generator output to a dataset a trainer can trust.

filter (provenance) → dedup → decontaminate (the package's evaluation suites, or given files)
→ mix (when a preset is named) → split → export → card. Every stage's report is kept in the
result and written to `curation.json`, which the dataset card is rendered from.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from triforce.dataset.card import CURATION_FILE, write_card
from triforce.dataset.decontam import DecontamConfig, DecontamReport, bundled_suite_paths, decontaminate
from triforce.dataset.dedup import DedupConfig, DedupReport, Tick, dedup
from triforce.dataset.export import PURE_DOMAINS, ExportConfig, export
from triforce.dataset.filters import FilterConfig, FilterReport, filter_samples
from triforce.dataset.mix import MixReport, load_mix_config, mix
from triforce.dataset.splits import SplitConfig, SplitReport, check_leaks, split
from triforce.dataset.stats import dataset_stats
from triforce.errors import ConfigError, InputError
from triforce.fsio import MAX_CONFIG_BYTES, read_text_bounded, write_text_atomic
from triforce.sample import Sample

Progress = Callable[[str], None]  # a stage starts (message)


class CurationConfig(BaseModel):
    """Everything `curate` does, as one YAML-able config (each stage can be switched off)."""

    model_config = ConfigDict(extra="forbid")
    name: str = "triforce-dataset"
    out_dir: Path | None = None  # None: curate in memory, write nothing
    filter: FilterConfig = Field(default_factory=FilterConfig)
    dedup: DedupConfig | None = Field(default_factory=DedupConfig)
    decontam: DecontamConfig | None = Field(default_factory=DecontamConfig)
    suites: list[Path] | None = None  # None: the package's own suites (triforce/evaluate/suites)
    mix: str | None = None  # preset name or mix YAML path
    short: Literal["leave", "upsample"] | None = None  # override the preset's short-row policy
    upsample_cap: float | None = None
    split: SplitConfig = Field(default_factory=SplitConfig)
    export: ExportConfig = Field(default_factory=ExportConfig)
    card: bool = True


@dataclass
class CurationResult:
    splits: dict[str, list[Sample]]
    filter: FilterReport
    dedup: DedupReport | None
    decontam: DecontamReport | None
    mix: MixReport | None
    split: SplitReport
    leaks: int
    files: dict[str, list[str]] = field(default_factory=dict)
    card: Path | None = None
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {
            "splits": {k: len(v) for k, v in self.splits.items()},
            "filter": self.filter.to_dict(),
            "dedup": self.dedup.to_dict() if self.dedup else None,
            "decontam": self.decontam.to_dict() if self.decontam else None,
            "mix": self.mix.to_dict() if self.mix else None,
            "split": self.split.to_dict(),
            "leaks": self.leaks,
            "files": self.files,
            "card": str(self.card) if self.card else None,
            "warnings": self.warnings,
        }


def load_curation_config(path: Path) -> CurationConfig:
    """Read a curation YAML file; errors name the file and field."""
    try:
        data = yaml.safe_load(read_text_bounded(path, MAX_CONFIG_BYTES)) or {}
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: invalid YAML: {exc}") from exc
    try:
        return CurationConfig.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise ConfigError(f"{path}: field {'.'.join(str(p) for p in err['loc'])}: {err['msg']}") from exc


def curate(
    samples: Sequence[Sample],
    config: CurationConfig,
    progress: Progress | None = None,
    tick: Tick | None = None,
) -> CurationResult:
    """Run the pipeline; write data, `curation.json` and the card when `config.out_dir` is set.

    `progress` hears when each stage starts; `tick(stage, done, total)` hears progress inside
    the long stages (dedup layers, decontamination)."""
    say = progress or (lambda _msg: None)
    warnings: list[str] = []
    say(f"filter: {len(samples):,} samples")
    current, f_report = filter_samples(samples, config.filter)

    d_report = None
    if config.dedup is not None:
        say(f"dedup: {len(current):,} samples")
        current, d_report = dedup(current, config.dedup, progress=tick)

    c_report = None
    if config.decontam is not None:
        suites = config.suites if config.suites is not None else bundled_suite_paths()
        say(f"decontaminate: {len(current):,} samples against {len(suites)} suite file(s)")
        current, c_report = decontaminate(current, suites, config=config.decontam, progress=tick)
        warnings += [f"decontam: {n}" for n in c_report.notes]

    m_report = None
    if config.mix:
        mix_cfg = load_mix_config(config.mix, short=config.short, upsample_cap=config.upsample_cap)
        say(f"mix: {mix_cfg.name}")
        current, m_report = mix(current, mix_cfg)
        warnings += m_report.warnings

    say(f"split: {len(current):,} samples")
    parts, s_report = split(current, config.split)
    warnings += s_report.warnings
    leaks = check_leaks(parts)
    if leaks:
        warnings.append(f"{len(leaks)} leak(s) across splits, e.g. {leaks[0]}")

    result = CurationResult(
        parts, f_report, d_report, c_report, m_report, s_report, len(leaks), warnings=warnings
    )
    if config.out_dir is not None:
        _write(result, config, say)
    return result


def export_splits(splits: dict[str, list[Sample]], config: CurationConfig) -> CurationResult:
    """Export splits that are already curated (no filter/dedup/mix): files, curation.json, card."""
    leaks = check_leaks(splits)
    sizes = {k: len(v) for k, v in splits.items()}
    total = sum(sizes.values())
    report = SplitReport(sizes=sizes, groups={k: len({s.group for s in v}) for k, v in splits.items()})
    warnings = [f"{len(leaks)} leak(s) across splits, e.g. {leaks[0]}"] if leaks else []
    result = CurationResult(
        dict(splits), FilterReport(total, total, {}), None, None, None, report, len(leaks), warnings=warnings
    )
    if config.out_dir is not None:
        _write(result, config, lambda _msg: None)
    return result


def _write(result: CurationResult, config: CurationConfig, say: Progress) -> None:
    out = config.out_dir
    assert out is not None
    say(f"export: {', '.join(config.export.formats)} → {out}")
    written = export(result.splits, out, config.export)
    result.files = {fmt: [str(p.relative_to(out)) for p in paths] for fmt, paths in written.items()}
    everything = [s for v in result.splits.values() for s in v]
    curation = {
        "name": config.name,
        "config": json.loads(config.model_dump_json()),
        "order": config.export.order,
        "files": result.files,
        "leaks": result.leaks,
        "warnings": result.warnings,
        "stats": {
            "all": dataset_stats(everything),
            "splits": {k: dataset_stats(v) for k, v in result.splits.items()},
            "domains": {
                d: dataset_stats([s for s in everything if s.domain == d])
                for d in sorted({s.domain for s in everything})
            },
        },
        "curriculum": {
            "pure": sum(1 for s in result.splits.get("train", []) if s.domain in PURE_DOMAINS),
            "cross": sum(1 for s in result.splits.get("train", []) if s.domain not in PURE_DOMAINS),
        }
        if config.export.order == "curriculum"
        else None,
        "reports": {
            "filter": result.filter.to_dict(),
            "dedup": result.dedup.to_dict() if result.dedup else None,
            "decontam": result.decontam.to_dict() if result.decontam else None,
            "mix": result.mix.to_dict() if result.mix else None,
            "split": result.split.to_dict(),
        },
        "removed": {
            "dedup": [r.__dict__ for r in result.dedup.removals] if result.dedup else [],
            "decontam": [h.__dict__ for h in result.decontam.hits] if result.decontam else [],
        },
    }
    write_text_atomic(out / CURATION_FILE, json.dumps(curation, indent=1, ensure_ascii=False) + "\n")
    if config.card:
        say("card")
        result.card = write_card(out)


def build_step(
    config: CurationConfig | None = None, folder: str = "dataset"
) -> Callable[[Path, dict[str, Any]], dict[str, Any]]:
    """A `triforce build` post-build step: curate `<build>/samples.jsonl` into `<build>/<folder>`.

    Register it in the build's POST_BUILD list; it returns the curation summary for the build
    report. Malformed sample lines are skipped and counted rather than failing a finished build.
    """
    base = config or CurationConfig()

    def curate_build(out_dir: Path, report: dict[str, Any]) -> dict[str, Any]:
        from triforce.dataset.sample_io import read_jsonl

        read = read_jsonl(out_dir / "samples.jsonl", on_error="skip")
        cfg = base.model_copy(update={"out_dir": out_dir / folder})
        summary = curate(read.samples, cfg).summary()
        summary["skipped_lines"] = [str(e) for e in read.errors]
        return summary

    return curate_build


curate_build = build_step()
