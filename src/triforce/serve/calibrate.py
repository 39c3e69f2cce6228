"""Fit the router on labelled requests, calibrate its probabilities, and measure it on held-out ones.

Labelled requests come from three places:
- the dataset itself: every curated sample carries its `task`, and the task names its domain
  (`asm.*` → asm, `gfx.*` → graphics, `compress.*` → compression, `cpp.*` → cpp, `lore.*` /
  `canon.*` → lore, `quest.*` / `narrative.*` / `story.*` → quest, `dialogue.*` → dialogue,
  `doc.*` / `teach.*` → teaching, `cross.*` → cross). `dataset_examples` reads the user turn of
  each sample, splits by the sample's `group` (a routine's samples never straddle the split), and
  keeps at most `per_task` per task and split so one prolific generator cannot drown the rest.
  `data/router_dataset.jsonl` is what the packaged router was fitted on (`tools/refit_router.py`
  rebuilds it from `triforce build` and the bundled refinement seeds, then refits);
- hand-written requests for every domain, phrased the way people ask (`data/router_train.jsonl`;
  `data/router_heldout.jsonl` is a separate set of paraphrases, never fitted on);
- the evaluation suites' prompts (`suite_examples`), measured on, never fitted on.

JSONL rows are `{"text", "domains": [...]}` (an empty list: no domain fits, the MoE path); dataset
rows add `source` and `split`.

The fit: a vocabulary of the words most telling of each domain (log-odds against the rest), then
per domain a logistic regression with L2 (Newton's method, class-balanced) over the regex
features and the vocabulary, then Platt scaling fitted on out-of-fold scores so the probabilities
are calibrated, then the activation threshold with the best routing accuracy out of fold.
Deterministic: the same examples give the same router.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from triforce.errors import InputError
from triforce.fsio import MAX_DATA_BYTES, read_text_bounded, write_text_atomic
from triforce.serve.router import CROSS, Router, RouterConfig, decide, feature_names, featurize, words

# Task prefix -> router domain (first match wins).
TASK_DOMAINS: tuple[tuple[str, str], ...] = (
    ("asm.", "asm"),
    ("gfx.", "graphics"),
    ("graphics.", "graphics"),
    ("compress.", "compression"),
    ("cpp.", "cpp"),
    ("lore.", "lore"),
    ("canon.", "lore"),
    ("quest.", "quest"),
    ("narrative.", "quest"),
    ("story.", "quest"),
    ("dialogue.", "dialogue"),
    ("text.", "dialogue"),
    ("doc.", "teaching"),
    ("teach.", "teaching"),
    ("cross.", CROSS),
)
# Evaluation suite category -> router domain.
SUITE_DOMAINS = {"asm": "asm", "latency": "asm", "graphics": "graphics", "lore": "lore", "quest": "quest",
                 "cross": CROSS, "compression": "compression", "cpp": "cpp", "dialogue": "dialogue",
                 "text": "dialogue"}  # fmt: skip
UNCLEAR = "unclear"  # the confusion matrix's name for "no domain" (MoE)


@dataclass(frozen=True)
class Example:
    text: str
    domains: frozenset[str]
    source: str = "hand-written"
    group: str = ""
    split: str = ""


def domain_for_task(task: str) -> str | None:
    return next((d for prefix, d in TASK_DOMAINS if task.startswith(prefix)), None)


def target(example: Example) -> str:
    """The one name a confusion matrix files an example under."""
    if CROSS in example.domains or len(example.domains) > 1:
        return CROSS
    return next(iter(example.domains)) if example.domains else UNCLEAR


def positive(example: Example, domain: str) -> bool:
    """Is `example` a positive of `domain`'s classifier? Several domains at once count as cross."""
    if domain == CROSS:
        return CROSS in example.domains or len(example.domains) > 1
    return domain in example.domains


# -- reading examples -----------------------------------------------------------------------------


def bundled_examples(split: str) -> list[Example]:
    """`train` or `heldout`: the hand-written requests plus the dataset's rows of that split."""
    hand = _read_packaged(f"router_{split}.jsonl")
    dataset = [ex for ex in _read_packaged("router_dataset.jsonl") if ex.split == split]
    return hand + dataset


