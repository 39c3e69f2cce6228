"""A self-contained HTML report: inline CSS and inline SVG charts, no network, one file.

Shows a banner when the backend failed, per-category pass rates against the plan's targets, the
latency distribution (only for backends whose timings mean something: not reference answers or
replays), the failure reasons, then the failing answers grouped by verdict (one line per distinct
code and reason), each answer beside its verdict and collapsed until opened.
"""

from __future__ import annotations

import html
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

_CSS = """
body{font-family:system-ui,sans-serif;margin:2rem;color:#1d2330;max-width:1100px}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ccd}
table{border-collapse:collapse;margin:.5rem 0}td,th{padding:.25rem .6rem;border:1px solid #dde;text-align:left;font-size:.9rem}
th{background:#f1f3f8}.ok{color:#17703a;font-weight:600}.bad{color:#b3261e;font-weight:600}.na{color:#777}
code{font-size:.85rem}.meta{color:#555;font-size:.9rem}svg{background:#fafbfd;border:1px solid #e3e6ee}
.alert{background:#fdecea;border:1px solid #b3261e;color:#5f1410;padding:.6rem .9rem;border-radius:4px}
.warn{background:#fff6e0;border:1px solid #b07d00;padding:.6rem .9rem;border-radius:4px}
details{margin:.2rem 0}summary{cursor:pointer}pre{white-space:pre-wrap;background:#f6f7fa;padding:.5rem;
border:1px solid #e3e6ee;font-size:.8rem;max-height:24rem;overflow:auto;margin:.3rem 0}
"""
# Answers longer than this are cut in the report (records.jsonl keeps them whole).
ANSWER_CHARS = 4000
# Items named in a group's one-line summary.
GROUP_NAMES = 6
# Failing answers written out in all (every group is still counted and named); the rest are in
# records.jsonl, which keeps the report a size a browser opens at once.
LISTED_ANSWERS = 1000


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _secs(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f} s"


def _bar_chart(rows: Sequence[tuple[str, float, float | None]], width: int = 640, row_h: int = 26) -> str:
    """Horizontal bars (value 0..1) with an optional target tick per row."""
    label_w, pad = 150, 8
    height = pad * 2 + row_h * len(rows)
    scale = width - label_w - 60
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img">']
    for i, (label, value, target) in enumerate(rows):
        y = pad + i * row_h
        w = max(0.0, min(1.0, value)) * scale
        colour = "#2e7d4f" if target is None or value >= target else "#c0503a"
        parts.append(f'<text x="4" y="{y + 17}" font-size="12">{html.escape(label)}</text>')
        parts.append(
            f'<rect x="{label_w}" y="{y + 4}" width="{w:.1f}" height="{row_h - 8}" fill="{colour}"/>'
        )
        parts.append(f'<text x="{label_w + w + 4:.1f}" y="{y + 17}" font-size="11">{100 * value:.1f}%</text>')
        if target is not None:
            tx = label_w + target * scale
            parts.append(
                f'<line x1="{tx:.1f}" x2="{tx:.1f}" y1="{y + 1}" y2="{y + row_h - 1}" stroke="#1d2330" stroke-width="2"/>'
            )
    parts.append("</svg>")
    return "".join(parts)


