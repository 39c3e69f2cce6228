"""What the server serves: registry models and aliases, their upstreams, and how a name resolves.

Kept apart from the HTTP layer so `triforce serve` can print the table it will serve and tests
can check resolution without sockets.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlparse

from triforce.errors import ConfigError
from triforce.serve.router import Router, RouterConfig
from triforce.serve.upstream import Upstream, UpstreamClient, UpstreamError
from triforce.train.registry import ModelEntry, load_registry

Mode = Literal["route", "category", "direct"]

_LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "0.0.0.0", "::", "[::1]"}


@dataclass(frozen=True)
class ServedModel:
    """One name a client may put in `model`."""

    name: str  # what the client sends (a registry name or an alias)
    entry: ModelEntry
    mode: Mode  # route: oracle-council; category: route among members; direct: one upstream
    upstream: Upstream | None  # None: no endpoint configured
    domains: tuple[str, ...] = ()  # category mode: the router domains of its members
    loop: bool = False  # the upstream is this server itself

    @property
    def alias_of(self) -> str | None:
        return self.entry.name if self.name != self.entry.name else None


class Gateway:
    """The registry, the router and the upstream table, checked against each other."""

    def __init__(
        self,
        entries: dict[str, ModelEntry],
        router: Router,
        overrides: dict[str, str] | None = None,
    ) -> None:
        self.entries = entries
        self.router = router
        overrides = dict(overrides or {})
        self.models: dict[str, ServedModel] = {}
        cfg = router.config
        _check_router_models(cfg, entries)
        by_model = {d.model: d.name for d in cfg.domains.values()}
        for entry in entries.values():
            for name in (entry.name, *entry.aliases):
                self.models[name] = self._served(name, entry, cfg, by_model, overrides)
        unknown = set(overrides) - set(self.models)
        if unknown:
            raise ConfigError(
                f"--upstream: unknown model(s) {sorted(unknown)} (known: {', '.join(self.models)})"
            )

    @classmethod
    def from_files(
        cls,
        registry: str | Path | None = None,
        router: RouterConfig | None = None,
        overrides: dict[str, str] | None = None,
    ) -> Gateway:
        return cls(load_registry(registry), Router(router), overrides)

    def _served(
        self,
        name: str,
        entry: ModelEntry,
        cfg: RouterConfig,
        by_model: dict[str, str],
        overrides: dict[str, str],
    ) -> ServedModel:
        # An override given for the name or any alias moves the model itself (all its names).
        url = next((overrides[n] for n in (entry.name, *entry.aliases) if n in overrides), entry.endpoint)
        upstream = Upstream(entry.name, url) if url else None
        if entry.name == cfg.council:
            return ServedModel(name, entry, "route", upstream)
        if entry.kind == "category":
            domains = tuple(by_model[m] for m in entry.members if m in by_model)
            if domains:
                return ServedModel(name, entry, "category", upstream, domains)
        return ServedModel(name, entry, "direct", upstream)

    def resolve(self, name: str) -> ServedModel | None:
        return self.models.get(name)

    def upstream_for(self, model: str) -> Upstream | None:
        served = self.models.get(model)
        return served.upstream if served else None

    def probe(self, client: UpstreamClient) -> dict[str, dict[str, Any]]:
        """Ask every upstream which models it serves (`GET /v1/models`), all at once.

        Per base URL: `ok`, `error`, `serves` (its list) and `missing` (registry models routed
        there that it does not list, e.g. a LoRA module vLLM was not started with)."""
        wanted: dict[str, set[str]] = {}
        for served in self.models.values():
            if served.upstream and not served.loop and served.mode in ("direct", "route"):
                wanted.setdefault(served.upstream.base_url, set()).add(served.upstream.model)

        def one(base: str) -> dict[str, Any]:
            try:
                listed = set(client.served_models(base))
            except UpstreamError as exc:
                return {"ok": False, "error": exc.message, "serves": [], "missing": sorted(wanted[base])}
            return {
                "ok": True,
                "error": None,
                "serves": sorted(listed),
                "missing": sorted(wanted[base] - listed),
            }

        if not wanted:
            return {}
        with ThreadPoolExecutor(max_workers=min(8, len(wanted))) as pool:
            return dict(zip(wanted, pool.map(one, wanted), strict=True))

    def mark_loops(self, host: str, port: int) -> list[ServedModel]:
        """Flag upstreams that point at this server's own address (they would call themselves)."""
        looped = []
        for name, served in list(self.models.items()):
            if served.upstream and _same_address(served.upstream.base_url, host, port):
                self.models[name] = ServedModel(
                    served.name, served.entry, served.mode, served.upstream, served.domains, loop=True
                )
                looped.append(self.models[name])
        return looped


def _check_router_models(cfg: RouterConfig, entries: dict[str, ModelEntry]) -> None:
    names = set(entries) | {a for e in entries.values() for a in e.aliases}
    wanted = [(f"domains.{d.name}.model", d.model) for d in cfg.domains.values()]
    wanted += [("unified", cfg.unified), ("council", cfg.council)]
    for field, model in wanted:
        if model not in names:
            raise ConfigError(
                f"{cfg.source}: {field} names {model!r}, which the model registry does not have"
            )


def _same_address(url: str, host: str, port: int) -> bool:
    parsed = urlparse(url if "://" in url else f"http://{url}")
    their_port = parsed.port or (443 if parsed.scheme == "https" else 80)
    if their_port != port:
        return False
    their_host = (parsed.hostname or "").lower()
    ours = host.lower()
    return their_host == ours or (their_host in _LOCAL_HOSTS and (ours in _LOCAL_HOSTS or ours == ""))


def parse_overrides(items: list[str]) -> dict[str, str]:
    """`NAME=URL` pairs from the command line."""
    out = {}
    for item in items:
        name, sep, url = item.partition("=")
        if not sep or not name.strip() or not url.strip():
            raise ConfigError(f"--upstream {item!r}: expected NAME=URL, e.g. euclid-asm=http://gpu1:8001/v1")
        if not url.strip().startswith(("http://", "https://")):
            raise ConfigError(f"--upstream {item!r}: the URL must start with http:// or https://")
        out[name.strip()] = url.strip()
    return out
