"""The OpenAI-compatible HTTP server in front of the Triforce models.

`POST /v1/chat/completions` (plain and `stream: true` server-sent events), `GET /v1/models`,
`GET /v1/models/{id}`, `GET /health`. `model: "oracle-council"` lets the router choose
(specialist, triforce-sage, or MoE fan-out + synthesis); a category (`oracle-din`) routes among its
members; any other registry name or alias (`master-sword`) goes straight to its upstream.
Every answer carries the routing decision: an `x_triforce` field in the body (the first chunk
when streaming) and `X-Triforce-*` headers.

Standard library `ThreadingHTTPServer`: one thread per connection, a bounded number of
requests in flight, bounded request bodies, socket and upstream timeouts.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from triforce.serve.gateway import Gateway, ServedModel
from triforce.serve.moe import ExpertAnswer, ExpertPool, synthesis_messages
from triforce.serve.protocol import (
    ApiError,
    all_experts_failed,
    bad_request,
    from_upstream,
    model_card,
    route_headers,
    unauthorized,
    unknown_model,
    validate_chat,
)
from triforce.serve.router import RouteDecision, request_text
from triforce.serve.upstream import HOP_HEADER, Upstream, UpstreamClient, UpstreamError

log = logging.getLogger("triforce.serve")


@dataclass(frozen=True)
class ServeOptions:
    timeout_s: float = 120.0  # per upstream call (read); connect is capped at 5 s
    retries: int = 1  # MoE fan-out legs only: a relayed call is never replayed
    max_body_bytes: int = 1 << 20
    max_in_flight: int = 32
    socket_timeout_s: float = 30.0  # reading a request from a slow client
    api_key: str | None = None  # when set, callers must send `Authorization: Bearer <key>`


class TriforceServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], gateway: Gateway, options: ServeOptions) -> None:
        super().__init__(address, _Handler)
        self.gateway = gateway
        self.options = options
        self.client = UpstreamClient(timeout_s=options.timeout_s)
        self.experts = ExpertPool(timeout_s=options.timeout_s, retries=options.retries)
        self.slots = threading.BoundedSemaphore(options.max_in_flight)
        self.started = time.time()
        self.looped = gateway.mark_loops(address[0], int(self.server_address[1]))
        for served in self.looped:
            log.warning(
                "%s: upstream %s is this server itself; requests needing it will fail (use --upstream %s=URL)",
                served.name,
                served.upstream.base_url if served.upstream else "?",
                served.entry.name,
            )

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A caller that hangs up or stalls is routine; anything else is a bug worth a traceback."""
        import sys

        exc = sys.exc_info()[1]
        if isinstance(exc, ConnectionError | TimeoutError):
            log.debug("%s: %s", client_address, exc)
        else:
            log.exception("unhandled error answering %s", client_address)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        name = host.decode() if isinstance(host, bytes) else str(host)
        return f"http://{name}:{port}"

    def server_close(self) -> None:
        super().server_close()
        self.client.close()
        self.experts.close()


def make_server(
    gateway: Gateway, host: str = "127.0.0.1", port: int = 8080, options: ServeOptions | None = None
) -> TriforceServer:
    return TriforceServer((host, port), gateway, options or ServeOptions())


