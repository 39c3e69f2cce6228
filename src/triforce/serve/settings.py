"""The gateway's settings: everything a worker process needs to build its app, and nothing else.

`triforce serve --workers N` starts N processes that share only this (passed as JSON in an
environment variable): each builds its own registry view, router, connection pool, breakers,
admission queue and metrics, so any load balancer can spread callers over workers or machines.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field

SETTINGS_ENV = "TRIFORCE_SERVE_SETTINGS"


@dataclass(frozen=True)
class ServeOptions:
    timeout_s: float = 120.0  # per upstream call (read; between chunks when streaming); connect: 5 s
    retries: int = 1  # safe retries per upstream call (nothing sent yet; never after stream bytes)
    max_body_bytes: int = 1 << 20
    max_answer_bytes: int = 8 << 20  # an upstream answer (body or whole stream) is cut past this
    body_timeout_s: float = 30.0  # a request body must arrive within this
    max_in_flight: int = 64  # requests answered at once per worker
    max_queue: int = 256  # requests waiting for a slot per worker; more get 503
    queue_timeout_s: float = 10.0  # the longest a request waits for a slot before 503
    api_key: str | None = field(default=None, repr=False)  # callers must send `Authorization: Bearer`
    breaker_failures: int = 5  # consecutive upstream failures that open its breaker
    breaker_cooldown_s: float = 30.0  # open breaker: refuse for this long, then let one probe through
    fallback: bool = True  # follow the registry's fallback chains when a model cannot answer
    verify: bool = False  # verify every checkable answer (a request may say otherwise)
    max_escalations: int = 1  # re-asks of the unified model after a failed check
    verify_parallel: int = 2  # checks run at once per worker (asar + execution in threads)
    cors_origins: tuple[str, ...] = ()  # browser origins allowed to call the API ("*" = any)
    log_bodies: bool = False  # put request messages and answers into the access log
    access_log: bool = True
    graceful_s: float = 30.0  # on SIGTERM/SIGINT: how long in-flight requests may take to finish


@dataclass(frozen=True)
class ServeSettings:
    options: ServeOptions = field(default_factory=ServeOptions)
    registry: str | None = None
    router: str | None = None
    overrides: dict[str, str] = field(default_factory=dict)
    host: str = "127.0.0.1"
    port: int = 8080

    def to_env(self) -> str:
        data = asdict(self)
        data["options"]["cors_origins"] = list(self.options.cors_origins)
        return json.dumps(data)

    @classmethod
    def from_env(cls) -> ServeSettings:
        data = json.loads(os.environ[SETTINGS_ENV])
        options = data.pop("options")
        options["cors_origins"] = tuple(options.get("cors_origins") or ())
        return cls(options=ServeOptions(**options), **data)