def _histogram(
    values: list[float], budget: float | None, width: int = 640, height: int = 180, bins: int = 20
) -> str:
    if not values:
        return '<p class="na">no latency data</p>'
    top = max(max(values), budget or 0.0) * 1.05 or 1.0
    counts = [0] * bins
    for v in values:
        counts[min(bins - 1, int(v / top * bins))] += 1
    peak = max(counts)
    bw = (width - 40) / bins
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height + 30}" role="img">']
    for i, c in enumerate(counts):
        h = (height - 10) * c / peak if peak else 0
        parts.append(
            f'<rect x="{30 + i * bw:.1f}" y="{height - h:.1f}" width="{bw - 2:.1f}" height="{h:.1f}" fill="#4a6fa5"><title>{c}</title></rect>'
        )
    for frac, anchor in ((0, "middle"), (0.5, "middle"), (1, "end")):
        parts.append(
            f'<text x="{30 + frac * (width - 40):.1f}" y="{height + 16}" font-size="11" text-anchor="{anchor}">{top * frac:.2f}s</text>'
        )
    if budget:
        bx = 30 + budget / top * (width - 40)
        parts.append(
            f'<line x1="{bx:.1f}" x2="{bx:.1f}" y1="0" y2="{height}" stroke="#c0503a" stroke-dasharray="4 3" stroke-width="2"/>'
        )
        parts.append(
            # Anchored at the line's end so the label stays inside the chart.
            f'<text x="{bx - 4:.1f}" y="12" font-size="11" fill="#c0503a" text-anchor="end">budget {budget:.1f}s</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _target_text(target: dict[str, Any]) -> str:
    if "target" in target:
        return f"≥{_pct(target['target'])} ({html.escape(str(target.get('baseline', '')))})"
    if "relative" in target:
        return f"≥{100 * target['relative']:.0f}% of {html.escape(str(target.get('baseline', 'baseline')))} (compare)"
    if "budget_s" in target:
        return f"&lt;{target['budget_s']:.1f} s (baseline {target.get('baseline_s', 0):.1f} s)"
    return "-"


def _met(value: bool | None) -> str:
    if value is None:
        return '<span class="na">needs baseline</span>'
    return '<span class="ok">met</span>' if value else '<span class="bad">not met</span>'


def _banner(run: dict[str, Any]) -> str:
    status = run.get("status", "ok")
    problem = html.escape(str(run.get("problem") or ""))
    if status == "backend-unreachable":
        return (
            f'<p class="alert"><strong>Backend unreachable.</strong> {problem}. '
            "The scores below measure nothing about the model.</p>"
        )
    if status == "backend-errors":
        return f'<p class="warn"><strong>Backend errors.</strong> {problem}.</p>'
    return ""


def _answer_block(record: dict[str, Any]) -> str:
    answer = str(record.get("answer") or "")
    if not answer:
        return '<span class="na">no answer</span>'
    cut = f" (first {ANSWER_CHARS:,} of {len(answer):,} characters)" if len(answer) > ANSWER_CHARS else ""
    return f"<details><summary>answer{cut}</summary><pre>{html.escape(answer[:ANSWER_CHARS])}</pre></details>"


def _failure_groups(failures: list[dict[str, Any]]) -> str:
    """One collapsed block per distinct (code, reason), largest first; inside, each failing
    answer beside its item, itself collapsed."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in sorted(failures, key=lambda r: (r["item_id"], r["sample"])):
        groups[(r["verdict"]["code"], r["verdict"]["reason"])].append(r)
    parts = []
    budget = LISTED_ANSWERS
    for (code, reason), rows in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        names = sorted({r["item_id"] for r in rows})
        more = f" and {len(names) - GROUP_NAMES} more" if len(names) > GROUP_NAMES else ""
        shown, budget = rows[: max(budget, 0)], budget - len(rows)
        body = "".join(
            f"<tr><td><code>{html.escape(r['item_id'])}</code></td><td>{r['sample']}</td>"
            f"<td>{_answer_block(r)}</td></tr>"
            for r in shown
        )
        if len(shown) < len(rows):
            body += f'<tr><td colspan="3" class="na">{len(rows) - len(shown)} more in records.jsonl</td></tr>'

        parts.append(
            f"<details><summary><strong>{len(rows)}×</strong> <code>{html.escape(code)}</code> "
            f"{html.escape(reason[:300])} "
            f'<span class="meta">({", ".join(html.escape(n) for n in names[:GROUP_NAMES])}{more})</span>'
            f"</summary><table><tr><th>item</th><th>sample</th><th>model's answer</th></tr>{body}</table></details>"
        )
    return "".join(parts)


def _latency_section(summary: dict[str, Any], records: list[dict[str, Any]]) -> str:
    run = summary.get("run", {})
    if not run.get("latency_measured", True):
        return ""
    lat = summary["latency"]
    latencies = [r["latency_s"] for r in records if r.get("latency_s") is not None and not r.get("error")]
    return f"""<h2>Latency</h2>
<table><tr><th>requests</th><th>p50</th><th>p95</th><th>mean</th><th>max</th><th>TTFT p50</th><th>TTFT p95</th></tr>
<tr><td>{lat["count"]}</td><td>{_secs(lat["p50_s"])}</td><td>{_secs(lat["p95_s"])}</td><td>{_secs(lat["mean_s"])}</td><td>{_secs(lat["max_s"])}</td>
<td>{_secs(lat["ttft_p50_s"])}</td><td>{_secs(lat["ttft_p95_s"])}</td></tr></table>
{_histogram(latencies, 2.0)}"""


def render_html(summary: dict[str, Any], records: list[dict[str, Any]]) -> str:
    run = summary.get("run", {})
    cats = summary["categories"]
    ks = summary.get("ks", [1])
    head = "".join(f"<th>pass@{k}</th>" for k in ks)
    rows = []
    for cat, block in cats.items():
        cells = "".join(f"<td>{_pct(block.get(f'pass@{k}'))}</td>" for k in ks)
        rows.append(
            f"<tr><td>{html.escape(cat)}</td><td>{block['items']}</td><td>{block['samples']}</td>{cells}"
            f"<td>{_pct(block['partial'])}</td><td>{_target_text(block.get('target', {}))}</td><td>{_met(block.get('meets_target'))}</td></tr>"
        )
    chart_rows = [
        (cat, float(b.get("pass@1", 0.0)), b.get("target", {}).get("target")) for cat, b in cats.items()
    ]
    reasons = summary.get("failure_reasons", {})
    total_fail = sum(reasons.values()) or 1
    reason_rows = [(code, n / total_fail, None) for code, n in reasons.items()]
    failures = [r for r in records if not r["verdict"]["passed"]]
    reason_table = (
        "<table><tr><th>reason</th><th>count</th></tr>"
        + "".join(f"<tr><td>{html.escape(c)}</td><td>{n}</td></tr>" for c, n in reasons.items())
        + "</table>"
    )
    overall = summary["overall"]
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Triforce eval: {html.escape(str(run.get("suite", "")))}</title>
<style>{_CSS}</style></head><body>
<h1>Triforce evaluation: {html.escape(str(run.get("suite", "")))}</h1>
{_banner(run)}
<p class="meta">backend <code>{html.escape(str(run.get("backend", "")))}</code> · {run.get("items", overall["items"])} items ·
{run.get("samples", 1)} sample(s) per item · pass@1 {_pct(overall.get("pass@1"))} · partial credit {_pct(overall["partial"])}</p>
<h2>Per category against the plan's targets</h2>
<table><tr><th>category</th><th>items</th><th>samples</th>{head}<th>partial</th><th>target</th><th>status</th></tr>{"".join(rows)}</table>
{_bar_chart(chart_rows)}
<p class="meta">Bars: pass@1; black tick: the plan's target.</p>
<h2>By topic</h2>
{_bar_chart([(t, float(b.get("pass@1", 0.0)), None) for t, b in summary.get("topics", {}).items()]) if summary.get("topics") else ""}
{_latency_section(summary, records)}
<h2>Failure reasons</h2>
{_bar_chart(reason_rows) if reason_rows else '<p class="ok">no failures</p>'}
{reason_table if reasons else ""}
<h2>Failing answers ({len(failures)})</h2>
<p class="meta">Grouped by verdict; open a group to see each answer beside its item.</p>
{_failure_groups(failures)}
</body></html>
"""
