"""The dataset card: a `README.md` beside the exported data, with PNG charts.

It is rendered from `curation.json` (written by `curate`), so `triforce dataset card DIR` can
redraw it at any time without re-running the pipeline.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from triforce.dataset.stats import MADE_BY
from triforce.errors import InputError
from triforce.fsio import MAX_CONFIG_BYTES, read_text_bounded, write_bytes_atomic, write_text_atomic

CURATION_FILE = "curation.json"


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _count_table(title: str, counts: dict[str, int], total: int) -> str:
    rows = [[k, f"{v:,}", _pct(v / total) if total else "-"] for k, v in counts.items()]
    return f"### {title}\n\n" + _table([title.split(" ")[-1].capitalize(), "Samples", "Share"], rows)


def _png(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    return buf.getvalue()


def render_charts(curation: dict[str, Any], out_dir: Path) -> list[str]:
    """Draw the mix against its quotas (or the domain mix when no quotas) as PNGs; return names."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = []
    mix = curation.get("reports", {}).get("mix")
    if mix:
        rows = mix["rows"]
        fig, ax = plt.subplots(figsize=(10, 0.35 * len(rows) + 1.5))
        y = range(len(rows))
        ax.barh([i + 0.2 for i in y], [r["target"] for r in rows], height=0.4, label="quota", color="#bbbbbb")
        ax.barh(
            [i - 0.2 for i in y],
            [r["selected"] for r in rows],
            height=0.4,
            label="selected",
            color=["#d9534f" if r["short"] else "#3a7bd5" for r in rows],
        )
        ax.set_yticks(list(y), [f"{r['domain']}: {r['key']}" for r in rows])
        ax.invert_yaxis()
        ax.set_xlabel("samples")
        ax.set_title(f"Mix against quotas ({mix['preset']}); red = short")
        ax.legend(loc="lower right")
        write_bytes_atomic(out_dir / "mix_vs_quota.png", _png(fig))
        plt.close(fig)
        names.append("mix_vs_quota.png")
    doms = curation["stats"]["all"]["domains"]
    targets = (mix or {}).get("domain_targets", {})
    keys = sorted(set(doms) | set(targets))
    fig, ax = plt.subplots(figsize=(6, 3.5))
    x = range(len(keys))
    shift, width = (0.2, 0.4) if targets else (0.0, 0.6)  # side by side only when quotas exist
    ax.bar(
        [i - shift for i in x], [doms.get(k, 0) for k in keys], width=width, label="selected", color="#3a7bd5"
    )
    if targets:
        ax.bar(
            [i + 0.2 for i in x], [targets.get(k, 0) for k in keys], width=0.4, label="quota", color="#bbbbbb"
        )
    ax.set_xticks(list(x), keys)
    ax.set_ylabel("samples")
    ax.set_title("Samples per domain")
    ax.legend()
    write_bytes_atomic(out_dir / "domains.png", _png(fig))
    plt.close(fig)
    names.append("domains.png")
    return names


