"""The gateway end to end: real HTTP on 127.0.0.1 (uvicorn on a thread) against loopback upstreams.

The upstreams (`triforce.serve.loopback`) answer deterministically: `[<model>] <last user text>`
(word chunks when streaming); the synthesizer (`oracle-council`) answers `SYNTHESIS of <headings
it was given>`. A model's behaviour can be switched to fail (500), reject (400), slow, cut, hang,
and so on. The fault matrix, breakers, fallbacks and backpressure are in test_serve_faults.py.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from serve_helpers import ASM, CROSS, VAGUE, chat, dead_url, overrides, sse, start
from triforce.serve.gateway import Gateway
from triforce.serve.loopback import LoopbackUpstream
from triforce.serve.server import ServerThread

_chat, _sse = chat, sse


@pytest.fixture(scope="module")
def upstreams() -> Iterator[tuple[LoopbackUpstream, LoopbackUpstream]]:
    specialists, big = LoopbackUpstream().start_in_thread(), LoopbackUpstream().start_in_thread()
    yield specialists, big
    for s in (specialists, big):
        s.stop()


@pytest.fixture(scope="module")
def server(upstreams: tuple[LoopbackUpstream, LoopbackUpstream]) -> Iterator[ServerThread]:
    # Breakers that never open here: the fault tests exercise them on servers of their own.
    srv = start(
        Gateway.from_files(overrides=overrides(*upstreams)), max_body_bytes=64 * 1024, breaker_failures=10_000
    )
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def strict(upstreams: tuple[LoopbackUpstream, LoopbackUpstream]) -> Iterator[ServerThread]:
    """No fallbacks: an upstream's failure reaches the caller as it is."""
    srv = start(Gateway.from_files(overrides=overrides(*upstreams)), max_body_bytes=64 * 1024,
                breaker_failures=10_000, fallback=False)  # fmt: skip
    yield srv
    srv.stop()


@pytest.fixture()
def client(
    server: ServerThread, upstreams: tuple[LoopbackUpstream, LoopbackUpstream]
) -> Iterator[httpx.Client]:
    for up in upstreams:
        up.reset()
    with httpx.Client(base_url=server.url, timeout=10) as c:
        yield c


@pytest.fixture()
def strict_client(
    strict: ServerThread, upstreams: tuple[LoopbackUpstream, LoopbackUpstream]
) -> Iterator[httpx.Client]:
    for up in upstreams:
        up.reset()
    with httpx.Client(base_url=strict.url, timeout=10) as c:
        yield c


def test_health_and_models(client: httpx.Client) -> None:
    health = client.get("/health").json()
    assert health["status"] == "ok" and health["models_without_upstream"] == []
    data = client.get("/v1/models").json()["data"]
    ids = {m["id"] for m in data}
    assert {
        "oracle-council",
        "master-sword",
        "triforce-sage",
        "euclid-asm",
        "saria-voice",
        "oracle-din",
    } <= ids
    card = client.get("/v1/models/master-sword").json()
    assert card["x_triforce"]["alias_of"] == "triforce-sage"
    assert client.get("/v1/models/oracle-council").json()["x_triforce"]["mode"] == "route"
    assert client.get("/v1/models/nope").status_code == 404


def test_deep_health_finds_models_an_upstream_does_not_serve(
    client: httpx.Client, upstreams: tuple[LoopbackUpstream, LoopbackUpstream]
) -> None:
    specialists, big = upstreams
    specialists.serves = [
        "euclid-asm",
        "seph-tilesmith",
        "kaepora-teacher",
        "nayru-lorekeeper",
        "farore-questweaver",
    ]
    big.serves = ["triforce-sage", "master-sword", "oracle-council"]
    report = client.get("/health?upstreams=1").json()
    assert report["status"] == "degraded"
    assert report["upstreams"][specialists.base] == {
        "ok": True, "error": None, "serves": sorted(specialists.serves), "missing": ["saria-voice"],
    }  # fmt: skip
    assert report["upstreams"][big.base]["missing"] == []
    specialists.serves.append("saria-voice")
    assert client.get("/health?upstreams=1").json()["status"] == "ok"
    assert "upstreams" not in client.get("/health").json()


