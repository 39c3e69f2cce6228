"""The fault matrix: every way an upstream or a caller misbehaves, with the status the caller gets,
and the gateway still serving afterwards. Also backpressure, breakers, fallbacks, safe retries,
upstream credentials, CORS, metrics, access logs and a graceful stop."""

from __future__ import annotations

import io
import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from serve_helpers import ASM, VAGUE, chat, dead_url, overrides, serving, sse, start
from triforce.serve import accesslog
from triforce.serve.gateway import Gateway
from triforce.serve.loopback import LoopbackUpstream
from triforce.serve.server import ServerThread


@pytest.fixture(scope="module")
def upstreams() -> Iterator[tuple[LoopbackUpstream, LoopbackUpstream]]:
    ups = LoopbackUpstream(slow_s=3.0).start_in_thread(), LoopbackUpstream().start_in_thread()
    yield ups
    for up in ups:
        up.stop()


@pytest.fixture()
def ups(upstreams: tuple[LoopbackUpstream, LoopbackUpstream]) -> tuple[LoopbackUpstream, LoopbackUpstream]:
    for up in upstreams:
        up.reset()
    return upstreams


@pytest.fixture(scope="module")
def strict(upstreams: tuple[LoopbackUpstream, LoopbackUpstream]) -> Iterator[ServerThread]:
    srv = start(Gateway.from_files(overrides=overrides(*upstreams)), fallback=False, breaker_failures=10_000)
    yield srv
    srv.stop()


def _still_serving(srv: ServerThread) -> None:
    with httpx.Client(base_url=srv.url, timeout=10) as c:
        r = chat(c, "saria-voice", "still there?")
    assert (
        r.status_code == 200 and r.json()["choices"][0]["message"]["content"] == "[saria-voice] still there?"
    )


@pytest.mark.parametrize(
    ("behaviour", "status", "code"),
    [
        ("fail", 502, "upstream_error"),  # HTTP 500
        ("badjson", 502, "upstream_bad_response"),
        ("drop", 502, "upstream_unreachable"),  # connection closed without an answer
        ("hang", 504, "upstream_timeout"),  # no answer within --timeout (1 s here)
        ("limit", 429, "upstream_rate_limited"),
        ("reject", 400, "upstream_rejected_request"),
    ],
)
def test_upstream_fault_matrix(
    strict: ServerThread,
    ups: tuple[LoopbackUpstream, LoopbackUpstream],
    behaviour: str,
    status: int,
    code: str,
) -> None:
    ups[0].set_behaviour("euclid-asm", behaviour)
    with httpx.Client(base_url=strict.url, timeout=10) as c:
        r = chat(c, "euclid-asm", "x")
        assert (r.status_code, r.json()["error"]["code"]) == (status, code), r.text
        s = chat(c, "euclid-asm", "x", stream=True)  # the same before a stream's first byte
        assert (s.status_code, s.json()["error"]["code"]) == (status, code), s.text
    assert "127.0.0.1" not in r.text
    _still_serving(strict)


@pytest.mark.parametrize(
    ("behaviour", "code"), [("stall", "upstream_timeout"), ("cut", "upstream_incomplete")]
)
def test_stream_fault_mid_stream(
    strict: ServerThread, ups: tuple[LoopbackUpstream, LoopbackUpstream], behaviour: str, code: str
) -> None:
    """After the first chunk the status is sent: the failure arrives in-band, then [DONE]."""
    ups[0].set_behaviour("euclid-asm", behaviour)
    with httpx.Client(base_url=strict.url, timeout=10) as c, c.stream(
        "POST", "/v1/chat/completions",
        json={"model": "euclid-asm", "stream": True, "messages": [{"role": "user", "content": "a b c d e"}]},
    ) as r:  # fmt: skip
        assert r.status_code == 200
        events, done = sse(r)
    assert done and events[0]["choices"][0]["delta"]["content"] == "[euclid-asm]"
    assert events[-1]["error"]["code"] == code
    assert ups[0].counts["euclid-asm"] == 1  # never retried once bytes went out
    _still_serving(strict)


def test_upstream_down(ups: tuple[LoopbackUpstream, LoopbackUpstream]) -> None:
    routes = overrides(*ups) | {"euclid-asm": dead_url()}
    with start(Gateway.from_files(overrides=routes), fallback=False) as srv:
        with httpx.Client(base_url=srv.url, timeout=10) as c:
            r = chat(c, "euclid-asm", "x")
        assert r.status_code == 502 and r.json()["error"]["code"] == "upstream_unreachable"
        assert r.json()["error"]["message"] == "euclid-asm: the model server is down"
        _still_serving(srv)