def render_card(curation: dict[str, Any], charts: list[str]) -> str:
    """Markdown text of the card."""
    stats = curation["stats"]
    everything = stats["all"]
    total = everything["count"]
    reports = curation.get("reports", {})
    files = curation.get("files", {})
    out: list[str] = []
    configs = []
    if "messages" in files:
        data_files = [{"split": Path(p).stem, "path": p} for p in files["messages"]]
        configs = ["configs:", "- config_name: default", "  data_files:"]
        configs += [f"  - split: {d['split']}\n    path: {d['path']}" for d in data_files]
    out.append(
        "---\n" + "\n".join(["license: other", "task_categories:", "- text-generation", *configs]) + "\n---"
    )
    out.append(f"# {curation.get('name', 'Triforce dataset')}\n")
    out.append(
        "Built by Triforce. Every count below is computed from the exported files; the pipeline's"
        " settings are in `curation.json`.\n"
    )
    warnings = curation.get("warnings", [])
    if warnings:
        out.append("## Warnings\n\n" + "\n".join(f"- **{w}**" for w in warnings) + "\n")

    out.append("## Splits\n")
    split_rows = [[k, f"{v['count']:,}", f"{v['groups']:,}"] for k, v in stats["splits"].items()]
    out.append(_table(["Split", "Samples", "Groups"], split_rows) + "\n")
    out.append(
        "Splits are grouped by `Sample.group` (every sample of one routine or source item is in one"
        f" split) and stratified by domain and task. Leak check: {curation.get('leaks', 0)} leak(s).\n"
    )
    domains = sorted({d for st in stats["splits"].values() for d in st["domains"]})
    if domains:
        rows = [[k, *(f"{v['domains'].get(d, 0):,}" for d in domains)] for k, v in stats["splits"].items()]
        out.append("Per split and domain:\n\n" + _table(["Split", *domains], rows) + "\n")
    if curation.get("order"):
        line = f"Training order: **{curation['order']}**."
        stages = curation.get("curriculum")
        if stages:
            line += (
                f" Curriculum: {stages['pure']:,} pure-domain samples (din, nayru, farore) first,"
                f" then {stages['cross']:,} cross-domain samples."
            )
        out.append(line + "\n")
    if "messages" in files:
        paths = ", ".join(f'"{Path(p).stem}": "{p}"' for p in files["messages"])
        out.append(
            "Load with 🤗 datasets (TRL's SFTTrainer takes the `messages` column as is):\n\n"
            "```python\nfrom datasets import load_dataset\n"
            f'ds = load_dataset("json", data_files={{{paths}}})\n```\n'
        )

    out.append("## Composition\n")
    for title, key in (("Per domain", "domains"), ("Per source", "sources"), ("Per task", "tasks")):
        out.append(_count_table(title, everything[key], total) + "\n")
    made = everything.get("made_by_domain") or {}
    if made:
        kinds = ("generated", "real trees", "reviewed by a person")
        rows = [[d, *(f"{c.get(k, 0):,}" for k in kinds)] for d, c in made.items()]
        out.append(
            "How the samples were made (reviewed: accepted or corrected by a person in the review queue):\n\n"
            + _table(["Domain", "Generated", "From real trees", "Reviewed by a person"], rows)
            + "\n"
        )
    if everything.get("cpp_folders"):
        out.append(_count_table("Per C++ folder", everything["cpp_folders"], total) + "\n")

    for name in charts:
        out.append(f"![{name}]({name})\n")
    mix = reports.get("mix")
    if mix:
        out.append(f"## Mix against quotas ({mix['preset']})\n")
        rows = [
            [
                r["domain"],
                r["key"],
                r["label"],
                f"{r['target']:,}",
                f"{r['available']:,}",
                f"{r['selected']:,}",
                f"{r['upsampled']:,}",
                f"**SHORT**: {r.get('why', '')}" if r["short"] else "filled",
            ]
            for r in mix["rows"]
        ]
        out.append(
            _table(["Domain", "Row", "Plan", "Quota", "Available", "Selected", "Upsampled", "Status"], rows)
        )
        out.append(f"\nSamples fitting no row: {mix['unassigned']:,} ({mix['unassigned_kept']:,} kept).\n")

    out.append("## Verification\n")
    v = everything["verification"]
    out.append(
        _table(
            ["Assembled", "Executed", "Passed", "No record"],
            [[_pct(v["assembled"]), _pct(v["executed"]), _pct(v["passed"]), _pct(v["unverified"])]],
        )
        + "\n"
    )
    per_domain = [
        [
            d,
            f"{st['count']:,}",
            _pct(st["verification"]["assembled"]),
            _pct(st["verification"]["executed"]),
            _pct(st["verification"]["passed"]),
        ]
        for d, st in stats.get("domains", {}).items()
    ]
    if per_domain:
        out.append(
            "Per domain:\n\n"
            + _table(["Domain", "Samples", "Assembled", "Executed", "Passed"], per_domain)
            + "\n"
        )
    tier_rows = [
        [t, *(f"{c[k]:,}" for k in ("passed", "executed", "assembled", "none"))]
        for t, c in everything["tiers_by_task"].items()
    ]
    out.append(
        "Per task (best tier reached):\n\n"
        + _table(["Task", "Passed", "Executed only", "Assembled only", "None"], tier_rows)
        + "\n"
    )

    out.append("## Provenance\n")
    for title, key in (("Per origin", "origins"), ("Per corpus", "corpora"), ("Per license", "licenses")):
        out.append(_count_table(title, everything[key], total) + "\n")
    per_source = everything.get("made_by_source")
    if per_source:
        rows = [[src, *(f"{c.get(b, 0):,}" for b in MADE_BY)] for src, c in per_source.items()]
        out.append(
            "Per source, what the samples rest on (generated by Triforce's generators, read from real"
            " source trees given with `--source`, or written/accepted/corrected by a person):\n\n"
            + _table(["Source", "Generated", "Real trees", "Reviewed"], rows)
            + "\n"
        )
    flt = reports.get("filter")
    if flt and flt["removed_by_reason"]:
        out.append(
            "Removed by provenance filters: "
            + ", ".join(f"{k} {v:,}" for k, v in flt["removed_by_reason"].items())
            + "\n"
        )

    out.append("## Hygiene\n")
    dd = reports.get("dedup")
    if dd:
        rows = [[layer, f"{n:,}"] for layer, n in dd["removed_by_layer"].items()]
        out.append(
            f"Dedup: {dd['input']:,} in, {dd['kept']:,} kept.\n\n" + _table(["Layer", "Removed"], rows) + "\n"
        )
    dc = reports.get("decontam")
    if dc:
        out.append(
            f"Decontamination: {dc['removed']:,} sample(s) removed against {dc['items']:,} evaluation item(s)"
            f" from {len(dc['suites'])} suite file(s).\n"
        )
        if dc["hits_by_kind"]:
            out.append(_table(["Match", "Hits"], [[k, v] for k, v in dc["hits_by_kind"].items()]) + "\n")
        if dc["hits_by_item"]:
            top = sorted(dc["hits_by_item"].items(), key=lambda kv: -kv[1])[:20]
            out.append(
                "Items matched most:\n\n" + _table(["Item", "Samples removed"], [list(t) for t in top]) + "\n"
            )
        for note in dc.get("notes", []):
            out.append(f"- {note}")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def write_card(out_dir: Path) -> Path:
    """Render `README.md` and charts from `out_dir/curation.json`; returns the card's path."""
    src = out_dir / CURATION_FILE
    try:
        curation = json.loads(read_text_bounded(src, MAX_CONFIG_BYTES))
    except OSError as exc:
        raise InputError(
            f"{src}: cannot read ({exc.strerror}); run the pipeline (`triforce dataset export`) first"
        ) from exc
    except json.JSONDecodeError as exc:
        raise InputError(f"{src}:{exc.lineno}: invalid JSON: {exc.msg}") from exc
    charts = render_charts(curation, out_dir)
    path = out_dir / "README.md"
    write_text_atomic(path, render_card(curation, charts))
    return path