def test_direct_model_is_relayed_with_the_callers_parameters(
    client: httpx.Client, upstreams: tuple[LoopbackUpstream, LoopbackUpstream]
) -> None:
    r = _chat(client, "euclid-asm", "LDA #$01", temperature=0.3, stop=["\n\n"], max_tokens=64)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["choices"][0]["message"]["content"] == "[euclid-asm] LDA #$01"
    assert body["model"] == "euclid-asm" and body["x_triforce"]["route"] is None
    assert r.headers["X-Triforce-Route"] == "direct" and r.headers["X-Request-Id"].startswith("chatcmpl-tf-")
    sent = upstreams[0].requests[-1]
    assert sent["path"] == "/v1/chat/completions"
    assert (
        sent["body"]["temperature"] == 0.3
        and sent["body"]["stop"] == ["\n\n"]
        and sent["body"]["max_tokens"] == 64
    )
    assert sent["headers"]["x-triforce-hop"] == "1"


def test_alias_goes_to_the_unified_model(
    client: httpx.Client, upstreams: tuple[LoopbackUpstream, LoopbackUpstream]
) -> None:
    r = _chat(client, "master-sword", "hello")
    assert r.status_code == 200
    assert r.json()["choices"][0]["message"]["content"] == "[triforce-sage] hello"
    assert upstreams[1].models_called() == ["triforce-sage"]


def test_oracle_council_routes_pure_and_cross(client: httpx.Client) -> None:
    r = _chat(client, "oracle-council", ASM)
    assert r.status_code == 200, r.text
    meta = r.json()["x_triforce"]
    assert r.json()["choices"][0]["message"]["content"].startswith("[euclid-asm] ")
    assert (
        meta["route"]["kind"] == "specialist" and meta["model"] == "euclid-asm" and meta["route"]["reasons"]
    )
    assert r.headers["X-Triforce-Route"] == "specialist" and r.headers["X-Triforce-Domains"] == "asm"
    r = _chat(client, "oracle-council", CROSS)
    assert r.json()["choices"][0]["message"]["content"].startswith("[triforce-sage] ")
    assert r.headers["X-Triforce-Scope"] == "cross"
    assert {"quest", "asm"} <= set(r.json()["x_triforce"]["route"]["domains"]) <= {"quest", "asm", "cross"}


def test_route_endpoint_decides_without_calling_models(
    client: httpx.Client, upstreams: tuple[LoopbackUpstream, LoopbackUpstream]
) -> None:
    r = client.post("/v1/route", json={"messages": [{"role": "user", "content": CROSS}]})
    assert r.status_code == 200 and r.json()["route"]["model"] == "triforce-sage"
    r = client.post(
        "/v1/route", json={"model": "oracle-farore", "messages": [{"role": "user", "content": CROSS}]}
    )
    assert r.json()["route"]["model"] == "farore-questweaver"
    r = client.post("/v1/route", json={"model": "euclid-asm", "messages": [{"role": "user", "content": "x"}]})
    assert r.status_code == 400 and r.json()["error"]["param"] == "model"
    assert not upstreams[0].requests and not upstreams[1].requests


def test_category_routes_among_its_members(client: httpx.Client) -> None:
    r = _chat(client, "oracle-din", "Convert this PNG into 4bpp tiles and a BGR555 palette.")
    assert r.json()["model"] == "seph-tilesmith"
    r = _chat(client, "oracle-din", ASM)
    assert r.json()["model"] == "euclid-asm"


def test_moe_fans_out_then_synthesizes(
    client: httpx.Client, upstreams: tuple[LoopbackUpstream, LoopbackUpstream]
) -> None:
    r = _chat(client, "oracle-council", VAGUE)
    assert r.status_code == 200, r.text
    meta = r.json()["x_triforce"]
    experts = meta["experts"]
    assert meta["route"]["kind"] == "moe" and len(experts) >= 2 and all(e["ok"] for e in experts)
    assert sorted(upstreams[0].models_called()) == sorted(e["model"] for e in experts)
    assert upstreams[1].models_called() == ["oracle-council"]
    synthesis_prompt = upstreams[1].requests[-1]["body"]["messages"]
    assert synthesis_prompt[0]["role"] == "system" and "oracle-council" in synthesis_prompt[0]["content"]
    for e in experts:  # every specialist's answer reached the synthesizer
        assert f"[{e['model']}] {VAGUE}" in synthesis_prompt[-1]["content"]
    content = r.json()["choices"][0]["message"]["content"]
    assert content == "SYNTHESIS of " + " | ".join(f"{e['model']} ({e['domain']})" for e in experts)
    assert r.headers["X-Triforce-Route"] == "moe"