def test_lone_surrogate_is_a_400(strict: ServerThread) -> None:
    raw = b'{"model": "euclid-asm", "messages": [{"role": "user", "content": "\\ud800 hi"}]}'
    with httpx.Client(base_url=strict.url, timeout=10) as c:
        r = c.post("/v1/chat/completions", content=raw, headers={"Content-Type": "application/json"})
        bad_utf8 = c.post("/v1/chat/completions", content=b'{"model": "\xed\xa0\x80"}')
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_unicode"
    assert bad_utf8.status_code == 400
    _still_serving(strict)


def test_client_disconnect_cancels_the_upstream_call_and_frees_the_slot(
    ups: tuple[LoopbackUpstream, LoopbackUpstream],
) -> None:
    ups[0].set_behaviour("euclid-asm", "hang")
    routes = overrides(*ups)
    with start(Gateway.from_files(overrides=routes), timeout_s=60, max_in_flight=1, max_queue=0) as srv:
        for n, stream in enumerate((False, True), start=1):
            body = json.dumps(
                {"model": "euclid-asm", "stream": stream, "messages": [{"role": "user", "content": "x"}]}
            )
            with socket.create_connection((srv.host, srv.port)) as sock:
                sock.sendall(
                    f"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(body)}\r\n\r\n{body}".encode()
                )
                _wait(lambda: ups[0].counts["euclid-asm"] >= n)  # noqa: B023 - the upstream has it
            # The caller hung up: the upstream connection is closed and the slot is free at once.
            _wait(lambda: ups[0].hangups >= n)  # noqa: B023
            _wait(lambda: srv.app.admission.in_flight == 0)
            _still_serving(srv)  # with max_in_flight=1, a leaked slot would make this a 503
        with httpx.Client(base_url=srv.url, timeout=10) as c:
            metrics = c.get("/metrics").text
        assert "triforce_client_disconnects_total 2.0" in metrics


def _wait(condition: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.01)


def test_backpressure_queue_then_503_with_retry_after_after_reading_the_body(
    ups: tuple[LoopbackUpstream, LoopbackUpstream],
) -> None:
    ups[0].set_behaviour("euclid-asm", "slow")  # 3 s
    routes = overrides(*ups)
    options = {"timeout_s": 10, "max_in_flight": 1, "max_queue": 1, "queue_timeout_s": 0.5}
    with start(Gateway.from_files(overrides=routes), **options) as srv:
        results: dict[str, int] = {}
        first = threading.Thread(target=lambda: results.update(first=_status(srv, "euclid-asm")))
        first.start()
        _wait(lambda: srv.app.admission.in_flight == 1)
        queued = threading.Thread(target=lambda: results.update(queued=_status(srv, "saria-voice")))
        queued.start()
        _wait(lambda: srv.app.admission.queued == 1)
        # Queue full: refused at once, with a body big enough that an unread one would reset the line.
        with httpx.Client(base_url=srv.url, timeout=10) as c:
            r = chat(c, "saria-voice", "y" * 200_000)
        assert (
            r.status_code == 503 and r.headers["Retry-After"] == "1" and r.json()["error"]["code"] == "busy"
        )
        queued.join()
        assert results["queued"] == 503  # waited its 0.5 s in the queue, then refused
        first.join()
        assert results["first"] == 200
        assert srv.app.admission.in_flight == 0 and srv.app.admission.queued == 0
        _still_serving(srv)


def _status(srv: ServerThread, model: str) -> int:
    with httpx.Client(base_url=srv.url, timeout=30) as c:
        return chat(c, model, "z").status_code


def test_breaker_opens_then_half_open_probe_closes_it(ups: tuple[LoopbackUpstream, LoopbackUpstream]) -> None:
    ups[0].set_behaviour("euclid-asm", "fail")
    routes = overrides(*ups)
    gateway = Gateway.from_files(overrides=routes)
    with serving(gateway, fallback=False, breaker_failures=2, breaker_cooldown_s=0.5) as (_srv, c):
        assert [chat(c, "euclid-asm", "x").status_code for _ in range(2)] == [502, 502]
        r = chat(c, "euclid-asm", "x")  # open: refused without asking the upstream
        assert (
            r.status_code == 503 and r.json()["error"]["code"] == "breaker_open" and r.headers["Retry-After"]
        )
        assert ups[0].counts["euclid-asm"] == 2
        health = c.get("/health").json()
        assert health["status"] == "degraded"
        (name, state), *_ = [(n, b) for n, b in health["breakers"].items() if "euclid-asm" in n]
        assert state["state"] == "open" and state["consecutive_failures"] == 2
        assert "127.0.0.1" not in json.dumps(health["breakers"])  # named by models, not URLs
        assert f'triforce_breaker_state{{upstream="{name}"}} 2.0' in c.get("/metrics").text
        ups[0].set_behaviour("euclid-asm", "ok")
        time.sleep(0.6)  # cool-down over: one probe goes through and closes the breaker
        assert chat(c, "euclid-asm", "x").status_code == 200
        assert c.get("/health").json()["breakers"][name]["state"] == "closed"


