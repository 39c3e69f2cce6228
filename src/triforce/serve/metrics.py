"""Prometheus metrics of one gateway worker (`GET /metrics`).

Each app has its own registry, so several apps in one process (tests) never mix counts. With
`--workers N` every worker counts its own requests (nothing is shared between workers): scrape
each worker, or set `PROMETHEUS_MULTIPROC_DIR` to a fresh directory before starting and the
client library aggregates all workers' counts on every scrape.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from triforce.serve.breaker import STATE_CODE, Breaker

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)


class Metrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.multiprocess = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
        # In multiprocess mode the values live in files the default registry writes (one app per process).
        self.registry = REGISTRY if self.multiprocess else CollectorRegistry()
        reg = self.registry
        self.requests = Counter(
            "triforce_requests_total",
            "Requests answered, by path, status and the model that answered.",
            ["method", "path", "status", "model"],
            registry=reg,
        )
        self.latency = Histogram(
            "triforce_request_duration_seconds",
            "Time from the request's arrival to the end of its answer.",
            ["path", "route"],
            buckets=_LATENCY_BUCKETS,
            registry=reg,
        )
        self.first_byte = Histogram(
            "triforce_time_to_first_chunk_seconds",
            "Streamed answers: time to the first chunk sent to the caller.",
            ["route"],
            buckets=_LATENCY_BUCKETS,
            registry=reg,
        )
        self.upstream_errors = Counter(
            "triforce_upstream_errors_total",
            "Failed upstream calls, by model and error code.",
            ["model", "code"],
            registry=reg,
        )
        self.fallbacks = Counter(
            "triforce_fallbacks_total",
            "Requests answered by a fallback model, by the model that failed and the one that answered.",
            ["failed", "answered"],
            registry=reg,
        )
        self.breaker_state = Gauge(
            "triforce_breaker_state",
            "Circuit breaker per upstream: 0 closed, 1 half-open, 2 open.",
            ["upstream"],
            multiprocess_mode="max",
            registry=reg,
        )
        self.in_flight = Gauge(
            "triforce_in_flight", "Requests being answered.", multiprocess_mode="livesum", registry=reg
        )
        self.queue_depth = Gauge(
            "triforce_queue_depth", "Requests waiting for a slot.", multiprocess_mode="livesum", registry=reg
        )
        self.refused = Counter("triforce_refused_total", "Requests refused with 503 (busy).", registry=reg)
        self.disconnects = Counter(
            "triforce_client_disconnects_total",
            "Requests whose caller hung up before the answer ended.",
            registry=reg,
        )
        self.route_decisions = Counter(
            "triforce_route_decisions_total",
            "oracle-council's decisions, by kind and chosen model.",
            ["kind", "model"],
            registry=reg,
        )
        self.verifications = Counter(
            "triforce_verifications_total",
            "Answers checked by verify-then-escalate, by checker and outcome.",
            ["checker", "outcome"],
            registry=reg,
        )
        self.verify_seconds = Histogram(
            "triforce_verify_duration_seconds",
            "Time spent checking one answer.",
            ["checker"],
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
            registry=reg,
        )
        self.escalations = Counter(
            "triforce_escalations_total",
            "Answers that failed their check and were re-asked of the unified model, by outcome.",
            ["outcome"],
            registry=reg,
        )

    def breaker_changed(self, breaker: Breaker) -> None:
        self.breaker_state.labels(breaker.name).set(STATE_CODE[breaker.state])

    def render(self) -> bytes:
        if not self.multiprocess:
            return generate_latest(self.registry)
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
