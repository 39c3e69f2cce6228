"""The OpenAI-compatible gateway as an ASGI application (served by uvicorn; see `server.py`).

`POST /v1/chat/completions` (plain and `stream: true` server-sent events), `POST /v1/route` (the
decision only), `GET /v1/models`, `GET /v1/models/{id}`, `GET /health` (`?upstreams=1` asks every
upstream), `GET /metrics` (Prometheus). What answers is decided in `chat.py`; this module is the
HTTP side of it:
- every request gets an id (`X-Request-Id`; a caller's own well-formed one is kept);
- the body is read first, bounded (`max_body_bytes`) and timed (`body_timeout_s`), so every
  answer, a 503 included, reaches a caller that is still sending;
- JSON is parsed strictly (orjson: a lone UTF-16 surrogate is a 400, not a crash later);
- admission (`admission.py`): `max_in_flight` at once, `max_queue` waiting, then 503 +
  `Retry-After`;
- a caller that hangs up cancels its request at once: the upstream call is abandoned (its
  connection closed) and the slot freed;
- errors are OpenAI-shaped JSON for every method and path (405 for OPTIONS/DELETE/..., with
  `Allow`), never HTML and never a traceback; internal upstream URLs never appear in them;
- one JSON access-log line and the Prometheus counters per request.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import os
import re
import time
import uuid
from typing import Any
from urllib.parse import parse_qs

import orjson

from triforce.serve import accesslog
from triforce.serve.admission import Admission, Busy
from triforce.serve.breaker import BreakerBoard, BreakerPolicy
from triforce.serve.chat import Answerer, Outcome
from triforce.serve.gateway import Gateway
from triforce.serve.metrics import Metrics
from triforce.serve.moe import ExpertPool
from triforce.serve.protocol import (
    ApiError,
    bad_request,
    model_card,
    unauthorized,
    unknown_model,
    validate_chat,
)
from triforce.serve.reply import Reply, Send, dumps
from triforce.serve.settings import ServeOptions
from triforce.serve.upstream import HOP_HEADER, UpstreamClient
from triforce.serve.verify import Verifier, checkers

log = logging.getLogger("triforce.serve")

Receive = Any
Scope = dict[str, Any]

_GET = ("/health", "/metrics", "/v1/models")
_POST = ("/v1/chat/completions", "/v1/route")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
_HOP = HOP_HEADER.lower().encode()


class ClientGone(Exception):
    """The caller hung up before its answer was complete."""


class TriforceApp:
    """One worker's gateway: its own connection pool, breakers, admission queue and metrics."""

    def __init__(
        self, gateway: Gateway, options: ServeOptions | None = None, *, address: tuple[str, int] | None = None
    ) -> None:
        self.gateway = gateway
        self.options = options = options or ServeOptions()
        self.started = time.time()
        self.metrics = Metrics()
        self.admission = Admission(options.max_in_flight, options.max_queue, options.queue_timeout_s)
        labels: dict[str, list[str]] = {}
        for served in gateway.models.values():
            if served.upstream is not None and served.name == served.entry.name:
                labels.setdefault(served.upstream.base_url, []).append(served.entry.name)
        self.breakers = BreakerBoard(
            BreakerPolicy(options.breaker_failures, options.breaker_cooldown_s),
            {base: ",".join(names) for base, names in labels.items()},
            self.metrics.breaker_changed,
        )
        self.client = UpstreamClient(
            timeout_s=options.timeout_s,
            max_connections=max(64, options.max_in_flight * 4),
            max_answer_bytes=options.max_answer_bytes,
        )
        self.experts = ExpertPool(
            timeout_s=options.timeout_s, retries=options.retries, max_answer_bytes=options.max_answer_bytes
        )
        self.verifier = Verifier(parallel=options.verify_parallel)
        self.answerer = Answerer(
            gateway, options, self.client, self.experts, self.breakers, self.metrics, self.verifier
        )
        self.looped = gateway.mark_loops(*address) if address else []
        for served in self.looped:
            log.warning(
                "%s: its upstream is this server itself; requests needing it will fail (use --upstream %s=URL)",
                served.name,
                served.entry.name,
            )
        self.closed = False

    async def aclose(self) -> None:
        if not self.closed:
            self.closed = True
            await self.client.aclose()
            await self.experts.aclose()

    # -- ASGI -----------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "lifespan":
            await self._lifespan(receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        method: str = scope["method"]
        path: str = scope["path"].rstrip("/") or "/"
        headers: dict[bytes, bytes] = dict(scope["headers"])
        given = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = given if _REQUEST_ID.match(given) else f"chatcmpl-tf-{uuid.uuid4().hex[:20]}"
        reply = Reply(send, request_id, started)
        outcome = Outcome()
        fields: dict[str, Any] = {}
        status = 500
        try:
            await self._dispatch(method, path, scope, headers, receive, reply, outcome, fields)
            status = reply.status
        except ApiError as err:
            status = err.status
            if not reply.started:
                await reply.json(err.status, err.body(), err.headers)
        except ClientGone:
            status = 499  # nginx's "client closed request": nothing could be sent
            self.metrics.disconnects.inc()
        except Exception:  # a bug: answer 500 rather than hang up, and keep the traceback in the log
            log.exception("unhandled error in %s", request_id)
            status = 500
            if not reply.started:
                bug = ApiError(500, f"internal error ({request_id})", type_="server_error", code="internal")
                await reply.json(500, bug.body())
        finally:
            elapsed = time.perf_counter() - started
            if path in _POST or path in _GET or path.startswith("/v1/models/"):
                self.metrics.requests.labels(method, path if path in _POST + _GET else "/v1/models/{id}",
                                             str(status), outcome.model or "-").inc()  # fmt: skip
                self.metrics.latency.labels(path if path in _POST + _GET else "/v1/models/{id}",
                                            outcome.route or "-").observe(elapsed)  # fmt: skip
            if self.options.access_log and path not in ("/health", "/metrics"):
                self._access(scope, method, path, status, elapsed, reply, outcome, fields)

    def _access(
        self,
        scope: Scope,
        method: str,
        path: str,
        status: int,
        elapsed: float,
        reply: Reply,
        outcome: Outcome,
        fields: dict[str, Any],
    ) -> None:
        client = scope.get("client")
        record: dict[str, Any] = {
            "request_id": reply.request_id,
            "method": method,
            "path": path,
            "status": status,
            "duration_ms": round(elapsed * 1000, 2),
            "bytes": reply.bytes,
            "client": client[0] if client else None,
        }
        for key in ("requested_model", "stream"):
            if key in fields:
                record[key] = fields[key]
        if outcome.model:
            record["model"] = outcome.model
        if outcome.route:
            record["route"] = outcome.route
        if outcome.fallback:
            record["fallback_from"] = outcome.fallback
        if outcome.verify:
            record["verify"] = outcome.verify
        if self.options.log_bodies and "messages" in fields:
            record["messages"] = fields["messages"]
        accesslog.access(record)

    # -- dispatch -------------------------------------------------------------------------------

    async def _dispatch(
        self,
        method: str,
        path: str,
        scope: Scope,
        headers: dict[bytes, bytes],
        receive: Receive,
        reply: Reply,
        outcome: Outcome,
        fields: dict[str, Any],
    ) -> None:
        if method in ("GET", "HEAD") and (path in _GET or path.startswith("/v1/models/")):
            await self._get(path, scope, headers, reply)
            return
        if method == "POST" and path in _POST:
            await self._post(path, headers, receive, reply, outcome, fields)
            return
        known = path in _GET or path in _POST or path.startswith("/v1/models/")
        if known:
            allow = "POST" if path in _POST else "GET, HEAD"
            raise ApiError(
                405,
                f"{method} is not allowed on {path} (allowed: {allow})",
                type_="invalid_request_error",
                code="method_not_allowed",
                headers={"Allow": allow},
            )
        raise ApiError(404, f"no route for {method} {path}", type_="not_found_error", code="not_found")

    def _authorized(self, headers: dict[bytes, bytes]) -> bool:
        key = self.options.api_key
        if not key:
            return True
        scheme, _, token = headers.get(b"authorization", b"").decode("latin-1").strip().partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(), key.encode())

    async def _get(self, path: str, scope: Scope, headers: dict[bytes, bytes], reply: Reply) -> None:
        if path == "/health":
            query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
            deep = query.get("upstreams", ["0"])[-1] in ("1", "true", "yes")
            if deep and not self._authorized(headers):
                raise unauthorized()
            await reply.json(200, await self.health(deep))
            return
        if not self._authorized(headers):
            raise unauthorized()
        if path == "/metrics":
            self.metrics.queue_depth.set(self.admission.queued)
            self.metrics.in_flight.set(self.admission.in_flight)
            await reply.body(200, self.metrics.render(), self.metrics.content_type.encode())
            return
        gw = self.gateway
        if path == "/v1/models":
            await reply.json(200, {"object": "list", "data": [model_card(m) for m in gw.models.values()]})
            return
        name = path[len("/v1/models/") :]
        served = gw.resolve(name)
        if served is None:
            raise unknown_model(name, gw)
        await reply.json(200, model_card(served))

    async def health(self, deep: bool) -> dict[str, Any]:
        """Liveness plus what an operator needs: breakers, load, and with `deep` every upstream."""
        gw = self.gateway
        missing = sorted(n for n, m in gw.models.items() if m.upstream is None and m.mode == "direct")
        breakers = self.breakers.to_json()
        report: dict[str, Any] = {
            "status": "degraded" if any(b["state"] == "open" for b in breakers.values()) else "ok",
            "pid": os.getpid(),
            "uptime_s": round(time.time() - self.started, 1),
            "models": len(gw.models),
            "router": {
                "source": gw.router.config.source,
                "threshold": gw.router.config.threshold,
                "domains": list(gw.router.config.domains),
            },
            "models_without_upstream": missing,
            "upstream_loops": sorted(m.name for m in self.looped),
            "in_flight": self.admission.in_flight,
            "queued": self.admission.queued,
            "limits": {"max_in_flight": self.options.max_in_flight, "max_queue": self.options.max_queue},
            "breakers": breakers,
            "verify": {"default": self.options.verify, "checkers": sorted(checkers())},
        }
        if deep:
            report["upstreams"] = await gw.probe(self.client)
            if any(not u["ok"] or u["missing"] for u in report["upstreams"].values()):
                report["status"] = "degraded"
        return report

    # -- POST -----------------------------------------------------------------------------------

    async def _post(
        self,
        path: str,
        headers: dict[bytes, bytes],
        receive: Receive,
        reply: Reply,
        outcome: Outcome,
        fields: dict[str, Any],
    ) -> None:
        raw = await self._read_body(headers, receive)  # first, whatever the answer will be
        if headers.get(_HOP):
            raise ApiError(
                508,
                "this request came from a Triforce gateway: an upstream points back at a Triforce "
                "gateway, which would loop; fix the --upstream / registry endpoint",
                type_="upstream_error",
                code="upstream_loop",
            )
        if not self._authorized(headers):
            raise unauthorized()
        body = _parse(raw)
        if path == "/v1/route":
            body.setdefault("model", self.gateway.router.config.council)
        validate_chat(body)
        fields["requested_model"] = body["model"]
        fields["stream"] = bool(body.get("stream", False))
        if self.options.log_bodies:
            fields["messages"] = body["messages"]
        answer = self.answerer.route_only if path == "/v1/route" else self.answerer.chat
        await _until_disconnect(self._admitted(answer(body, reply, outcome)), receive)

    async def _admitted(self, work: Any) -> None:
        try:
            async with self.admission.slot():
                self.metrics.in_flight.set(self.admission.in_flight)
                await work
        except Busy as busy:
            work.close()
            self.metrics.refused.inc()
            raise ApiError(
                503,
                f"the gateway is busy ({busy.reason}); retry shortly",
                type_="server_busy",
                code="busy",
                headers={"Retry-After": "1"},
            ) from None
        finally:
            self.metrics.in_flight.set(self.admission.in_flight)
            self.metrics.queue_depth.set(self.admission.queued)

    async def _read_body(self, headers: dict[bytes, bytes], receive: Receive) -> bytes:
        limit = self.options.max_body_bytes
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise _too_large(int(declared), limit)
        chunks: list[bytes] = []
        size = 0
        try:
            async with asyncio.timeout(self.options.body_timeout_s):
                while True:
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        raise ClientGone
                    chunk = message.get("body", b"")
                    size += len(chunk)
                    if size > limit:
                        raise _too_large(size, limit)
                    chunks.append(chunk)
                    if not message.get("more_body", False):
                        return b"".join(chunks)
        except TimeoutError:
            raise ApiError(
                408,
                f"request body not received within {self.options.body_timeout_s:g} s",
                type_="invalid_request_error",
                code="timeout",
                headers={"Connection": "close"},
            ) from None