def test_fallback_chain_specialist_then_sage_then_moe(ups: tuple[LoopbackUpstream, LoopbackUpstream]) -> None:
    big = ups[1]
    routes = overrides(*ups) | {"euclid-asm": dead_url()}
    with start(Gateway.from_files(overrides=routes)) as srv, httpx.Client(base_url=srv.url, timeout=10) as c:
        r = chat(c, "oracle-council", ASM)
        assert r.status_code == 200, r.text
        assert r.json()["model"] == "triforce-sage" and r.headers["X-Triforce-Fallback-From"] == "euclid-asm"
        assert r.json()["x_triforce"]["fallback"][0]["code"] == "upstream_unreachable"
        with c.stream("POST", "/v1/chat/completions",
                      json={"model": "euclid-asm", "stream": True, "messages": [{"role": "user", "content": "a b"}]}) as s:  # fmt: skip
            events, done = sse(s)
        assert done and events[0]["model"] == "triforce-sage"
        big.set_behaviour("triforce-sage", "fail")  # sage down too: the MoE path answers
        r = chat(c, "euclid-asm", ASM)
        assert r.status_code == 200, r.text
        meta = r.json()["x_triforce"]
        assert r.json()["model"] == "oracle-council" and [f["model"] for f in meta["fallback"]] == [
            "euclid-asm",
            "triforce-sage",
        ]
        assert meta["experts"] and "euclid-asm" not in {e["model"] for e in meta["experts"]}
        big.set_behaviour("oracle-council", "fail")  # nothing left: one error naming every model
        r = chat(c, "euclid-asm", ASM)
        assert r.status_code == 502 and all(
            m in r.json()["error"]["message"] for m in ("euclid-asm", "triforce-sage")
        )


def test_retries_only_where_safe(
    strict: ServerThread, ups: tuple[LoopbackUpstream, LoopbackUpstream]
) -> None:
    ups[0].set_behaviour("euclid-asm", "flaky")  # 503 on the first call, then an answer
    with httpx.Client(base_url=strict.url, timeout=10) as c:
        r = chat(c, "euclid-asm", "x")
        assert r.status_code == 200 and ups[0].counts["euclid-asm"] == 2  # retried: nothing was sent yet
        ups[0].set_behaviour("euclid-asm", "drop")  # may have reached the model: not retried
        assert chat(c, "euclid-asm", "x").status_code == 502 and ups[0].counts["euclid-asm"] == 3
        ups[0].set_behaviour("euclid-asm", "fail")  # a 500 is the model's answer: not retried
        assert chat(c, "euclid-asm", "x").status_code == 502 and ups[0].counts["euclid-asm"] == 4