def test_moe_survives_one_failed_specialist_but_not_all(
    client: httpx.Client, upstreams: tuple[LoopbackUpstream, LoopbackUpstream]
) -> None:
    experts = _chat(client, "oracle-council", VAGUE).json()["x_triforce"]["experts"]
    upstreams[0].set_behaviour(experts[0]["model"], "fail")
    r = _chat(client, "oracle-council", VAGUE)
    assert r.status_code == 200
    status = {e["model"]: e for e in r.json()["x_triforce"]["experts"]}
    assert not status[experts[0]["model"]]["ok"] and "HTTP 500" in status[experts[0]["model"]]["error"]
    assert status[experts[0]["model"]]["attempts"] == 2  # one retry
    assert all(status[e["model"]]["ok"] for e in experts[1:])
    for e in experts:
        upstreams[0].set_behaviour(e["model"], "fail")
    r = _chat(client, "oracle-council", VAGUE)
    assert r.status_code == 502 and r.json()["error"]["code"] == "upstream_error"


def test_moe_reports_a_specialist_without_endpoint(
    upstreams: tuple[LoopbackUpstream, LoopbackUpstream],
) -> None:
    specialists, big = upstreams
    specialists.reset()
    routes = {name: specialists.base for name in Gateway.from_files().entries} | {"oracle-council": big.base}
    experts = Gateway.from_files().router.route(VAGUE).experts
    lost = experts[0][1]
    gateway = Gateway.from_files(overrides=routes | {lost: "http://127.0.0.1:1/v1"})
    assert [m.name for m in gateway.mark_loops("127.0.0.1", 1)] == [lost]  # as if it pointed at us
    with start(gateway) as srv, httpx.Client(base_url=srv.url, timeout=10) as c:
        r = _chat(c, "oracle-council", VAGUE)
    assert r.status_code == 200, r.text
    status = {e["model"]: e for e in r.json()["x_triforce"]["experts"]}
    assert not status[lost]["ok"] and "is this gateway itself" in status[lost]["error"]
    assert all(status[m]["ok"] for _, m in experts[1:])
    synthesis_prompt = big.requests[-1]["body"]["messages"][-1]["content"]
    assert f"### {lost} ({experts[0][0]})\n(no answer: " in synthesis_prompt


def test_streaming_direct_and_routed(client: httpx.Client) -> None:
    with client.stream(
        "POST", "/v1/chat/completions",
        json={"model": "oracle-council", "stream": True, "messages": [{"role": "user", "content": ASM}]},
    ) as r:  # fmt: skip
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        assert r.headers["X-Triforce-Model"] == "euclid-asm"
        events, done = _sse(r)
    assert done and len(events) > 3
    assert events[0]["x_triforce"]["route"]["kind"] == "specialist"
    assert all(e["model"] == "euclid-asm" for e in events)
    assert "".join(e["choices"][0]["delta"].get("content", "") for e in events) == f"[euclid-asm] {ASM}"


def test_streaming_moe(client: httpx.Client) -> None:
    with client.stream(
        "POST", "/v1/chat/completions",
        json={"model": "oracle-council", "stream": True, "messages": [{"role": "user", "content": VAGUE}]},
    ) as r:  # fmt: skip
        assert r.status_code == 200
        events, done = _sse(r)
    assert done
    text = "".join(e["choices"][0]["delta"].get("content", "") for e in events)
    assert text.startswith("SYNTHESIS of ") and len(events[0]["x_triforce"]["experts"]) >= 2


def test_streaming_errors(
    strict_client: httpx.Client, upstreams: tuple[LoopbackUpstream, LoopbackUpstream]
) -> None:
    upstreams[0].set_behaviour("euclid-asm", "fail")
    r = _chat(strict_client, "euclid-asm", "x", stream=True)  # fails before the first byte: a JSON error
    assert r.status_code == 502 and r.json()["error"]["code"] == "upstream_error"
    upstreams[0].set_behaviour("euclid-asm", "cut")
    with strict_client.stream(
        "POST", "/v1/chat/completions",
        json={"model": "euclid-asm", "stream": True, "messages": [{"role": "user", "content": "a b c"}]},
    ) as r:  # fmt: skip
        assert r.status_code == 200
        events, done = _sse(r)
    assert done and events[-1]["error"]["code"] == "upstream_incomplete"