def _read_packaged(name: str) -> list[Example]:
    path = resources.files("triforce.serve") / "data" / name
    if not path.is_file():
        return []
    return _parse_examples(path.read_text(encoding="utf-8"), name)


def load_examples(path: str | Path) -> list[Example]:
    p = Path(path)
    try:
        text = read_text_bounded(p, MAX_DATA_BYTES)
    except OSError as exc:
        raise InputError(f"{p}: cannot read labelled examples ({exc.strerror})") from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"{p}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    return _parse_examples(text, str(p))


def _parse_examples(text: str, source: str) -> list[Example]:
    out = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            domains = row["domains"]
            if not isinstance(row["text"], str) or not isinstance(domains, list):
                raise TypeError("text must be a string and domains a list")
            out.append(
                Example(
                    row["text"],
                    frozenset(str(d) for d in domains),
                    str(row.get("source", "hand-written")),
                    str(row.get("group", "")),
                    str(row.get("split", "")),
                )
            )
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise InputError(
                f"{source}:{number}: expected {{'text': str, 'domains': [str]}} ({exc})"
            ) from exc
    return out


def suite_examples() -> list[Example]:
    """The bundled evaluation suites' prompts, labelled by their category: real requests in the
    project's own words, never fitted on."""
    from triforce.evaluate.suite import bundled_suites, load_suite

    out = []
    for name in bundled_suites():
        suite = load_suite(name)
        for item in suite.items:
            # A latency item is an item of another category: its id says which (latency.lore.x).
            kind = item.id.split(".")[1] if item.category == "latency" and "." in item.id else item.category
            domain = SUITE_DOMAINS.get(kind)
            if domain:
                out.append(
                    Example(item.prompt, frozenset({domain}), f"suite:{suite.name}", item.id, "heldout")
                )
    return out


