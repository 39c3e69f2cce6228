"""oracle-council's router: which model should answer a chat request.

The plan's hybrid strategy ("Hybrid Deployment Strategy" in triforce-sage-plan.md):
a request in one domain goes to that domain's specialist, a request that needs several domains
goes to triforce-sage, and a request the router cannot place goes to the MoE path (fan out to the
likeliest specialists, then one synthesis call).

The scorer is a per-domain logistic model over two kinds of features, each log(1 + count):
hand-written regex patterns (`features` in `router.yaml`) and a vocabulary of words (`w:word`)
chosen by the fit as the most telling of each domain. Weights, biases, vocabulary and threshold
are fitted on labelled requests (`triforce route --calibrate`, see `calibrate.py`), and the
probabilities are calibrated (Platt scaling on held-out folds), so "p=0.8" means right about
80% of the time. A domain is *active* when its probability reaches the threshold. The `cross`
domain (requests that need several domains at once, "design ... then implement") and any two
active domains both send a request to the unified model. The reasons the router gives are the
features that pushed each probability up or down.
"""

from __future__ import annotations

import fnmatch
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
CROSS = "cross"  # the router domain of requests that need several domains at once
# The router reads this much of a request: where it is going is said at the start; past that is
# mostly pasted code, and matching 25 patterns over it would cost milliseconds per request.
MAX_CHARS = 3000
_CAPITAL = re.compile(r"(?<!\\)[A-Z]")
_WORD = re.compile(r"[a-z][a-z0-9_]*(?:\+\+)?")


@dataclass(frozen=True)
class Domain:
    name: str
    model: str
    description: str = ""
    # Feature-name patterns this domain's classifier may use (fnmatch); empty: all of them.
    uses: tuple[str, ...] = ()

    def allows(self, feature: str) -> bool:
        return not self.uses or any(fnmatch.fnmatchcase(feature, p) for p in self.uses)


@dataclass(frozen=True)
class RouterConfig:
    """Everything `router.yaml` holds, validated; `raw` is the file's mapping (for re-writing)."""

    domains: dict[str, Domain]
    features: dict[str, re.Pattern[str]]
    # Groups of features that are evidence of one kind of content; `both:a+b` = min(sum a, sum b)
    # says "both kinds at once" (what a cross-domain request has and a linear model cannot see).
    evidence: dict[str, tuple[str, ...]]
    vocabulary: tuple[str, ...]  # fitted: words whose counts are features `w:<word>`
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


FITTED = ("vocabulary", "weights", "bias", "threshold")