class _Handler(BaseHTTPRequestHandler):
    server: TriforceServer
    protocol_version = "HTTP/1.1"
    server_version = "triforce-serve"
    _note = ""  # model and route, for the access log
    _streaming = False  # response headers sent, body under way

    def setup(self) -> None:
        super().setup()
        # A caller that stalls mid-request (or idles on keep-alive) frees its thread after this.
        self.connection.settimeout(self.server.options.socket_timeout_s)
        # Headers and body go out as separate writes: without this, Nagle + delayed ACK add ~40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)

    # -- plumbing -------------------------------------------------------------------------------

    def _send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def _send_error(self, err: ApiError, headers: dict[str, str] | None = None) -> None:
        self._send_json(err.status, err.body(), headers)

    def _authorized(self) -> bool:
        key = self.server.options.api_key
        return not key or self.headers.get("Authorization", "") == f"Bearer {key}"

    # -- GET ------------------------------------------------------------------------------------

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0].rstrip("/")
        if path == "/health":
            deep = "upstreams=1" in self.path.partition("?")[2].split("&")
            self._send_json(200, self._health(deep and self._authorized()))
            return
        if not self._authorized():
            self._send_error(unauthorized())
            return
        if path == "/v1/models":
            self._send_json(
                200, {"object": "list", "data": [model_card(m) for m in self.server.gateway.models.values()]}
            )
            return
        if path.startswith("/v1/models/"):
            served = self.server.gateway.resolve(path[len("/v1/models/") :])
            if served is None:
                self._send_error(unknown_model(path[len("/v1/models/") :], self.server.gateway))
            else:
                self._send_json(200, model_card(served))
            return
        self._send_error(ApiError(404, f"no route for GET {path}", type_="not_found_error", code="not_found"))

    def _health(self, deep: bool) -> dict[str, Any]:
        """Liveness; with `?upstreams=1`, also ask every upstream which models it really serves."""
        gw = self.server.gateway
        missing = sorted(n for n, m in gw.models.items() if m.upstream is None and m.mode == "direct")
        report: dict[str, Any] = {
            "status": "ok",
            "uptime_s": round(time.time() - self.server.started, 1),
            "models": len(gw.models),
            "router": {"source": gw.router.config.source, "threshold": gw.router.config.threshold},
            "models_without_upstream": missing,
            "upstream_loops": sorted(m.name for m in self.server.looped),
        }
        if deep:
            report["upstreams"] = gw.probe(self.server.client)
            if any(not u["ok"] or u["missing"] for u in report["upstreams"].values()):
                report["status"] = "degraded"
        return report

    # -- POST -----------------------------------------------------------------------------------

    def do_POST(self) -> None:
        path = self.path.split("?", 1)[0].rstrip("/")
        if path not in ("/v1/chat/completions", "/v1/route"):
            self._reject_body(
                ApiError(404, f"no route for POST {path}", type_="not_found_error", code="not_found")
            )
            return
        if self.headers.get(HOP_HEADER):
            self._reject_body(
                ApiError(
                    508,
                    "this request came from a Triforce server: an upstream points back at a Triforce "
                    "server, which would loop; fix the --upstream / registry endpoint",
                    type_="upstream_error",
                    code="upstream_loop",
                )
            )
            return
        if not self._authorized():
            self._reject_body(unauthorized())
            return
        if not self.server.slots.acquire(blocking=False):
            self._reject_body(
                ApiError(503, "too many requests in flight; retry shortly", type_="server_busy", code="busy"),
                {"Retry-After": "1"},
            )
            return
        request_id = f"chatcmpl-tf-{uuid.uuid4().hex[:20]}"
        started = time.perf_counter()
        status = 500
        self._note = ""
        self._streaming = False
        try:
            if path == "/v1/route":
                body = self._read_body(default_model=self.server.gateway.router.config.council)
                status = self._route_only(body, request_id)
            else:
                body = self._read_body()
                status = self._chat(body, request_id, started)
        except ApiError as err:
            status = err.status
            extra = {"Connection": "close"} if self.close_connection else {}
            self._send_error(err, {"X-Request-Id": request_id, **extra})
        except (BrokenPipeError, ConnectionResetError):
            status = 499
        except TimeoutError:  # the caller stopped sending its body
            status = 408
            self.close_connection = True
            if not self._streaming:
                slow = ApiError(
                    408, "request body not received in time", type_="invalid_request_error", code="timeout"
                )
                self._send_error(slow, {"X-Request-Id": request_id, "Connection": "close"})
        except Exception:  # a bug: answer 500 rather than hang up, and keep the traceback
            log.exception("unhandled error in %s", request_id)
            status = 500
            self.close_connection = True
            if self._streaming:  # the status line is gone; hanging up is all that is left
                return
            internal = ApiError(500, f"internal error ({request_id})", type_="server_error", code="internal")
            self._send_error(internal, {"X-Request-Id": request_id, "Connection": "close"})
        finally:
            self.server.slots.release()
            log.info(
                "POST %s %s %.3fs %s %s", path, status, time.perf_counter() - started, request_id, self._note
            )

    def _reject_body(self, err: ApiError, headers: dict[str, str] | None = None) -> None:
        # The body was not read: close the connection rather than parse it as the next request.
        self.close_connection = True
        self._send_error(err, {"Connection": "close", **(headers or {})})

    def _read_body(self, default_model: str | None = None) -> dict[str, Any]:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            self.close_connection = True
            raise ApiError(
                411,
                "send the body with Content-Length",
                type_="invalid_request_error",
                code="length_required",
            )
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            self.close_connection = True
            raise ApiError(
                411, "Content-Length is required", type_="invalid_request_error", code="length_required"
            ) from None
        limit = self.server.options.max_body_bytes
        if length > limit or length < 0:
            self.close_connection = True
            raise ApiError(
                413,
                f"request body is {length} bytes; the limit is {limit}",
                type_="invalid_request_error",
                code="request_too_large",
            )
        raw = self.rfile.read(length)
        try:
            body = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
            raise bad_request(f"body is not valid JSON: {exc}", code="invalid_json") from None
        if not isinstance(body, dict):
            raise bad_request("body must be a JSON object", code="invalid_json")
        if default_model:
            body.setdefault("model", default_model)
        validate_chat(body)
        return body

    def _route_only(self, body: dict[str, Any], request_id: str) -> int:
        """`POST /v1/route`: the decision a chat request would get, without calling any model."""
        gw = self.server.gateway
        served = gw.resolve(body["model"])
        if served is None:
            raise unknown_model(body["model"], gw)
        if served.mode == "direct":
            raise bad_request(
                f"{body['model']!r} is a single model: there is nothing to route", param="model"
            )
        if not request_text(body["messages"]).strip():
            raise bad_request("routing needs a user message with text", param="messages")
        only = list(served.domains) if served.mode == "category" else None
        decision = gw.router.route_messages(body["messages"], only=only)
        self._note = f"route-only {body['model']} → {decision.kind} {decision.model}"
        payload = {"object": "triforce.route", "request_id": request_id, "requested_model": body["model"]}
        self._send_json(200, payload | {"route": decision.to_json()}, {"X-Request-Id": request_id})
        return 200

    def _chat(self, body: dict[str, Any], request_id: str, started: float) -> int:
        gw = self.server.gateway
        name = body["model"]
        served = gw.resolve(name)
        if served is None:
            raise unknown_model(name, gw)
        stream = bool(body.get("stream", False))
        self._note = name
        if served.mode == "direct":
            meta = {
                "request_id": request_id,
                "requested_model": name,
                "model": served.entry.name,
                "route": None,
            }
            return self._relay(served, body, meta, stream, request_id, started)
        if not request_text(body["messages"]).strip():
            raise bad_request("routing needs a user message with text", param="messages")
        only = list(served.domains) if served.mode == "category" else None
        decision = gw.router.route_messages(body["messages"], only=only)
        self._note = f"{name} → {decision.kind} {decision.model}"
        meta = {
            "request_id": request_id,
            "requested_model": name,
            "model": decision.model,
            "route": decision.to_json(),
        }
        if decision.kind == "moe":
            return self._moe(decision, body, meta, stream, request_id, started)
        target = gw.resolve(decision.model)
        if target is None:  # the gateway checked router.yaml against the registry at start-up
            raise ApiError(
                500, f"router chose unknown model {decision.model}", type_="server_error", code="internal"
            )
        return self._relay(target, body, meta, stream, request_id, started, decision)

    # -- answering ------------------------------------------------------------------------------

    def _upstream(self, served: ServedModel) -> Upstream:
        if served.upstream is None:
            raise ApiError(
                502,
                f"{served.entry.name} has no endpoint: set one in the registry or pass --upstream {served.entry.name}=URL",
                type_="upstream_error",
                code="no_upstream",
            )
        if served.loop:
            raise ApiError(
                502,
                f"{served.entry.name}'s endpoint {served.upstream.base_url} is this server; "
                f"pass --upstream {served.entry.name}=URL",
                type_="upstream_error",
                code="upstream_loop",
            )
        return served.upstream

    def _relay(
        self,
        served: ServedModel,
        body: dict[str, Any],
        meta: dict[str, Any],
        stream: bool,
        request_id: str,
        started: float,
        decision: RouteDecision | None = None,
    ) -> int:
        upstream = self._upstream(served)
        meta = meta | {"upstream": upstream.url}
        forward = {k: v for k, v in body.items() if k != "x_triforce"}
        headers = route_headers(request_id, meta["model"], decision)
        try:
            if stream:
                chunks = self.server.client.stream(upstream, forward)
                self._stream(chunks.events(), meta, headers, request_id, started, chunks.close)
                return 200
            answer = self.server.client.complete(upstream, forward)
        except UpstreamError as exc:
            raise from_upstream(exc) from None
        answer["model"] = meta["model"]
        answer["x_triforce"] = meta | {"latency_s": round(time.perf_counter() - started, 3)}
        self._send_json(200, answer, headers)
        return 200

    def _moe(
        self,
        decision: RouteDecision,
        body: dict[str, Any],
        meta: dict[str, Any],
        stream: bool,
        request_id: str,
        started: float,
    ) -> int:
        gw = self.server.gateway
        council = gw.resolve(decision.model)
        if council is None:
            raise ApiError(
                500, f"unknown synthesizer {decision.model}", type_="server_error", code="internal"
            )
        synth = self._upstream(council)
        experts: list[tuple[str, Upstream]] = []
        unavailable: list[ExpertAnswer] = []  # no endpoint or a loop: reported, not fatal
        for domain, model in decision.experts:
            target = gw.resolve(model)
            try:
                if target is None:
                    raise ApiError(
                        502, f"{model} is not in the registry", type_="upstream_error", code="no_upstream"
                    )
                experts.append((domain, self._upstream(target)))
            except ApiError as exc:
                unavailable.append(ExpertAnswer(domain, model, "", exc.message, None, 0, {}))
        answers = unavailable + self.server.experts.ask(
            experts,
            body["messages"],
            request_id=request_id,
            temperature=float(body.get("temperature") or 0.0),
            max_tokens=int(body.get("max_tokens") or body.get("max_completion_tokens") or 1024),
        )
        meta = meta | {"experts": [a.to_json() for a in answers], "upstream": synth.url}
        if not any(a.ok for a in answers):
            raise all_experts_failed(answers)
        forward = {k: v for k, v in body.items() if k != "x_triforce"}
        forward["messages"] = synthesis_messages(gw.router.config, body["messages"], answers)
        headers = route_headers(request_id, decision.model, decision)
        try:
            if stream:
                chunks = self.server.client.stream(synth, forward)
                self._stream(chunks.events(), meta, headers, request_id, started, chunks.close)
                return 200
            answer = self.server.client.complete(synth, forward)
        except UpstreamError as exc:
            raise from_upstream(exc) from None
        answer["model"] = decision.model
        answer["x_triforce"] = meta | {"latency_s": round(time.perf_counter() - started, 3)}
        self._send_json(200, answer, headers)
        return 200

    def _stream(
        self,
        events: Iterator[dict[str, Any]],
        meta: dict[str, Any],
        headers: dict[str, str],
        request_id: str,
        started: float,
        close: Any,
    ) -> None:
        """Relay chunks as SSE. Errors before the first chunk become a JSON error response."""
        try:
            first = next(events, None)
        except UpstreamError as exc:
            close()
            raise from_upstream(exc) from None
        self._streaming = True
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        try:
            if first is not None:
                first["model"] = meta["model"]
                first["x_triforce"] = meta | {"first_chunk_s": round(time.perf_counter() - started, 3)}
                self._write_event(first)
            for event in events:
                event["model"] = meta["model"]
                self._write_event(event)
        except UpstreamError as exc:
            # Headers are gone: tell the caller in-band, as OpenAI's API does, then end the stream.
            self._write_event(from_upstream(exc).body())
        finally:
            close()
        self._write_chunk(b"data: [DONE]\n\n")
        self._write_chunk(b"")

    def _write_event(self, event: dict[str, Any]) -> None:
        self._write_chunk(b"data: " + json.dumps(event, ensure_ascii=False).encode("utf-8") + b"\n\n")

    def _write_chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):X}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()