@pytest.mark.parametrize(
    ("payload", "param"),
    [
        ({"messages": [{"role": "user", "content": "x"}]}, "model"),
        ({"model": "euclid-asm"}, "messages"),
        ({"model": "euclid-asm", "messages": []}, "messages"),
        ({"model": "euclid-asm", "messages": [{"role": "wizard", "content": "x"}]}, "messages[0].role"),
        ({"model": "euclid-asm", "messages": [{"role": "user", "content": 5}]}, "messages[0].content"),
        ({"model": "euclid-asm", "messages": [{"role": "user", "content": "x"}], "stream": "yes"}, "stream"),
        (
            {"model": "euclid-asm", "messages": [{"role": "user", "content": "x"}], "max_tokens": 0},
            "max_tokens",
        ),
        (
            {"model": "euclid-asm", "messages": [{"role": "user", "content": "x"}], "temperature": 9},
            "temperature",
        ),
        ({"model": "oracle-council", "messages": [{"role": "system", "content": "x"}]}, "messages"),
    ],
)
def test_bad_requests_name_the_field(client: httpx.Client, payload: dict[str, Any], param: str) -> None:
    r = client.post("/v1/chat/completions", json=payload)
    assert r.status_code == 400, r.text
    assert r.json()["error"]["param"] == param and r.json()["error"]["type"] == "invalid_request_error"


def test_http_errors(
    strict_client: httpx.Client, upstreams: tuple[LoopbackUpstream, LoopbackUpstream]
) -> None:
    client = strict_client
    r = client.post(
        "/v1/chat/completions", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_json"
    r = _chat(client, "zelda-9000", "x")
    assert r.status_code == 404 and r.json()["error"]["code"] == "model_not_found"
    assert client.post("/v1/completions", json={}).status_code == 404
    r = _chat(client, "euclid-asm", "x" * 70_000)
    assert r.status_code == 413 and r.json()["error"]["code"] == "request_too_large"
    upstreams[0].set_behaviour("euclid-asm", "fail")
    r = _chat(client, "euclid-asm", "x")
    assert r.status_code == 502 and "CUDA out of memory" in r.json()["error"]["message"]
    upstreams[0].set_behaviour("euclid-asm", "reject")
    r = _chat(client, "euclid-asm", "x")
    assert r.status_code == 400 and "max_tokens too large" in r.json()["error"]["message"]
    upstreams[0].set_behaviour("euclid-asm", "slow")
    r = _chat(client, "euclid-asm", "x")
    assert r.status_code == 504 and r.json()["error"]["code"] == "upstream_timeout"
    r = client.post(
        "/v1/chat/completions",
        json={"model": "euclid-asm", "messages": [{"role": "user", "content": "x"}]},
        headers={"X-Triforce-Hop": "1"},
    )
    assert r.status_code == 508 and r.json()["error"]["code"] == "upstream_loop"
    for r in (client.delete("/v1/models"), client.options("/v1/chat/completions"), client.put("/health")):
        assert (
            r.status_code == 405 and r.json()["error"]["code"] == "method_not_allowed" and r.headers["Allow"]
        )
    # Internal upstream URLs never reach a caller, in errors or model cards.
    for text in (r.text for r in [_chat(client, "euclid-asm", "x"), client.get("/v1/models")]):
        assert upstreams[0].base.split("/v1")[0] not in text and "127.0.0.1:" not in text


def test_slow_body_gets_408() -> None:
    import socket

    with start(Gateway.from_files(), body_timeout_s=0.3) as srv:
        with socket.create_connection((srv.host, srv.port), timeout=10) as sock:
            sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
            reply = b""
            while chunk := sock.recv(4096):
                reply += chunk
        assert reply.startswith(b"HTTP/1.1 408") and b'"code":"timeout"' in reply


def test_unreachable_upstream_loop_and_api_key() -> None:
    gateway = Gateway.from_files(overrides={"euclid-asm": dead_url()})
    with (
        start(gateway, api_key="sekrit", fallback=False) as srv,
        httpx.Client(base_url=srv.url, timeout=10) as c,
    ):
        assert _chat(c, "euclid-asm", "x").status_code == 401
        assert c.get("/health").status_code == 200  # health stays open for probes
        assert c.get("/health?upstreams=1").status_code == 401  # asking the upstreams does not
        for scheme in ("Bearer", "bearer", "BEARER"):  # the scheme is case-insensitive (RFC 7235)
            r = c.post(
                "/v1/chat/completions",
                json={"model": "euclid-asm", "messages": [{"role": "user", "content": "x"}]},
                headers={"Authorization": f"{scheme} sekrit"},
            )
            assert r.status_code == 502 and r.json()["error"]["code"] == "upstream_unreachable", scheme
        assert "is down" in r.json()["error"]["message"] and "127.0.0.1" not in r.text
        wrong = c.get("/v1/models", headers={"Authorization": "Bearer sekrit2"})
        assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "invalid_api_key"
        # This test server does not sit on oracle-council's endpoint: no loop is flagged.
        card = c.get("/v1/models/oracle-council", headers={"Authorization": "Bearer sekrit"}).json()
        assert card["x_triforce"]["upstream_loop"] is False
    gw = Gateway.from_files(overrides={"oracle-council": "http://localhost:4321/v1"})
    assert [m.name for m in gw.mark_loops("127.0.0.1", 4321)] == ["oracle-council"]
    assert gw.mark_loops("127.0.0.1", 4322) == []


def test_upstream_overrides_are_checked() -> None:
    from triforce.errors import ConfigError
    from triforce.serve.gateway import parse_overrides

    assert parse_overrides(["master-sword=http://gpu:8003/v1"]) == {"master-sword": "http://gpu:8003/v1"}
    for bad in ("euclid-asm", "=http://x", "euclid-asm=gpu:8001"):
        with pytest.raises(ConfigError, match="--upstream"):
            parse_overrides([bad])
    with pytest.raises(ConfigError, match="unknown model"):
        Gateway.from_files(overrides={"zelda-9000": "http://x/v1"})
    gw = Gateway.from_files(overrides={"master-sword": "http://big:9/v1"})
    assert gw.upstream_for("master-sword") == gw.upstream_for("triforce-sage")  # alias and name agree


def test_official_openai_client(server: ServerThread, client: httpx.Client) -> None:
    """The `openai` package (dev extra) talks to the gateway as to OpenAI: bodies, streams, errors."""
    openai = pytest.importorskip("openai")
    oai = openai.OpenAI(base_url=f"{server.url}/v1", api_key="unused", max_retries=0)
    assert "master-sword" in {m.id for m in oai.models.list()}
    r = oai.chat.completions.create(model="oracle-council", messages=[{"role": "user", "content": ASM}])
    assert r.model == "euclid-asm" and r.choices[0].message.content == f"[euclid-asm] {ASM}"
    assert r.model_extra["x_triforce"]["route"]["kind"] == "specialist"
    chunks = list(
        oai.chat.completions.create(
            model="oracle-council", messages=[{"role": "user", "content": VAGUE}], stream=True
        )
    )
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices).startswith("SYNTHESIS of ")
    raw = oai.chat.completions.with_raw_response.create(
        model="master-sword", messages=[{"role": "user", "content": "hi"}]
    )
    assert raw.headers["x-triforce-model"] == "triforce-sage"
    with pytest.raises(openai.NotFoundError) as missing:
        oai.chat.completions.create(model="zelda-9000", messages=[{"role": "user", "content": "x"}])
    assert missing.value.code == "model_not_found"
    with pytest.raises(openai.BadRequestError) as bad:
        oai.chat.completions.create(model="euclid-asm", messages=[{"role": "wizard", "content": "x"}])
    assert bad.value.param == "messages[0].role"