def load_router_config(path: str | Path | None = None, *, unfitted: bool = False) -> RouterConfig:
    """Read `router.yaml` (the packaged one unless `path` is given); errors name the field.
    `unfitted`: only the hand-written part (what `fit` starts from after the features changed)."""
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
    if unfitted:
        raw = {k: v for k, v in raw.items() if k not in FITTED}
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
        uses = body.get("uses") or []
        if not isinstance(uses, list):
            raise ConfigError(f"{source}: domains.{name}.uses must be a list of feature patterns")
        domains[name] = Domain(name, body["model"], str(body.get("description", "")), tuple(map(str, uses)))
    if not domains:
        raise ConfigError(f"{source}: domains is empty")
    features: dict[str, re.Pattern[str]] = {}
    for name, pattern in _need(raw, "features", dict, source).items():
        # Text is lowercased once before matching; a pattern with capitals (outside escapes such
        # as \S) keeps case-insensitive matching, the slower kind.
        flags = re.MULTILINE | (re.IGNORECASE if _CAPITAL.search(str(pattern)) else 0)
        try:
            features[name] = re.compile(str(pattern), flags)
        except re.error as exc:
            raise ConfigError(f"{source}: features.{name}: bad regex ({exc})") from exc
    evidence: dict[str, tuple[str, ...]] = {}
    for group, members in (raw.get("evidence") or {}).items():
        missing = [m for m in members or [] if m not in features]
        if not isinstance(members, list) or not members or missing:
            raise ConfigError(f"{source}: evidence.{group} must list features (unknown: {missing})")
        evidence[str(group)] = tuple(members)
    vocabulary = tuple(str(w) for w in raw.get("vocabulary") or ())
    names = feature_names(features, vocabulary, evidence)
    weights: dict[str, dict[str, float]] = {}
    raw_weights = raw.get("weights") or {}
    raw_bias = raw.get("bias") or {}
    for d in domains:
        row = raw_weights.get(d) or {}
        unknown = set(row) - set(names)
        if unknown:
            raise ConfigError(f"{source}: weights.{d}: unknown features {sorted(unknown)}")
        weights[d] = {f: float(row[f]) for f in names if row.get(f)}
    bias = {d: float(raw_bias.get(d, 0.0)) for d in domains}
    threshold = float(raw.get("threshold", 0.5))
    if not 0.0 < threshold < 1.0:
        raise ConfigError(f"{source}: threshold must be between 0 and 1, got {threshold}")
    moe = raw.get("moe") or {}
    synthesis = raw.get("synthesis") or {}
    return RouterConfig(
        domains=domains,
        features=features,
        evidence=evidence,
        vocabulary=vocabulary,
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


def feature_names(
    features: dict[str, re.Pattern[str]],
    vocabulary: tuple[str, ...],
    evidence: dict[str, tuple[str, ...]] | None = None,
) -> list[str]:
    groups = sorted(evidence or {})  # names independent of the order the file lists them in
    pairs = [f"both:{a}+{b}" for i, a in enumerate(groups) for b in groups[i + 1 :]]
    return [*features, *pairs, *(f"w:{w}" for w in vocabulary)]


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def featurize(
    text: str,
    features: dict[str, re.Pattern[str]],
    vocabulary: tuple[str, ...] = (),
    evidence: dict[str, tuple[str, ...]] | None = None,
) -> dict[str, float]:
    """log(1 + matches) per feature: the first match counts most, repeats add less and less.
    Only features that occur are returned (absent ones are 0). Reads the first `MAX_CHARS`."""
    text = text[:MAX_CHARS].lower()
    out = {name: math.log1p(n) for name, pattern in features.items() if (n := len(pattern.findall(text)))}
    if evidence:
        sums = {g: sum(out.get(f, 0.0) for f in members) for g, members in evidence.items()}
        groups = sorted(evidence)
        for i, a in enumerate(groups):
            for b in groups[i + 1 :]:
                if sums[a] and sums[b]:
                    out[f"both:{a}+{b}"] = min(sums[a], sums[b])
    if vocabulary:
        counts: dict[str, int] = {}
        known = set(vocabulary)
        for word in words(text):
            if word in known:
                counts[word] = counts.get(word, 0) + 1
        out.update({f"w:{w}": math.log1p(n) for w, n in counts.items()})
    return out


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
        x = featurize(text, cfg.features, cfg.vocabulary, cfg.evidence)
        out = []
        for d in cfg.domains:
            row = cfg.weights[d]
            parts = [(f, row[f] * v) for f, v in x.items() if row.get(f)]
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
        kind, model = decide(active, cfg)
        if kind == "specialist":
            reasons.append(f"pure {active[0]} request → specialist {model}")
            return RouteDecision(
                "specialist", "pure", model, active, (), scores, cfg.threshold, tuple(reasons)
            )
        if kind == "unified":
            reasons.append(f"cross-domain ({' + '.join(active)}) → unified {cfg.unified}")
            return RouteDecision(
                "unified", "cross", cfg.unified, active, (), scores, cfg.threshold, tuple(reasons)
            )
        experts = self.fan_out(scores)
        reasons.append(
            f"no domain reached {cfg.threshold:.2f} → MoE via {cfg.council}: "
            + ", ".join(f"{m} ({d})" for d, m in experts)
            + ", then synthesis"
        )
        return RouteDecision(
            "moe", "unclear", cfg.council, (), experts, scores, cfg.threshold, tuple(reasons)
        )

    def fan_out(
        self, scores: tuple[DomainScore, ...], exclude: frozenset[str] = frozenset()
    ) -> tuple[tuple[str, str], ...]:
        """The MoE experts for these scores: the likeliest domains above `moe.floor` (2-3 of them),
        one specialist per model, leaving out models in `exclude` (those that just failed)."""
        cfg = self.config
        seen: set[str] = set(exclude) | {cfg.unified, cfg.council}
        ranked = []
        for s in scores:
            model = cfg.domains[s.domain].model
            if model not in seen:
                seen.add(model)
                ranked.append((s, model))
        chosen = [(s, m) for s, m in ranked if s.probability >= cfg.moe_floor][: cfg.moe_max_experts]
        if len(chosen) < cfg.moe_min_experts:
            chosen = ranked[: max(cfg.moe_min_experts, len(chosen))]
        return tuple((s.domain, m) for s, m in chosen)

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


def decide(active: tuple[str, ...] | list[str], cfg: RouterConfig) -> tuple[RouteKind, str]:
    """The plan's rule on the active domains: one → its specialist; `cross` or several → the
    unified model; none → MoE through the council."""
    if len(active) == 1 and active[0] != CROSS:
        return "specialist", cfg.domains[active[0]].model
    if active:
        return "unified", cfg.unified
    return "moe", cfg.council


def _explain(score: DomainScore, threshold: float) -> str:
    mark = "≥" if score.probability >= threshold else "<"
    top = ", ".join(f"{f} {c:+.2f}" for f, c in score.contributions[:3]) or "no feature matched"
    return f"{score.domain} p={score.probability:.2f} {mark} {threshold:.2f} ({top})"