def dataset_examples(paths: list[Path], *, per_task: int = 40, heldout_every: int = 5) -> list[Example]:
    """Labelled requests from curated samples (Sample JSONL files, or folders holding them): the
    user turn, the domain its task names, and the split chosen by the sample's group."""
    from triforce.dataset.sample_io import iter_jsonl
    from triforce.sample import Sample

    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = (
                [path / "samples.jsonl"]
                if (path / "samples.jsonl").is_file()
                else sorted(path.glob("*.jsonl"))
            )
            if not found:
                raise InputError(f"{path}: no samples.jsonl or *.jsonl sample files in this folder")
            files += found
        elif path.is_file():
            files.append(path)
        else:
            raise InputError(f"{path}: no such file or folder")
    buckets: dict[tuple[str, str], list[Example]] = {}
    seen: set[str] = set()
    for file in files:
        for parsed in iter_jsonl(file):
            if not isinstance(parsed, Sample):
                continue  # exported training rows and other JSONL: not curated samples
            domain = domain_for_task(parsed.task)
            text = next((m.content for m in parsed.messages if m.role == "user"), "").strip()
            if domain is None or not text or text in seen:
                continue
            seen.add(text)
            split = "heldout" if _bucket(parsed.group or parsed.id, heldout_every) == 0 else "train"
            buckets.setdefault((parsed.task, split), []).append(
                Example(text, frozenset({domain}), f"dataset:{parsed.task}", parsed.group, split)
            )
    out: list[Example] = []
    for (_task, split), rows in sorted(buckets.items()):
        cap = per_task if split == "train" else max(1, per_task // (heldout_every - 1))
        out += sorted(rows, key=lambda ex: _digest(ex.text))[:cap]
    return out


def write_examples(examples: list[Example], path: str | Path) -> None:
    rows = [
        {
            "text": ex.text,
            "domains": sorted(ex.domains),
            "source": ex.source,
            "group": ex.group,
            "split": ex.split,
        }
        for ex in examples
    ]
    write_text_atomic(Path(path), "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _bucket(key: str, n: int) -> int:
    return int(_digest(key)[:8], 16) % n


# -- measuring ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Accuracy:
    n: int
    route_correct: int  # the answering model (and the route kind) was the expected one
    domains_correct: int  # the active domain set was exactly the labelled one
    errors: tuple[dict[str, Any], ...]
    by_kind: dict[str, tuple[int, int]]  # expected route kind -> (correct, total)
    confusion: dict[str, dict[str, int]]  # expected target -> predicted target -> count
    by_source: dict[str, tuple[int, int]]  # where the examples came from -> (route correct, total)
    ece: float  # expected calibration error of the per-domain probabilities (10 bins)
    brier: float

    @property
    def route_accuracy(self) -> float:
        return self.route_correct / self.n if self.n else 0.0

    @property
    def domain_accuracy(self) -> float:
        return self.domains_correct / self.n if self.n else 0.0

    def per_domain(self) -> dict[str, tuple[int, int]]:
        """Expected target -> (examples placed there, examples)."""
        return {t: (row.get(t, 0), sum(row.values())) for t, row in sorted(self.confusion.items())}

    def to_json(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "route_accuracy": round(self.route_accuracy, 4),
            "domain_set_accuracy": round(self.domain_accuracy, 4),
            "calibration": {"ece": round(self.ece, 4), "brier": round(self.brier, 4)},
            "by_kind": {k: {"correct": c, "n": n} for k, (c, n) in sorted(self.by_kind.items())},
            "per_domain": {t: {"correct": c, "n": n} for t, (c, n) in self.per_domain().items()},
            "by_source": {s: {"correct": c, "n": n} for s, (c, n) in sorted(self.by_source.items())},
            "confusion": self.confusion,
            "errors": list(self.errors),
        }


def expected_route(config: RouterConfig, example: Example) -> tuple[str, str]:
    """(kind, model) the plan's rule gives for the labelled domains."""
    unknown = example.domains - set(config.domains)
    if unknown:
        raise InputError(f"example {example.text[:40]!r}: unknown domains {sorted(unknown)}")
    return decide(sorted(example.domains), config)


def evaluate(router: Router, examples: list[Example]) -> Accuracy:
    cfg = router.config
    route_ok = domains_ok = 0
    errors = []
    by_kind: dict[str, tuple[int, int]] = {}
    by_source: dict[str, tuple[int, int]] = {}
    confusion: dict[str, dict[str, int]] = {}
    pairs: list[tuple[float, float]] = []
    for ex in examples:
        decision = router.route(ex.text)
        want = expected_route(cfg, ex)
        hit = (decision.kind, decision.model) == want
        route_ok += hit
        correct, total = by_kind.get(want[0], (0, 0))
        by_kind[want[0]] = (correct + hit, total + 1)
        source = ex.source.split(":", 1)[0] if ex.source.startswith("suite") else ex.source
        correct, total = by_source.get(source, (0, 0))
        by_source[source] = (correct + hit, total + 1)
        domains_ok += _same_domains(ex.domains, frozenset(decision.domains))
        got = (
            decision.domains[0]
            if decision.kind == "specialist"
            else (CROSS if decision.kind == "unified" else UNCLEAR)
        )
        row = confusion.setdefault(target(ex), {})
        row[got] = row.get(got, 0) + 1
        pairs += [(s.probability, float(positive(ex, s.domain))) for s in decision.scores]
        if not hit:
            errors.append(
                {
                    "text": ex.text[:300],
                    "source": ex.source,
                    "expected": {"kind": want[0], "model": want[1], "domains": sorted(ex.domains)},
                    "got": {
                        "kind": decision.kind,
                        "model": decision.model,
                        "domains": list(decision.domains),
                    },
                }
            )
    ece, brier = _calibration(pairs)
    return Accuracy(
        len(examples), route_ok, domains_ok, tuple(errors), by_kind, confusion, by_source, ece, brier
    )


def _same_domains(labelled: frozenset[str], routed: frozenset[str]) -> bool:
    """Did the router find the labelled domains? A cross-domain request may or may not also
    light `cross` itself; `cross` alone is right for a request labelled `cross`."""
    if labelled == {CROSS}:
        return CROSS in routed
    return routed - {CROSS} == labelled and (len(labelled) > 1 or CROSS not in routed)


def _calibration(pairs: list[tuple[float, float]], bins: int = 10) -> tuple[float, float]:
    if not pairs:
        return 0.0, 0.0
    p = np.array([a for a, _ in pairs])
    y = np.array([b for _, b in pairs])
    index = np.minimum((p * bins).astype(int), bins - 1)
    ece = sum(
        abs(p[index == b].mean() - y[index == b].mean()) * (index == b).sum()
        for b in range(bins)
        if (index == b).any()
    )
    return float(ece / len(p)), float(((p - y) ** 2).mean())


# -- fitting --------------------------------------------------------------------------------------


def choose_vocabulary(examples: list[Example], domains: list[str], per_domain: int = 24) -> tuple[str, ...]:
    """The words most telling of each domain: highest log-odds of appearing in its examples
    rather than the others', seen in at least 3 of them (2 for a domain with few examples)."""
    docs = [set(words(ex.text)) for ex in examples]
    chosen: list[str] = []
    for domain in domains:
        pos = [d for d, ex in zip(docs, examples, strict=True) if positive(ex, domain)]
        neg = [d for d, ex in zip(docs, examples, strict=True) if not positive(ex, domain)]
        if not pos:
            continue
        df_pos: Counter[str] = Counter(w for d in pos for w in d)
        df_neg: Counter[str] = Counter(w for d in neg for w in d)
        least = 3 if len(pos) >= 30 else 2
        scored = sorted(
            (
                -(
                    math.log((df_pos[w] + 0.5) / (len(pos) + 1))
                    - math.log((df_neg[w] + 0.5) / (len(neg) + 1))
                ),
                w,
            )
            for w in df_pos
            if df_pos[w] >= least and len(w) >= 3
        )
        chosen += [w for score, w in scored[:per_domain] if score < 0]
    return tuple(sorted(set(chosen)))


def fit(
    config: RouterConfig,
    examples: list[Example],
    *,
    l2: float = 1.0,
    folds: int = 4,
    vocabulary_per_domain: int = 24,
) -> RouterConfig:
    """New vocabulary, weights, biases and threshold for `config`, fitted on `examples`."""
    if not examples:
        raise InputError("no labelled examples to calibrate on")
    for ex in examples:
        expected_route(config, ex)  # unknown domains are an error, named
    domains = list(config.domains)
    vocabulary = choose_vocabulary(examples, domains, vocabulary_per_domain)
    names = feature_names(config.features, vocabulary, config.evidence)
    column = {name: i for i, name in enumerate(names)}
    x = np.zeros((len(examples), len(names)))
    for i, ex in enumerate(examples):
        for name, value in featurize(ex.text, config.features, vocabulary, config.evidence).items():
            x[i, column[name]] = value
    # Each domain's classifier sees only the features its `uses` allows.
    allowed = {d: np.array([config.domains[d].allows(n) for n in names]) for d in domains}
    y = np.array([[float(positive(ex, d)) for d in domains] for ex in examples])
    fold = np.array([_bucket(ex.group or ex.text, folds) for ex in examples])
    out_of_fold = np.zeros_like(y)
    for k in range(folds):
        train, test = fold != k, fold == k
        for j, domain in enumerate(domains):
            cols = allowed[domain]
            w, b = _logistic(x[train][:, cols], y[train, j], l2)
            out_of_fold[test, j] = x[test][:, cols] @ w + b
    weights: dict[str, dict[str, float]] = {}
    bias: dict[str, float] = {}
    calibrated = np.zeros_like(y)
    for j, domain in enumerate(domains):
        a, c = _platt(out_of_fold[:, j], y[:, j])
        cols = allowed[domain]
        w, b = _logistic(x[:, cols], y[:, j], l2)
        used = [n for n, ok in zip(names, cols, strict=True) if ok]
        weights[domain] = {
            n: round(float(v * a), 3) for n, v in zip(used, w, strict=True) if abs(v * a) >= 5e-4
        }
        bias[domain] = round(float(b * a + c), 3)
        calibrated[:, j] = _sigmoid(a * out_of_fold[:, j] + c)
    expected = [expected_route(config, ex) for ex in examples]

    def route_hits(threshold: float) -> int:
        hits = 0
        for row, want in zip(calibrated, expected, strict=True):
            active = [
                d for d, p in sorted(zip(domains, row, strict=True), key=lambda t: -t[1]) if p >= threshold
            ]
            hits += decide(active, config) == want
        return hits

    # Calibrated probabilities: 0.5 is the natural cut; the search only moves it where routing gains.
    grid = (round(float(t), 3) for t in np.linspace(0.35, 0.75, 17))
    threshold = max(grid, key=lambda t: (route_hits(t), -abs(t - 0.5)))
    raw = dict(config.raw) | {
        "threshold": threshold,
        "vocabulary": list(vocabulary),
        "bias": bias,
        "weights": weights,
    }
    return replace(config, vocabulary=vocabulary, weights=weights, bias=bias, threshold=threshold, raw=raw)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -40, 40)))