def test_upstream_api_keys_from_the_environment(
    ups: tuple[LoopbackUpstream, LoopbackUpstream], tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from triforce.errors import ConfigError

    registry = tmp_path / "models.toml"
    registry.write_text(
        '[models.euclid-asm]\nkind = "specialist"\ncategory = "oracle-din"\napi_key_env = "EUCLID_KEY"\n'
        'fallback = ["triforce-sage"]\n'
    )
    with pytest.raises(ConfigError, match=r"EUCLID_KEY"):
        Gateway.from_files(registry, overrides=overrides(*ups))
    monkeypatch.setenv("EUCLID_KEY", "sk-euclid-secret")
    monkeypatch.setenv("TRIFORCE_UPSTREAM_API_KEY", "sk-default-secret")
    log = io.StringIO()
    accesslog.configure(stream=log)
    try:
        gateway = Gateway.from_files(registry, overrides=overrides(*ups))
        with start(gateway, access_log=True) as srv, httpx.Client(base_url=srv.url, timeout=10) as c:
            assert chat(c, "euclid-asm", "x").status_code == 200
            assert chat(c, "saria-voice", "x").status_code == 200
            assert "sk-" not in c.get("/health?upstreams=1").text + c.get("/metrics").text
            assert "sk-" not in repr(gateway.models["euclid-asm"])
    finally:
        accesslog.configure()
    sent = {r["body"]["model"]: r["headers"].get("authorization") for r in ups[0].requests}
    assert sent == {"euclid-asm": "Bearer sk-euclid-secret", "saria-voice": "Bearer sk-default-secret"}
    assert "sk-" not in log.getvalue() and '"status":200' in log.getvalue()


def test_port_in_use_is_one_clear_error() -> None:
    from typer.testing import CliRunner

    from triforce.cli import app
    from triforce.errors import ConfigError

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        res = CliRunner().invoke(app, ["serve", "--port", str(port)])
    assert isinstance(res.exception, ConfigError)
    assert f"--port {port}: another program already listens on 127.0.0.1:{port}" in str(res.exception)


def test_cors_is_configurable(ups: tuple[LoopbackUpstream, LoopbackUpstream]) -> None:
    origin = "https://editor.example"
    with serving(Gateway.from_files(overrides=overrides(*ups)), cors_origins=(origin,)) as (_srv, c):
        pre = c.options(
            "/v1/chat/completions",
            headers={"Origin": origin, "Access-Control-Request-Method": "POST",
                     "Access-Control-Request-Headers": "authorization,content-type"},
        )  # fmt: skip
        assert pre.status_code == 200 and pre.headers["access-control-allow-origin"] == origin
        r = c.post(
            "/v1/chat/completions",
            json={"model": "euclid-asm", "messages": [{"role": "user", "content": "x"}]},
            headers={"Origin": origin},
        )
        assert r.headers["access-control-allow-origin"] == origin
        assert "X-Triforce-Model" in r.headers["access-control-expose-headers"]
        other = c.options(
            "/v1/chat/completions",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        )
        assert "access-control-allow-origin" not in other.headers


def test_metrics_and_access_log(ups: tuple[LoopbackUpstream, LoopbackUpstream]) -> None:
    log = io.StringIO()
    accesslog.configure(stream=log)
    try:
        with serving(Gateway.from_files(overrides=overrides(*ups)), access_log=True) as (_srv, c):
            chat(c, "oracle-council", ASM)
            chat(c, "oracle-council", VAGUE)
            ups[0].set_behaviour("saria-voice", "fail")
            chat(c, "saria-voice", "secret words")
            text = c.get("/metrics").text
        with serving(Gateway.from_files(overrides=overrides(*ups)), access_log=True, log_bodies=True) as (
            _srv,
            c,
        ):
            chat(c, "euclid-asm", "logged words")
    finally:
        accesslog.configure()
    for needle in (
        'triforce_requests_total{method="POST",model="euclid-asm",path="/v1/chat/completions",status="200"} 1.0',
        'triforce_route_decisions_total{kind="specialist",model="euclid-asm"} 1.0',
        'triforce_route_decisions_total{kind="moe",model="oracle-council"} 1.0',
        'triforce_upstream_errors_total{code="upstream_error",model="saria-voice"} 1.0',
        'triforce_fallbacks_total{answered="triforce-sage",failed="saria-voice"} 1.0',
        "triforce_request_duration_seconds_bucket",
        "triforce_queue_depth 0.0",
        "triforce_in_flight 0.0",
        "triforce_breaker_state{",
    ):
        assert needle in text, needle
    lines = [json.loads(line) for line in log.getvalue().splitlines()]
    chats = [line for line in lines if line.get("path") == "/v1/chat/completions"]
    assert [c["route"] for c in chats[:3]] == ["specialist", "moe", "direct"]
    assert chats[2]["fallback_from"] == ["saria-voice"] and chats[2]["model"] == "triforce-sage"
    assert all({"ts", "request_id", "status", "duration_ms", "pid"} <= set(c) for c in chats)
    assert "secret words" not in log.getvalue()  # no bodies unless asked
    assert chats[-1]["messages"] == [{"role": "user", "content": "logged words"}]


def test_graceful_stop_finishes_in_flight_requests(ups: tuple[LoopbackUpstream, LoopbackUpstream]) -> None:
    ups[0].latency_s = 0.8
    try:
        srv = start(Gateway.from_files(overrides=overrides(*ups)), timeout_s=10, graceful_s=10)
        results: list[int] = []
        worker = threading.Thread(target=lambda: results.append(_status(srv, "euclid-asm")))
        worker.start()
        _wait(lambda: srv.app.admission.in_flight == 1)
        srv.stop()  # what SIGTERM does: stop accepting, let in-flight work finish
        worker.join()
        assert results == [200]
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{srv.url}/health", timeout=2)
    finally:
        ups[0].latency_s = 0.0


def test_workers_share_the_socket_and_sigterm_finishes_in_flight_requests(
    ups: tuple[LoopbackUpstream, LoopbackUpstream], tmp_path: Any
) -> None:
    """`triforce serve --workers 2`: two processes answer on one port, each with its own state;
    SIGTERM lets an in-flight request finish, then every process exits 0. The start-up table is
    readable at 80 columns and every request leaves one JSON access-log line."""
    import os
    import re
    import signal
    import subprocess
    import sys

    ups[0].latency_s = 1.0
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "COLUMNS": "80"}
    log = tmp_path / "serve.log"
    args = [sys.executable, "-m", "triforce", "serve", "--port", "0", "--workers", "2",
            *(a for n, url in overrides(*ups).items() for a in ("--upstream", f"{n}={url}"))]  # fmt: skip
    with log.open("w") as out:
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        found = None
        deadline = time.monotonic() + 90
        while found is None and time.monotonic() < deadline and proc.poll() is None:
            found = re.search(r"listening on (http://127\.0\.0\.1:\d+)/v1", log.read_text())
            time.sleep(0.05)
        assert found, log.read_text()
        url = found.group(1)
        pids: set[int] = set()
        while len(pids) < 2 and time.monotonic() < deadline:
            try:  # a new connection each time: the kernel hands it to whichever worker accepts
                pids.add(httpx.get(f"{url}/health", timeout=5, headers={"Connection": "close"}).json()["pid"])
            except httpx.TransportError:
                time.sleep(0.1)  # a worker still starting
        assert len(pids) == 2 and proc.pid not in pids
        results: list[int] = []
        worker = threading.Thread(
            target=lambda: results.append(
                httpx.post(f"{url}/v1/chat/completions", timeout=30,
                           json={"model": "euclid-asm", "messages": [{"role": "user", "content": "x"}]}).status_code
            )
        )  # fmt: skip
        worker.start()
        _wait(lambda: ups[0].counts["euclid-asm"] >= 1)  # the request is with the upstream now
        proc.send_signal(signal.SIGTERM)
        worker.join()
        assert results == [200]
        assert proc.wait(timeout=30) == 0
    finally:
        ups[0].latency_s = 0.0
        if proc.poll() is None:
            proc.kill()
    text = log.read_text()
    assert "Traceback" not in text and "shut down" in text
    assert "farore-questweaver" in text and "master-sword" in text  # names whole at 80 columns
    access = [
        json.loads(line) for line in text.splitlines() if line.startswith("{") and '"request_id"' in line
    ]
    assert access[-1]["status"] == 200 and access[-1]["model"] == "euclid-asm"
    assert "messages" not in access[-1]  # no bodies unless --log-bodies


