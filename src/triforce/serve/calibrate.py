"""Fit the router's weights on labelled requests and measure it on held-out ones.

Labelled data: JSONL, one `{"text": ..., "domains": [...]}` per line; an empty `domains` list
marks a request no domain fits (the MoE path). `data/router_train.jsonl` is what the packaged
weights were fitted on; `data/router_heldout.jsonl` was written separately and is never fitted on,
so its accuracy is the number to quote.

The fit is one-vs-rest logistic regression with L2 (numpy, full-batch gradient descent: the data
is small), then the activation threshold that gives the best routing accuracy on the training set.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from triforce.errors import InputError
from triforce.fsio import MAX_DATA_BYTES, read_text_bounded, write_text_atomic
from triforce.serve.router import Router, RouterConfig, featurize


@dataclass(frozen=True)
class Example:
    text: str
    domains: frozenset[str]


@dataclass(frozen=True)
class Accuracy:
    n: int
    route_correct: int  # the answering model (and the route kind) was the expected one
    domains_correct: int  # the active domain set was exactly the labelled one
    errors: tuple[dict[str, Any], ...]
    by_kind: dict[str, tuple[int, int]]  # expected route kind -> (correct, total)

    @property
    def route_accuracy(self) -> float:
        return self.route_correct / self.n if self.n else 0.0

    @property
    def domain_accuracy(self) -> float:
        return self.domains_correct / self.n if self.n else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "route_accuracy": round(self.route_accuracy, 4),
            "domain_set_accuracy": round(self.domain_accuracy, 4),
            "by_kind": {k: {"correct": c, "n": n} for k, (c, n) in sorted(self.by_kind.items())},
            "errors": list(self.errors),
        }


def bundled_examples(split: str) -> list[Example]:
    """`train` or `heldout`: the labelled requests shipped with the package."""
    path = resources.files("triforce.serve") / "data" / f"router_{split}.jsonl"
    return _parse_examples(path.read_text(encoding="utf-8"), f"router_{split}.jsonl")


def load_examples(path: str | Path) -> list[Example]:
    p = Path(path)
    try:
        text = read_text_bounded(p, MAX_DATA_BYTES)
    except OSError as exc:
        raise InputError(f"{p}: cannot read labelled examples ({exc.strerror})") from exc
    return _parse_examples(text, str(p))


def _parse_examples(text: str, source: str) -> list[Example]:
    out = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            out.append(Example(str(row["text"]), frozenset(str(d) for d in row["domains"])))
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise InputError(
                f"{source}:{number}: expected {{'text': str, 'domains': [str]}} ({exc})"
            ) from exc
    return out


def expected_route(config: RouterConfig, example: Example) -> tuple[str, str]:
    """(kind, model) the plan's rule gives for the labelled domains."""
    unknown = example.domains - set(config.domains)
    if unknown:
        raise InputError(f"example {example.text[:40]!r}: unknown domains {sorted(unknown)}")
    if len(example.domains) == 1:
        return "specialist", config.domains[next(iter(example.domains))].model
    if len(example.domains) > 1:
        return "unified", config.unified
    return "moe", config.council


def evaluate(router: Router, examples: list[Example]) -> Accuracy:
    route_ok = domains_ok = 0
    errors = []
    by_kind: dict[str, tuple[int, int]] = {}
    for ex in examples:
        decision = router.route(ex.text)
        want = expected_route(router.config, ex)
        hit = (decision.kind, decision.model) == want
        route_ok += hit
        correct, total = by_kind.get(want[0], (0, 0))
        by_kind[want[0]] = (correct + hit, total + 1)
        domains_ok += frozenset(decision.domains) == ex.domains
        if not hit:
            errors.append(
                {
                    "text": ex.text,
                    "expected": {"kind": want[0], "model": want[1], "domains": sorted(ex.domains)},
                    "got": {
                        "kind": decision.kind,
                        "model": decision.model,
                        "domains": list(decision.domains),
                    },
                }
            )
    return Accuracy(len(examples), route_ok, domains_ok, tuple(errors), by_kind)


def fit(
    config: RouterConfig, examples: list[Example], *, l2: float = 0.02, steps: int = 4000, rate: float = 0.5
) -> RouterConfig:
    """New weights, biases and threshold for `config`, fitted on `examples`."""
    if not examples:
        raise InputError("no labelled examples to calibrate on")
    names = list(config.features)
    x = np.array([[featurize(ex.text, config.features)[f] for f in names] for ex in examples])
    weights: dict[str, dict[str, float]] = {}
    bias: dict[str, float] = {}
    for domain in config.domains:
        y = np.array([1.0 if domain in ex.domains else 0.0 for ex in examples])
        w, b = _logistic(x, y, l2=l2, steps=steps, rate=rate)
        weights[domain] = {f: round(float(v), 3) for f, v in zip(names, w, strict=True) if abs(v) >= 5e-4}
        bias[domain] = round(float(b), 3)
    fitted = replace(
        config,
        weights={d: {f: weights[d].get(f, 0.0) for f in names} for d in config.domains},
        bias=bias,
    )
    best = max(
        (round(float(t), 3) for t in np.linspace(0.2, 0.8, 25)),
        key=lambda t: (
            evaluate(Router(replace(fitted, threshold=t)), examples).route_correct,
            -abs(t - 0.5),
        ),
    )
    raw = dict(config.raw) | {"threshold": best, "bias": bias, "weights": weights}
    return replace(fitted, threshold=best, raw=raw)


def _logistic(
    x: np.ndarray, y: np.ndarray, *, l2: float, steps: int, rate: float
) -> tuple[np.ndarray, float]:
    # Balanced classes: the positives of one domain are a small minority of all requests.
    pos = max(float(y.sum()), 1.0)
    neg = max(float(len(y) - y.sum()), 1.0)
    sample_w = np.where(y > 0, len(y) / (2 * pos), len(y) / (2 * neg))
    w = np.zeros(x.shape[1])
    b = 0.0
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(x @ w + b)))
        g = (p - y) * sample_w
        w -= rate * (x.T @ g / len(y) + l2 * w)
        b -= rate * float(g.mean())
    return w, b


_HEADER = """\
# oracle-council's request router (triforce-sage-plan.md, "Hybrid Deployment Strategy").
# Patterns and domains are written by hand; `weights`, `bias` and `threshold` are fitted by
# `triforce route --calibrate` (one-vs-rest logistic regression on data/router_train.jsonl).
# Feature value = log(1 + number of matches) of a case-insensitive regex on the request text.
"""


def write_router_config(config: RouterConfig, path: str | Path) -> None:
    """Write `config` (hand-written fields kept, fitted fields replaced) as router.yaml."""
    body = yaml.safe_dump(config.raw, sort_keys=False, allow_unicode=True, width=1000)
    write_text_atomic(Path(path), _HEADER + body)
