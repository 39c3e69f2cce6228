"""A circuit breaker per upstream: stop sending requests to a server that keeps failing.

closed     requests flow; `failures` consecutive failures open it
open       requests are refused at once (the gateway goes to the model's fallback) for `cooldown_s`
half-open  after the cool-down one request is let through as a probe: success closes the breaker,
           failure opens it for another cool-down; other requests are refused while it is out

What counts as a failure: no connection, a timeout, HTTP 5xx, a response that is not the protocol.
A 4xx is the caller's fault and counts as a success (the server is up and answering). One breaker
per worker process (nothing is shared between workers), keyed by the upstream's base URL, so models
served by one vLLM process open and close together.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

State = Literal["closed", "open", "half-open"]
STATE_CODE: dict[State, int] = {"closed": 0, "half-open": 1, "open": 2}  # the Prometheus gauge value


@dataclass
class BreakerPolicy:
    failures: int = 5  # consecutive failures that open the breaker
    cooldown_s: float = 30.0  # how long an open breaker refuses before letting a probe through


class Breaker:
    def __init__(self, name: str, policy: BreakerPolicy, clock: Callable[[], float] = time.monotonic) -> None:
        self.name = name
        self.policy = policy
        self._clock = clock
        self._state: State = "closed"
        self.consecutive = 0
        self.opened_at = 0.0
        self.probe_out = False
        self.total_failures = 0
        self.times_opened = 0
        self.last_error = ""
        self.on_change: Callable[[Breaker], None] | None = None

    @property
    def state(self) -> State:
        if self._state == "open" and self._clock() - self.opened_at >= self.policy.cooldown_s:
            self._set("half-open")
        return self._state

    def allow(self) -> bool:
        """May a request go to this upstream now? In half-open, only the one probe may."""
        state = self.state
        if state == "closed":
            return True
        if state == "half-open" and not self.probe_out:
            self.probe_out = True
            return True
        return False

    def retry_after_s(self) -> float:
        if self._state != "open":
            return 1.0
        return max(1.0, self.policy.cooldown_s - (self._clock() - self.opened_at))

    def success(self) -> None:
        self.consecutive = 0
        self.probe_out = False
        if self._state != "closed":
            self._set("closed")

    def failure(self, error: str) -> None:
        self.consecutive += 1
        self.total_failures += 1
        self.last_error = error
        was_probe = self.probe_out
        self.probe_out = False
        if was_probe or (self._state == "closed" and self.consecutive >= self.policy.failures):
            self.opened_at = self._clock()
            self.times_opened += 1
            self._set("open")

    def release(self) -> None:
        """The request let through ended without a verdict on the upstream (the caller went away)."""
        self.probe_out = False

    def _set(self, state: State) -> None:
        self._state = state
        if self.on_change is not None:
            self.on_change(self)

    def to_json(self) -> dict[str, object]:
        state = self.state
        out: dict[str, object] = {
            "state": state,
            "consecutive_failures": self.consecutive,
            "failures": self.total_failures,
            "times_opened": self.times_opened,
        }
        if state == "open":
            out["retry_in_s"] = round(self.retry_after_s(), 1)
        if self.last_error:
            out["last_error"] = self.last_error
        return out


class BreakerBoard:
    """One breaker per upstream base URL, named after the models served there (never the URL,
    which stays internal)."""

    def __init__(
        self, policy: BreakerPolicy, labels: dict[str, str], on_change: Callable[[Breaker], None]
    ) -> None:
        self.policy = policy
        self._labels = labels  # base URL -> "model-a,model-b"
        self._on_change = on_change
        self._breakers: dict[str, Breaker] = {}

    def get(self, base_url: str) -> Breaker:
        breaker = self._breakers.get(base_url)
        if breaker is None:
            breaker = Breaker(self._labels.get(base_url, "upstream"), self.policy)
            breaker.on_change = self._on_change
            self._breakers[base_url] = breaker
            self._on_change(breaker)
        return breaker

    def all(self) -> list[Breaker]:
        return list(self._breakers.values())

    def to_json(self) -> dict[str, dict[str, object]]:
        return {b.name: b.to_json() for b in sorted(self._breakers.values(), key=lambda b: b.name)}
