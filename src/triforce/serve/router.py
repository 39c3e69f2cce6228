"""oracle-council's router: which model should answer a chat request.

The plan's hybrid strategy ("Hybrid Deployment Strategy" in triforce-sage-plan.md):
a request in one domain goes to that domain's specialist, a request that needs several domains
goes to triforce-sage, and a request the router cannot place goes to the MoE path (fan out to the
likeliest specialists, then one synthesis call).

The scorer is a per-domain logistic model over regex features: each feature is
log(1 + matches) of a pattern in `router.yaml`, each domain has a weight per feature and a bias,
all fitted on labelled requests (`triforce route --calibrate`). A domain is *active* when its
probability reaches the calibrated threshold. Probabilities, not keyword counts, decide, so the
reasons the router gives are the features that pushed each probability up or down.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml

from triforce.errors import ConfigError
from triforce.fsio import MAX_CONFIG_BYTES, read_text_bounded

RouteKind = Literal["specialist", "unified", "moe"]
Scope = Literal["pure", "cross", "unclear"]


@dataclass(frozen=True)
class Domain:
    name: str
    model: str
    description: str = ""


@dataclass(frozen=True)
class RouterConfig:
    """Everything `router.yaml` holds, validated; `raw` is the file's mapping (for re-writing)."""

    domains: dict[str, Domain]
    features: dict[str, re.Pattern[str]]
    weights: dict[str, dict[str, float]]
    bias: dict[str, float]
    threshold: float
    unified: str
    council: str
    moe_floor: float
    moe_min_experts: int
    moe_max_experts: int
    synthesis_system: str
    expert_heading: str
    source: str
    raw: dict[str, Any] = field(repr=False)


@dataclass(frozen=True)
class DomainScore:
    domain: str
    probability: float
    logit: float
    contributions: tuple[tuple[str, float], ...]  # (feature, weight x value), largest magnitude first


@dataclass(frozen=True)
class RouteDecision:
    """The router's verdict and why: exposed in responses (`x_triforce`) and by `triforce route`."""

    kind: RouteKind
    scope: Scope
    model: str  # the model that answers: a specialist, triforce-sage or oracle-council (MoE)
    domains: tuple[str, ...]  # domains at or above the threshold, likeliest first
    experts: tuple[tuple[str, str], ...]  # MoE fan-out: (domain, specialist); empty otherwise
    scores: tuple[DomainScore, ...]  # every domain, likeliest first
    threshold: float
    reasons: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "scope": self.scope,
            "model": self.model,
            "domains": list(self.domains),
            "experts": [{"domain": d, "model": m} for d, m in self.experts],
            "threshold": round(self.threshold, 4),
            "scores": {s.domain: round(s.probability, 4) for s in self.scores},
            "reasons": list(self.reasons),
        }


def load_router_config(path: str | Path | None = None) -> RouterConfig:
    """Read `router.yaml` (the packaged one unless `path` is given); errors name the field."""
    if path is None:
        source = "router.yaml (packaged)"
        text = (resources.files("triforce.serve") / "router.yaml").read_text(encoding="utf-8")
    else:
        source = str(path)
        try:
            text = read_text_bounded(Path(path), MAX_CONFIG_BYTES)
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read router config ({exc.strerror})") from exc
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source}: not valid YAML ({exc})") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: expected a mapping at the top level")
    return _parse_config(raw, source)


def _need(raw: dict[str, Any], key: str, kind: type, source: str) -> Any:
    value = raw.get(key)
    if not isinstance(value, kind):
        raise ConfigError(f"{source}: field {key!r} must be a {kind.__name__}")
    return value


def _parse_config(raw: dict[str, Any], source: str) -> RouterConfig:
    domains: dict[str, Domain] = {}
    for name, body in _need(raw, "domains", dict, source).items():
        if not isinstance(body, dict) or not isinstance(body.get("model"), str):
            raise ConfigError(f"{source}: domains.{name}.model must be a model name")
        domains[name] = Domain(name, body["model"], str(body.get("description", "")))
    if not domains:
        raise ConfigError(f"{source}: domains is empty")
    features: dict[str, re.Pattern[str]] = {}
    for name, pattern in _need(raw, "features", dict, source).items():
        try:
            features[name] = re.compile(str(pattern), re.IGNORECASE | re.MULTILINE)
        except re.error as exc:
            raise ConfigError(f"{source}: features.{name}: bad regex ({exc})") from exc
    weights: dict[str, dict[str, float]] = {}
    raw_weights = raw.get("weights") or {}
    raw_bias = raw.get("bias") or {}
    for d in domains:
        row = raw_weights.get(d) or {}
        unknown = set(row) - set(features)
        if unknown:
            raise ConfigError(f"{source}: weights.{d}: unknown features {sorted(unknown)}")
        weights[d] = {f: float(row.get(f, 0.0)) for f in features}
    bias = {d: float(raw_bias.get(d, 0.0)) for d in domains}
    threshold = float(raw.get("threshold", 0.5))
    if not 0.0 < threshold < 1.0:
        raise ConfigError(f"{source}: threshold must be between 0 and 1, got {threshold}")
    moe = raw.get("moe") or {}
    synthesis = raw.get("synthesis") or {}
    return RouterConfig(
        domains=domains,
        features=features,
        weights=weights,
        bias=bias,
        threshold=threshold,
        unified=str(_need(raw, "unified", str, source)),
        council=str(_need(raw, "council", str, source)),
        moe_floor=float(moe.get("floor", 0.15)),
        moe_min_experts=int(moe.get("min_experts", 2)),
        moe_max_experts=int(moe.get("max_experts", 3)),
        synthesis_system=str(synthesis.get("system", "Merge the specialists' answers into one answer.")),
        expert_heading=str(synthesis.get("expert_heading", "### {model} ({domain})")),
        source=source,
        raw=raw,
    )


