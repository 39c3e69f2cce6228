"""Answering one chat request: route, relay with fallbacks and breakers, verify, escalate.

The order of things for `POST /v1/chat/completions`:
1. resolve `model`: a single model is relayed as is; oracle-council or a category is routed
   (specialist, triforce-sage for cross-domain requests, MoE when unclear);
2. the chosen model answers through its upstream, behind that upstream's circuit breaker, with a
   retry only where it is safe (the request never reached the upstream, or it answered 502/503,
   and nothing went to the caller yet); when it cannot answer (down, erroring, timing out, breaker
   open), the next model of its registry `fallback` chain does (specialist → triforce-sage → MoE);
3. with verification on, the whole answer is collected, checked, and escalated to triforce-sage
   when it fails (`verify.py`); otherwise a stream is relayed chunk by chunk as it arrives.
Once a byte of a stream went to the caller nothing is retried or replaced: a failure after that
point ends the stream with an in-band `data: {"error": ...}` event, then `[DONE]`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from triforce.serve.breaker import Breaker, BreakerBoard
from triforce.serve.gateway import Gateway, ServedModel
from triforce.serve.metrics import Metrics
from triforce.serve.moe import ExpertAnswer, ExpertPool, synthesis_messages
from triforce.serve.protocol import (
    ApiError,
    bad_request,
    from_upstream,
    route_headers,
    unknown_model,
)
from triforce.serve.reply import Reply
from triforce.serve.router import RouteDecision, request_text
from triforce.serve.settings import ServeOptions
from triforce.serve.upstream import Upstream, UpstreamClient, UpstreamError
from triforce.serve.verify import (
    CheckContext,
    CheckOutcome,
    Verifier,
    escalation_messages,
    parse_request,
)

# Failures another model may answer for; a rejected request (400) or a rate limit (429) is relayed.
_FALLBACK_STATUSES = (502, 503, 504)


@dataclass
class Prepared:
    """A call ready to go to one upstream: which model answers, where, and with what body."""

    model: str
    upstream: Upstream
    breaker: Breaker
    body: dict[str, Any]
    meta: dict[str, Any]


@dataclass
class Outcome:
    """What the access log and the metrics record about one answered request."""

    model: str = ""
    route: str = ""
    fallback: list[str] = field(default_factory=list)
    verify: str = ""


class Answerer:
    def __init__(
        self,
        gateway: Gateway,
        options: ServeOptions,
        client: UpstreamClient,
        experts: ExpertPool,
        breakers: BreakerBoard,
        metrics: Metrics,
        verifier: Verifier,
    ) -> None:
        self.gateway = gateway
        self.options = options
        self.client = client
        self.experts = experts
        self.breakers = breakers
        self.metrics = metrics
        self.verifier = verifier

    # -- entry points ---------------------------------------------------------------------------

    async def route_only(self, body: dict[str, Any], reply: Reply, outcome: Outcome) -> None:
        """`POST /v1/route`: the decision a chat request would get, without calling any model."""
        gw = self.gateway
        served = gw.resolve(body["model"])
        if served is None:
            raise unknown_model(body["model"], gw)
        if served.mode == "direct":
            raise bad_request(
                f"{body['model']!r} is a single model: there is nothing to route", param="model"
            )
        decision = self._route(served, body)
        outcome.route, outcome.model = f"route-only {decision.kind}", decision.model
        payload = {
            "object": "triforce.route",
            "request_id": reply.request_id,
            "requested_model": body["model"],
        }
        await reply.json(200, payload | {"route": decision.to_json()})

    async def chat(self, body: dict[str, Any], reply: Reply, outcome: Outcome) -> None:
        gw = self.gateway
        name = body["model"]
        served = gw.resolve(name)
        if served is None:
            raise unknown_model(name, gw)
        verify = parse_request(body.get("x_triforce"), self.options.verify)
        forward = {k: v for k, v in body.items() if k != "x_triforce"}
        meta: dict[str, Any] = {"request_id": reply.request_id, "requested_model": name}
        decision: RouteDecision | None = None
        if served.mode == "direct":
            target = served.entry.name
            domains = gw.domains_of(target)
            meta |= {"model": target, "route": None}
            outcome.route = "direct"
        else:
            decision = self._route(served, body)
            target = decision.model
            domains = decision.domains or tuple(d for d, _ in decision.experts)
            meta |= {"model": target, "route": decision.to_json()}
            outcome.route = decision.kind
        checker = self.verifier.select(verify, domains)
        if checker is None:
            if verify.enabled:
                meta["verify"] = {
                    "status": "unchecked",
                    "reason": f"no checker for {', '.join(domains) or 'this request'}",
                }
                outcome.verify = "unchecked"
            await self._answer(target, decision, forward, meta, bool(body.get("stream")), reply, outcome)
            return
        await self._verified(
            target, decision, forward, meta, checker, bool(body.get("stream")), reply, outcome
        )

    def _route(self, served: ServedModel, body: dict[str, Any]) -> RouteDecision:
        if not request_text(body["messages"]).strip():
            raise bad_request("routing needs a user message with text", param="messages")
        only = list(served.domains) if served.mode == "category" else None
        decision = self.gateway.router.route_messages(body["messages"], only=only)
        self.metrics.route_decisions.labels(decision.kind, decision.model).inc()
        return decision

    # -- the fallback chain ---------------------------------------------------------------------

    def _chain(self, target: str) -> list[str]:
        if not self.options.fallback:
            return [target]
        chain = [target]
        for name in self.gateway.fallbacks(target):
            if name not in chain:
                chain.append(name)
        return chain

    async def _answer(
        self,
        target: str,
        decision: RouteDecision | None,
        forward: dict[str, Any],
        meta: dict[str, Any],
        stream: bool,
        reply: Reply,
        outcome: Outcome,
    ) -> None:
        """Relay the first model of the chain that can answer, straight to the caller."""
        failed: list[dict[str, Any]] = []
        errors: list[UpstreamError] = []
        for model in self._chain(target):
            if failed:
                meta = meta | {"fallback": failed}
            try:
                prepared = await self._prepare(
                    model, decision, forward, meta, frozenset(f["model"] for f in failed)
                )
                if stream:
                    await self._deliver_stream(prepared, decision, reply)
                else:
                    answer = await self._call(prepared)
                    await self._deliver_json(prepared, answer, decision, reply)
            except UpstreamError as exc:  # raised only while nothing has gone to the caller
                if exc.status not in _FALLBACK_STATUSES:
                    raise from_upstream(exc) from None
                failed.append({"model": model, "code": exc.code, "error": exc.message})
                errors.append(exc)
                continue
            self._answered(model, failed, outcome)
            return
        raise _exhausted(failed, errors)

    async def _collect(
        self,
        target: str,
        decision: RouteDecision | None,
        forward: dict[str, Any],
        meta: dict[str, Any],
        outcome: Outcome,
    ) -> tuple[Prepared, dict[str, Any]]:
        """The first whole answer the chain gives (for verification), not yet sent anywhere."""
        failed: list[dict[str, Any]] = []
        errors: list[UpstreamError] = []
        for model in self._chain(target):
            if failed:
                meta = meta | {"fallback": failed}
            try:
                prepared = await self._prepare(
                    model, decision, forward, meta, frozenset(f["model"] for f in failed)
                )
                answer = await self._call(prepared)
            except UpstreamError as exc:
                if exc.status not in _FALLBACK_STATUSES:
                    raise from_upstream(exc) from None
                failed.append({"model": model, "code": exc.code, "error": exc.message})
                errors.append(exc)
                continue
            self._answered(model, failed, outcome)
            return prepared, answer
        raise _exhausted(failed, errors)

    def _answered(self, model: str, failed: list[dict[str, Any]], outcome: Outcome) -> None:
        outcome.model = model
        outcome.fallback = [f["model"] for f in failed]
        if failed:
            self.metrics.fallbacks.labels(failed[0]["model"], model).inc()

    # -- one model ------------------------------------------------------------------------------

    def _upstream(self, served: ServedModel | None, model: str) -> Upstream:
        if served is None:
            raise UpstreamError(502, "no_upstream", f"{model} is not in the registry")
        if served.upstream is None:
            raise UpstreamError(
                502,
                "no_upstream",
                f"{served.entry.name} has no endpoint (the operator sets one in the registry or with "
                f"--upstream {served.entry.name}=URL)",
            )
        if served.loop:
            raise UpstreamError(
                502,
                "upstream_loop",
                f"{served.entry.name}'s endpoint is this gateway itself (the operator passes "
                f"--upstream {served.entry.name}=URL)",
            )
        return served.upstream

    def _admit(self, model: str, upstream: Upstream) -> Breaker:
        breaker = self.breakers.get(upstream.base_url)
        if not breaker.allow():
            raise UpstreamError(
                503,
                "breaker_open",
                f"{model}: not asked: its model server failed {breaker.policy.failures} times in a row "
                f"(next try in {breaker.retry_after_s():.0f} s)",
                health=False,
                retry_after_s=breaker.retry_after_s(),
            )
        return breaker

    async def _prepare(
        self,
        model: str,
        decision: RouteDecision | None,
        forward: dict[str, Any],
        meta: dict[str, Any],
        failed: frozenset[str],
    ) -> Prepared:
        gw = self.gateway
        served = gw.resolve(model)
        if model == gw.router.config.council:
            return await self._moe(decision, forward, meta, failed)
        upstream = self._upstream(served, model)
        breaker = self._admit(model, upstream)
        return Prepared(model, upstream, breaker, forward, meta | {"model": model})

    async def _call(self, prepared: Prepared) -> dict[str, Any]:
        """One non-streamed upstream call, with the safe retries."""
        attempt = 0
        while True:
            try:
                answer = await self.client.complete(prepared.upstream, prepared.body)
            except UpstreamError as exc:
                self._failed(prepared, exc)
                if exc.retryable and attempt < self.options.retries and prepared.breaker.allow():
                    attempt += 1
                    continue
                raise
            except BaseException:  # cancelled (the caller hung up): no verdict on the upstream
                prepared.breaker.release()
                raise
            prepared.breaker.success()
            return answer

    def _failed(self, prepared: Prepared, exc: UpstreamError) -> None:
        self.metrics.upstream_errors.labels(prepared.model, exc.code).inc()
        if exc.health:
            prepared.breaker.failure(exc.code)
        else:
            prepared.breaker.success()  # it answered: the request or the rate was the problem

    async def _deliver_json(
        self, prepared: Prepared, answer: dict[str, Any], decision: RouteDecision | None, reply: Reply
    ) -> None:
        answer["model"] = prepared.model
        answer["x_triforce"] = prepared.meta | {"latency_s": round(reply.elapsed(), 3)}
        await reply.json(200, answer, self._headers(prepared, decision, reply))

    def _headers(self, prepared: Prepared, decision: RouteDecision | None, reply: Reply) -> dict[str, str]:
        headers = route_headers(reply.request_id, prepared.model, decision)
        fallback = prepared.meta.get("fallback")
        if fallback:
            headers["X-Triforce-Fallback-From"] = ",".join(f["model"] for f in fallback)
        verify = prepared.meta.get("verify")
        if verify:
            headers["X-Triforce-Verified"] = str(verify.get("status"))
        return headers

    async def _deliver_stream(self, prepared: Prepared, decision: RouteDecision | None, reply: Reply) -> None:
        """Open the upstream stream (retrying only before its first chunk), then relay it."""
        attempt = 0
        while True:
            stream = None
            try:
                stream = await self.client.stream(prepared.upstream, prepared.body)
                events = stream.events()
                first = await anext(events, None)
            except UpstreamError as exc:
                if stream is not None:
                    await stream.aclose()
                self._failed(prepared, exc)
                if exc.retryable and attempt < self.options.retries and prepared.breaker.allow():
                    attempt += 1
                    continue
                raise
            except BaseException:
                if stream is not None:
                    await stream.aclose()
                prepared.breaker.release()
                raise
            break
        prepared.breaker.success()
        model = prepared.model
        try:
            await reply.start_stream(self._headers(prepared, decision, reply))
            self.metrics.first_byte.labels(decision.kind if decision else "direct").observe(reply.elapsed())
            if first is not None:
                first["model"] = model
                first["x_triforce"] = prepared.meta | {"first_chunk_s": round(reply.elapsed(), 3)}
                await reply.event(first)
            async for event in events:
                event["model"] = model
                await reply.event(event)
        except UpstreamError as exc:
            # Bytes went out: nothing can be replayed. Tell the caller in-band, as OpenAI's API does.
            self._failed(prepared, exc)
            await reply.event(from_upstream(exc).body())
        finally:
            await events.aclose()
        await reply.done()

    # -- MoE ------------------------------------------------------------------------------------

    async def _moe(
        self,
        decision: RouteDecision | None,
        forward: dict[str, Any],
        meta: dict[str, Any],
        failed: frozenset[str],
    ) -> Prepared:
        """Fan out to the specialists, then prepare the synthesis call (relayed by the caller)."""
        gw = self.gateway
        cfg = gw.router.config
        council = gw.resolve(cfg.council)
        synth = self._upstream(council, cfg.council)
        synth_breaker = self._admit(cfg.council, synth)
        if decision is None or decision.kind != "moe" or failed:
            scores = (decision or gw.router.route_messages(forward["messages"])).scores
            experts = gw.router.fan_out(scores, failed)
        else:
            experts = decision.experts
        asked: list[tuple[str, Upstream]] = []
        breakers: list[Breaker] = []
        unavailable: list[ExpertAnswer] = []
        for domain, model in experts:
            try:
                up = self._upstream(gw.resolve(model), model)
                breakers.append(self._admit(model, up))
                asked.append((domain, up))
            except UpstreamError as exc:
                unavailable.append(ExpertAnswer(domain, model, "", exc.message, None, 0, {}))
        try:
            answers = await self.experts.ask(
                asked,
                forward["messages"],
                request_id=str(meta.get("request_id")),
                temperature=float(forward.get("temperature") or 0.0),
                max_tokens=int(forward.get("max_tokens") or forward.get("max_completion_tokens") or 1024),
            )
        except BaseException:
            for b in [*breakers, synth_breaker]:
                b.release()
            raise
        for breaker, answer in zip(breakers, answers, strict=True):
            if answer.ok or (answer.error or "").startswith("HTTP 4"):
                breaker.success()
            else:
                breaker.failure("moe-leg")
                self.metrics.upstream_errors.labels(answer.model, "moe_leg").inc()
        answers = unavailable + answers
        meta = meta | {"model": cfg.council, "experts": [a.to_json() for a in answers]}
        if not any(a.ok for a in answers):
            synth_breaker.release()
            raise _all_experts_failed(answers)
        body = forward | {"messages": synthesis_messages(cfg, forward["messages"], answers)}
        return Prepared(cfg.council, synth, synth_breaker, body, meta)

    # -- verify, then escalate ------------------------------------------------------------------

    async def _verified(
        self,
        target: str,
        decision: RouteDecision | None,
        forward: dict[str, Any],
        meta: dict[str, Any],
        checker: Any,
        stream: bool,
        reply: Reply,
        outcome: Outcome,
    ) -> None:
        plain = forward | {"stream": False}
        ctx = CheckContext(messages=forward["messages"], timeout_s=self.verifier.timeout_s)
        prepared, answer = await self._collect(target, decision, plain, meta, outcome)
        text = _content(answer)
        result = await self._check(checker, text, ctx)
        attempts = [_attempt(prepared.model, result)]
        chosen: tuple[Prepared, dict[str, Any]] | None = (
            (prepared, answer) if result.status != "failed" else None
        )
        unified = self.gateway.router.config.unified
        escalations = 0
        while chosen is None and escalations < self.options.max_escalations:
            escalations += 1
            body = plain | {"messages": escalation_messages(forward["messages"], text, result)}
            try:
                esc = await self._prepare(unified, decision, body, meta, frozenset())
                answer = await self._call(esc)
            except UpstreamError as exc:
                attempts.append(
                    {"model": unified, "status": "error", "code": exc.code, "reason": exc.message}
                )
                self.metrics.escalations.labels("error").inc()
                break
            prepared, text = esc, _content(answer)
            result = await self._check(checker, text, ctx)
            attempts.append(_attempt(unified, result))
            self.metrics.escalations.labels("passed" if result.passed else result.status).inc()
            if result.status != "failed":
                chosen = (esc, answer)
        final_prepared, final = chosen or (prepared, answer)
        status = "passed" if chosen and result.passed else ("unchecked" if chosen else "failed")
        verify = {
            "checker": result.checker,
            "status": status,
            "answered_by": final_prepared.model,
            "escalations": escalations,
            "attempts": attempts,
        }
        outcome.verify, outcome.model = status, final_prepared.model
        final_prepared.meta = final_prepared.meta | {"verify": verify}
        if not stream:
            await self._deliver_json(final_prepared, final, decision, reply)
            return
        # The answer is whole already (it had to be checked): send it as a stream of one chunk.
        await reply.start_stream(self._headers(final_prepared, decision, reply))
        chunk = _as_stream_chunk(final, final_prepared.model)
        chunk["x_triforce"] = final_prepared.meta | {"first_chunk_s": round(reply.elapsed(), 3)}
        await reply.event(chunk)
        await reply.event(_finish_chunk(final, final_prepared.model))
        await reply.done()

    async def _check(self, checker: Any, text: str, ctx: CheckContext) -> CheckOutcome:
        result = await self.verifier.check(checker, text, ctx)
        self.metrics.verifications.labels(result.checker, result.status).inc()
        self.metrics.verify_seconds.labels(result.checker).observe(result.elapsed_s)
        return result


def _content(answer: dict[str, Any]) -> str:
    try:
        content = answer["choices"][0]["message"].get("content")
    except (KeyError, IndexError, TypeError, AttributeError):
        return ""
    return content if isinstance(content, str) else ""


def _attempt(model: str, result: CheckOutcome) -> dict[str, Any]:
    return {"model": model} | result.to_json()


def _as_stream_chunk(answer: dict[str, Any], model: str) -> dict[str, Any]:
    return {
        "id": answer.get("id", ""),
        "object": "chat.completion.chunk",
        "created": answer.get("created", int(time.time())),
        "model": model,
        "choices": [
            {"index": 0, "delta": {"role": "assistant", "content": _content(answer)}, "finish_reason": None}
        ],
    }


def _finish_chunk(answer: dict[str, Any], model: str) -> dict[str, Any]:
    try:
        reason = answer["choices"][0].get("finish_reason") or "stop"
    except (KeyError, IndexError, TypeError, AttributeError):
        reason = "stop"
    chunk: dict[str, Any] = {
        "id": answer.get("id", ""),
        "object": "chat.completion.chunk",
        "created": answer.get("created", int(time.time())),
        "model": model,
        "choices": [{"index": 0, "delta": {}, "finish_reason": reason}],
    }
    if answer.get("usage"):
        chunk["usage"] = answer["usage"]
    return chunk


def _all_experts_failed(answers: list[ExpertAnswer]) -> UpstreamError:
    detail = "; ".join(f"{a.model}: {a.error}" for a in answers)
    if answers and all(a.timed_out for a in answers):
        return UpstreamError(504, "upstream_timeout", f"every specialist timed out: {detail}")
    return UpstreamError(502, "upstream_error", f"no specialist answered: {detail}")


def _exhausted(failed: list[dict[str, Any]], errors: list[UpstreamError]) -> ApiError:
    """Every model of the chain failed: one error naming each, with the most telling status."""
    if len(errors) == 1:
        return from_upstream(errors[0])
    detail = "; ".join(f"{f['model']}: {f['error']}" for f in failed)
    statuses = {e.status for e in errors}
    if statuses == {503}:
        wait = min(e.retry_after_s or 1.0 for e in errors)
        return ApiError(
            503,
            f"no model could answer: {detail}",
            type_="upstream_error",
            code="breaker_open",
            headers={"Retry-After": str(max(1, round(wait)))},
        )
    elif statuses <= {504, 503} and 504 in statuses:
        status, code = 504, "upstream_timeout"
    else:
        status, code = 502, errors[-1].code if errors[-1].status == 502 else "upstream_error"
    return ApiError(status, f"no model could answer: {detail}", type_="upstream_error", code=code)