def test_cli_serve_check_reads_at_80_columns(upstreams: tuple[LoopbackUpstream, LoopbackUpstream]) -> None:
    from typer.testing import CliRunner

    from triforce.cli import app

    specialists = upstreams[0]
    names = [n for n, e in Gateway.from_files().entries.items() if e.kind != "category"]
    specialists.serves = [*names, "master-sword"]
    args = ["serve", "--check", *(a for n in names for a in ("--upstream", f"{n}={specialists.base}"))]
    res = CliRunner().invoke(app, args, env={"COLUMNS": "80"})
    assert res.exit_code == 0, res.output
    assert max(len(line) for line in res.output.splitlines()) <= 80
    for name in names:  # every model name whole, on a row of its own
        assert re.search(rf"^\W*{re.escape(name)}\s", res.output, re.MULTILINE), (name, res.output)
    specialists.serves = [n for n in names if n != "saria-voice"]
    res = CliRunner().invoke(app, args, env={"COLUMNS": "80"})
    assert res.exit_code == 1 and re.search(r"saria-voice .*missing", res.output)
    res = CliRunner().invoke(app, [*args, "--json"])
    report = json.loads(res.stdout)
    assert res.exit_code == 1 and not report["ok"]
    assert [m["model"] for m in report["models"] if not m["ok"]] == ["saria-voice"]