def _logistic(x: np.ndarray, y: np.ndarray, l2: float, iterations: int = 30) -> tuple[np.ndarray, float]:
    """Class-balanced logistic regression with an L2 penalty (not on the bias), by Newton's method."""
    n, f = x.shape
    pos = float(y.sum())
    if pos == 0 or pos == n:  # nothing to learn: a constant
        return np.zeros(f), (-4.0 if pos == 0 else 4.0)
    sample = np.where(y > 0, n / (2 * pos), n / (2 * (n - pos)))
    design = np.hstack([x, np.ones((n, 1))])
    penalty = np.full(f + 1, l2)
    penalty[-1] = 0.0
    theta = np.zeros(f + 1)
    for _ in range(iterations):
        p = _sigmoid(design @ theta)
        gradient = design.T @ (sample * (p - y)) + penalty * theta
        hessian = design.T @ (design * (sample * p * (1 - p))[:, None]) + np.diag(penalty + 1e-9)
        step = np.linalg.solve(hessian, gradient)
        theta -= step
        if float(np.abs(step).max()) < 1e-7:
            break
    return theta[:-1], float(theta[-1])


def _platt(score: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """a, c such that sigmoid(a * score + c) is calibrated on these (out-of-fold) scores."""
    if y.sum() == 0 or y.sum() == len(y):
        return 1.0, 0.0
    # Platt's targets keep a perfectly separated fold from driving a to infinity.
    pos, neg = float(y.sum()), float(len(y) - y.sum())
    t = np.where(y > 0, (pos + 1) / (pos + 2), 1 / (neg + 2))
    design = np.stack([score, np.ones_like(score)], axis=1)
    theta = np.array([1.0, 0.0])
    for _ in range(50):
        p = _sigmoid(design @ theta)
        gradient = design.T @ (p - t)
        hessian = design.T @ (design * (p * (1 - p))[:, None]) + np.eye(2) * 1e-9
        step = np.linalg.solve(hessian, gradient)
        theta -= step
        if float(np.abs(step).max()) < 1e-9:
            break
    return float(theta[0]), float(theta[1])


_HEADER = """\
# oracle-council's request router (triforce-sage-plan.md, "Hybrid Deployment Strategy").
# Domains, models and regex features are written by hand; `vocabulary`, `weights`, `bias` and
# `threshold` are fitted by `triforce route --calibrate` (tools/refit_router.py for the packaged
# one): calibrated one-vs-rest logistic regression on data/router_train.jsonl plus the dataset's
# own labelled prompts (data/router_dataset.jsonl). Feature value = log(1 + count) of a regex
# (case-insensitive) or of a vocabulary word (`w:word`) in the request text.
"""


def write_router_config(config: RouterConfig, path: str | Path) -> None:
    """Write `config` (hand-written fields kept, fitted fields replaced) as router.yaml."""
    body = yaml.safe_dump(config.raw, sort_keys=False, allow_unicode=True, width=1000)
    write_text_atomic(Path(path), _HEADER + body)