def test_the_official_openai_client_sees_the_fault_matrix(
    strict: ServerThread, ups: tuple[LoopbackUpstream, LoopbackUpstream]
) -> None:
    """What an editor or agent on the `openai` package gets from each fault: a typed error with the
    gateway's code (before a stream's first byte) or an APIError raised mid-stream (after it)."""
    openai = pytest.importorskip("openai")
    oai = openai.OpenAI(base_url=f"{strict.url}/v1", api_key="unused", max_retries=0, timeout=10)
    ask = [{"role": "user", "content": "a b c d e"}]
    expected = {
        "fail": (openai.InternalServerError, 502, "upstream_error"),
        "badjson": (openai.InternalServerError, 502, "upstream_bad_response"),
        "drop": (openai.InternalServerError, 502, "upstream_unreachable"),
        "hang": (openai.InternalServerError, 504, "upstream_timeout"),
        "limit": (openai.RateLimitError, 429, "upstream_rate_limited"),
        "reject": (openai.BadRequestError, 400, "upstream_rejected_request"),
    }
    for behaviour, (error, status, code) in expected.items():
        ups[0].set_behaviour("euclid-asm", behaviour)
        for stream in (False, True):
            with pytest.raises(error) as caught:
                result = oai.chat.completions.create(model="euclid-asm", messages=ask, stream=stream)
                list(result) if stream else None
            assert (caught.value.status_code, caught.value.code) == (status, code), behaviour
            assert "127.0.0.1" not in str(caught.value)
    for behaviour, code in (("stall", "upstream_timeout"), ("cut", "upstream_incomplete")):
        ups[0].set_behaviour("euclid-asm", behaviour)
        chunks = oai.chat.completions.create(model="euclid-asm", messages=ask, stream=True)
        seen = []
        with pytest.raises(openai.APIError) as mid:
            for chunk in chunks:
                seen.append(chunk.choices[0].delta.content)
        assert seen[0] == "[euclid-asm]" and code in str(mid.value.body)
    ups[0].set_behaviour("euclid-asm", "ok")
    _still_serving(strict)