def featurize(text: str, features: dict[str, re.Pattern[str]]) -> dict[str, float]:
    """log(1 + matches) per feature: the first match counts most, repeats add less and less."""
    return {name: math.log1p(len(pattern.findall(text))) for name, pattern in features.items()}


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def request_text(messages: list[dict[str, Any]]) -> str:
    """The text the router reads: the last user turn (text parts of a content list included)."""
    for message in reversed(messages):
        if message.get("role") != "user":
            continue
        content = message.get("content")
        if isinstance(content, str):
            return content
        if isinstance(content, list):
            return "\n".join(
                str(part.get("text", ""))
                for part in content
                if isinstance(part, dict) and part.get("type") == "text"
            )
    return ""


class Router:
    """Scores a request per domain and applies the plan's decision rule."""

    def __init__(self, config: RouterConfig | None = None) -> None:
        self.config = config or load_router_config()

    def scores(self, text: str) -> tuple[DomainScore, ...]:
        cfg = self.config
        x = featurize(text, cfg.features)
        out = []
        for d in cfg.domains:
            parts = [(f, cfg.weights[d][f] * v) for f, v in x.items() if v and cfg.weights[d][f]]
            logit = cfg.bias[d] + sum(c for _, c in parts)
            parts.sort(key=lambda p: -abs(p[1]))
            out.append(DomainScore(d, _sigmoid(logit), logit, tuple(parts)))
        out.sort(key=lambda s: -s.probability)
        return tuple(out)

    def route(self, text: str, *, only: list[str] | None = None) -> RouteDecision:
        """Decide for `text`; `only` limits the candidate domains (a category's members)."""
        cfg = self.config
        scores = tuple(s for s in self.scores(text) if only is None or s.domain in only)
        if not scores:
            raise ConfigError(f"{cfg.source}: no router domain among {only}")
        active = tuple(s.domain for s in scores if s.probability >= cfg.threshold)
        reasons = [_explain(s, cfg.threshold) for s in scores]
        if only is not None:
            # A category was asked for by name: its likeliest member answers.
            best = scores[0]
            model = cfg.domains[best.domain].model
            reasons.append(f"category restricted to {', '.join(only)}: {best.domain} is likeliest → {model}")
            return RouteDecision(
                "specialist", "pure", model, (best.domain,), (), scores, cfg.threshold, tuple(reasons)
            )
        if len(active) == 1:
            model = cfg.domains[active[0]].model
            reasons.append(f"pure {active[0]} request → specialist {model}")
            return RouteDecision(
                "specialist", "pure", model, active, (), scores, cfg.threshold, tuple(reasons)
            )
        if len(active) > 1:
            reasons.append(f"cross-domain ({' + '.join(active)}) → unified {cfg.unified}")
            return RouteDecision(
                "unified", "cross", cfg.unified, active, (), scores, cfg.threshold, tuple(reasons)
            )
        chosen = [s for s in scores if s.probability >= cfg.moe_floor][: cfg.moe_max_experts]
        if len(chosen) < cfg.moe_min_experts:
            chosen = list(scores[: max(cfg.moe_min_experts, len(chosen))])
        experts = tuple((s.domain, cfg.domains[s.domain].model) for s in chosen)
        reasons.append(
            f"no domain reached {cfg.threshold:.2f} → MoE via {cfg.council}: "
            + ", ".join(f"{m} ({d})" for d, m in experts)
            + ", then synthesis"
        )
        return RouteDecision(
            "moe", "unclear", cfg.council, (), experts, scores, cfg.threshold, tuple(reasons)
        )

    def route_messages(
        self, messages: list[dict[str, Any]], *, only: list[str] | None = None
    ) -> RouteDecision:
        """Route on the last user turn; a follow-up too short to place ("now make it faster")
        is routed on all the conversation's user turns instead of falling to MoE."""
        decision = self.route(request_text(messages), only=only)
        if decision.kind != "moe":
            return decision
        turns = [request_text([m]) for m in messages if m.get("role") == "user"]
        if len(turns) < 2:
            return decision
        context = self.route("\n".join(turns), only=only)
        if context.kind == "moe":
            return decision
        note = f"last turn unclear; routed on all {len(turns)} user turns"
        return RouteDecision(
            context.kind,
            context.scope,
            context.model,
            context.domains,
            context.experts,
            context.scores,
            context.threshold,
            (*context.reasons[:-1], note, context.reasons[-1]),
        )


def _explain(score: DomainScore, threshold: float) -> str:
    mark = "≥" if score.probability >= threshold else "<"
    top = ", ".join(f"{f} {c:+.2f}" for f, c in score.contributions[:3]) or "no feature matched"
    return f"{score.domain} p={score.probability:.2f} {mark} {threshold:.2f} ({top})"