async def _until_disconnect(work: Any, receive: Receive) -> None:
    """Run `work` until it ends or the caller hangs up; a hang-up cancels it (and its upstream
    call, whose connection httpx then closes), freeing its slot at once."""
    task = asyncio.ensure_future(work)
    watch = asyncio.ensure_future(_disconnected(receive))
    try:
        await asyncio.wait((task, watch), return_when=asyncio.FIRST_COMPLETED)
    except asyncio.CancelledError:
        task.cancel()
        watch.cancel()
        raise
    if task.done():
        watch.cancel()
        task.result()  # its exception, if any
        return
    task.cancel()
    await asyncio.wait((task,))  # let it unwind (close its upstream connection) before we go
    if not task.cancelled():
        task.exception()  # retrieved: the caller is gone, whatever the work raised goes nowhere
    raise ClientGone


async def _disconnected(receive: Receive) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return


def _parse(raw: bytes) -> dict[str, Any]:
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        text = str(exc)
        if "surrogate" in text:
            raise bad_request(
                f"body has a lone UTF-16 surrogate ({text}): text must be valid Unicode",
                code="invalid_unicode",
            ) from None
        raise bad_request(f"body is not valid JSON: {text}", code="invalid_json") from None
    if not isinstance(body, dict):
        raise bad_request("body must be a JSON object", code="invalid_json")
    return body


def _too_large(size: int, limit: int) -> ApiError:
    return ApiError(
        413,
        f"request body is {size} bytes; the limit is {limit}",
        type_="invalid_request_error",
        code="request_too_large",
    )


__all__ = ["ClientGone", "TriforceApp", "dumps"]
