"""The OpenAI chat-completions wire format as the gateway speaks it: request validation,
OpenAI-shaped errors, model cards and the routing headers.

Kept apart from the HTTP handler so the protocol rules read in one place.
"""

from __future__ import annotations

from typing import Any

from triforce.serve.gateway import Gateway, ServedModel
from triforce.serve.router import RouteDecision
from triforce.serve.upstream import UpstreamError

ROLES = {"system", "developer", "user", "assistant", "tool", "function"}


class ApiError(Exception):
    """An error answered to the caller as OpenAI-style JSON."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type_: str,
        code: str,
        param: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.type, self.code, self.param = status, message, type_, code, param
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}


def bad_request(message: str, param: str | None = None, code: str = "invalid_request") -> ApiError:
    return ApiError(400, message, type_="invalid_request_error", code=code, param=param)


def from_upstream(exc: UpstreamError) -> ApiError:
    type_ = "invalid_request_error" if exc.status == 400 else "upstream_error"
    headers = {"Retry-After": str(max(1, round(exc.retry_after_s)))} if exc.retry_after_s else None
    return ApiError(exc.status, exc.message, type_=type_, code=exc.code, headers=headers)


def validate_chat(body: dict[str, Any]) -> None:
    """Reject what no upstream could answer, naming the field (OpenAI's `param`)."""
    model = body.get("model")
    if not isinstance(model, str) or not model.strip():
        raise bad_request("'model' is required and must be a non-empty string", param="model")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise bad_request("'messages' is required and must be a non-empty list", param="messages")
    for i, m in enumerate(messages):
        if not isinstance(m, dict):
            raise bad_request(f"messages[{i}] must be an object", param=f"messages[{i}]")
        if m.get("role") not in ROLES:
            raise bad_request(
                f"messages[{i}].role must be one of {', '.join(sorted(ROLES))}", param=f"messages[{i}].role"
            )
        content = m.get("content")
        if content is not None and not isinstance(content, str | list):
            raise bad_request(
                f"messages[{i}].content must be a string or a list of parts", param=f"messages[{i}].content"
            )
    if "stream" in body and not isinstance(body["stream"], bool):
        raise bad_request("'stream' must be true or false", param="stream")
    for key in ("max_tokens", "max_completion_tokens", "n"):
        value = body.get(key)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
            raise bad_request(f"'{key}' must be a positive integer", param=key)
    for key, low, high in (("temperature", 0.0, 2.0), ("top_p", 0.0, 1.0)):
        value = body.get(key)
        if value is not None and (
            not isinstance(value, int | float) or isinstance(value, bool) or not low <= value <= high
        ):
            raise bad_request(f"'{key}' must be a number from {low:g} to {high:g}", param=key)


def route_headers(request_id: str, model: str, decision: RouteDecision | None) -> dict[str, str]:
    headers = {"X-Request-Id": request_id, "X-Triforce-Model": model}
    if decision is not None:
        headers["X-Triforce-Route"] = decision.kind
        headers["X-Triforce-Scope"] = decision.scope
        headers["X-Triforce-Domains"] = ",".join(decision.domains or tuple(d for d, _ in decision.experts))
    else:
        headers["X-Triforce-Route"] = "direct"
    return headers


def model_card(served: ServedModel) -> dict[str, Any]:
    e = served.entry
    return {
        "id": served.name,
        "object": "model",
        "created": 0,
        "owned_by": "triforce",
        "x_triforce": {
            "kind": e.kind,
            "mode": served.mode,
            "alias_of": served.alias_of,
            "description": e.description,
            "base_model": e.base_model,
            "domains": list(served.domains) or e.domains,
            "upstream": served.upstream is not None,
            "upstream_loop": served.loop,
        },
    }


def unknown_model(name: str, gateway: Gateway) -> ApiError:
    return ApiError(
        404,
        f"model {name!r} does not exist; GET /v1/models lists them ({', '.join(gateway.models)})",
        type_="invalid_request_error",
        code="model_not_found",
        param="model",
    )


def unauthorized() -> ApiError:
    return ApiError(
        401,
        "missing or wrong API key (Authorization: Bearer ...)",
        type_="authentication_error",
        code="invalid_api_key",
    )
