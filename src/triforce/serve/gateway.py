"""What the server serves: registry models and aliases, their upstreams, and how a name resolves.

Kept apart from the HTTP layer so `triforce serve` can print the table it will serve and tests
can check resolution without sockets.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlparse

from triforce.errors import ConfigError
from triforce.serve.router import Router, RouterConfig
from triforce.serve.upstream import Upstream, UpstreamClient, UpstreamError
from triforce.train.registry import ModelEntry, load_registry

Mode = Literal["route", "category", "direct"]

# The API key for every upstream whose registry entry names no `api_key_env` of its own.
DEFAULT_KEY_ENV = "TRIFORCE_UPSTREAM_API_KEY"

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
        by_model: dict[str, list[str]] = {}
        for d in cfg.domains.values():
            by_model.setdefault(d.model, []).append(d.name)
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
        by_model: dict[str, list[str]],
        overrides: dict[str, str],
    ) -> ServedModel:
        # An override given for the name or any alias moves the model itself (all its names).
        url = next((overrides[n] for n in (entry.name, *entry.aliases) if n in overrides), entry.endpoint)
        upstream = Upstream(entry.name, url, api_key_for(entry)) if url else None
        if entry.name == cfg.council:
            return ServedModel(name, entry, "route", upstream)
        if entry.kind == "category":
            domains = tuple(d for m in entry.members for d in by_model.get(m, []))
            if domains:
                return ServedModel(name, entry, "category", upstream, domains)
        return ServedModel(name, entry, "direct", upstream)

    def resolve(self, name: str) -> ServedModel | None:
        return self.models.get(name)

    def upstream_for(self, model: str) -> Upstream | None:
        served = self.models.get(model)
        return served.upstream if served else None

    def fallbacks(self, model: str) -> list[str]:
        """Who answers when `model` cannot, in order (registry `fallback`; `oracle-council` is MoE)."""
        served = self.models.get(model)
        if served is None:
            return []
        return [name for name in served.entry.fallback if name in self.models and name != served.entry.name]

    def domains_of(self, model: str) -> tuple[str, ...]:
        """The router domains a model answers for (triforce-sage and the council: all of them)."""
        served = self.models.get(model)
        if served is None:
            return ()
        cfg = self.router.config
        name = served.entry.name
        if name in (cfg.unified, cfg.council):
            return tuple(cfg.domains)
        if served.mode == "category":
            return served.domains
        return tuple(d.name for d in cfg.domains.values() if d.model == name)

    async def probe(self, client: UpstreamClient) -> dict[str, dict[str, Any]]:
        """Ask every upstream which models it serves (`GET /v1/models`), all at once.

        Per base URL (an operator's view: `/health?upstreams=1` and `serve --check`): `ok`,
        `error`, `serves` (its list) and `missing` (registry models routed there that it does not
        list, e.g. a LoRA module vLLM was not started with)."""
        wanted: dict[str, set[str]] = {}
        ask: dict[str, Upstream] = {}
        for served in self.models.values():
            if served.upstream and not served.loop and served.mode in ("direct", "route"):
                wanted.setdefault(served.upstream.base_url, set()).add(served.upstream.model)
                ask.setdefault(served.upstream.base_url, served.upstream)

        async def one(base: str) -> dict[str, Any]:
            try:
                listed = set(await client.served_models(ask[base]))
            except UpstreamError as exc:
                return {"ok": False, "error": exc.message, "serves": [], "missing": sorted(wanted[base])}
            return {
                "ok": True,
                "error": None,
                "serves": sorted(listed),
                "missing": sorted(wanted[base] - listed),
            }

        results = await asyncio.gather(*(one(base) for base in wanted))
        return dict(zip(wanted, results, strict=True))

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


def api_key_for(entry: ModelEntry) -> str | None:
    """The entry's upstream API key, read from the environment variable its registry entry names
    (or $TRIFORCE_UPSTREAM_API_KEY); keys never live in the registry file itself."""
    if entry.api_key_env:
        key = os.environ.get(entry.api_key_env)
        if not key:
            raise ConfigError(
                f"models.{entry.name}.api_key_env names ${entry.api_key_env}, which is not set "
                "(export it before starting the gateway)"
            )
        return key
    return os.environ.get(DEFAULT_KEY_ENV) or None


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
