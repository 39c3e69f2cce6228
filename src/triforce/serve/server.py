"""Running the gateway: one listening socket, uvicorn, one or several worker processes.

The socket is bound and put in listen mode here, before any worker starts, so "port in use" is
one clear error (not a traceback per worker), the listen queue is deep from the first moment
(`backlog`, capped by the kernel's `net.core.somaxconn`), and workers share it. Each worker builds
its own app from the settings (`ServeSettings`, passed in an environment variable): nothing else
is shared. SIGTERM or SIGINT stops accepting, lets in-flight requests (streams included) finish
for up to `graceful_s`, then closes the upstream connections.

```python
from triforce.serve.server import ServerThread, create_app
with ServerThread(create_app(gateway, options)) as srv:   # tests, notebooks: a thread, port 0
    httpx.get(f"{srv.url}/health")
```
"""

from __future__ import annotations

import errno
import os
import socket
import threading
import time
from typing import Any

from triforce.errors import ConfigError
from triforce.serve.app import TriforceApp
from triforce.serve.gateway import Gateway
from triforce.serve.router import load_router_config
from triforce.serve.settings import SETTINGS_ENV, ServeOptions, ServeSettings

BACKLOG = 4096


def create_app(
    gateway: Gateway, options: ServeOptions | None = None, *, address: tuple[str, int] | None = None
) -> Any:
    """The ASGI app for `gateway`, wrapped in CORS handling when origins are configured."""
    options = options or ServeOptions()
    app: Any = TriforceApp(gateway, options, address=address)
    if options.cors_origins:
        from starlette.middleware.cors import CORSMiddleware

        app = CORSMiddleware(
            app,
            allow_origins=list(options.cors_origins),
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=["Authorization", "Content-Type", "X-Request-Id"],
            expose_headers=["X-Request-Id", "X-Triforce-Model", "X-Triforce-Route", "X-Triforce-Scope",
                            "X-Triforce-Domains", "X-Triforce-Fallback-From", "X-Triforce-Verified"],
            max_age=600,
        )  # fmt: skip
    return app


def build_gateway(settings: ServeSettings) -> Gateway:
    router = load_router_config(settings.router) if settings.router else None
    return Gateway.from_files(settings.registry, router, settings.overrides)


def app_from_env() -> Any:
    """uvicorn's app factory in each worker process: everything comes from the settings."""
    from triforce.serve import accesslog

    settings = ServeSettings.from_env()
    accesslog.configure(access=settings.options.access_log)
    return create_app(build_gateway(settings), settings.options, address=(settings.host, settings.port))


def bind(host: str, port: int, backlog: int = BACKLOG) -> socket.socket:
    """A listening socket, or one ConfigError that says what is wrong."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(backlog)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise ConfigError(
                f"--port {port}: another program already listens on {host}:{port}; "
                "stop it or choose another --port"
            ) from None
        if exc.errno == errno.EADDRNOTAVAIL:
            raise ConfigError(f"--host {host}: not an address of this machine") from None
        if exc.errno == errno.EACCES:
            raise ConfigError(
                f"--port {port}: permission denied (ports below 1024 need privileges)"
            ) from None
        raise ConfigError(f"--host {host} --port {port}: cannot listen ({exc.strerror})") from None
    sock.set_inheritable(True)
    return sock


def _uvicorn_config(app: Any, options: ServeOptions, workers: int) -> Any:
    import uvicorn

    return uvicorn.Config(
        app,
        factory=isinstance(app, str),
        workers=workers,
        lifespan="on",
        log_config=None,
        log_level="warning",
        access_log=False,
        backlog=BACKLOG,
        timeout_keep_alive=30,
        timeout_graceful_shutdown=max(1, round(options.graceful_s)),
        server_header=False,
    )


def run(settings: ServeSettings, sock: socket.socket, workers: int = 1) -> None:
    """Serve on `sock` until SIGINT/SIGTERM (graceful), in this process or `workers` processes."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    os.environ[SETTINGS_ENV] = settings.to_env()
    if workers > 1:
        config = _uvicorn_config("triforce.serve.server:app_from_env", settings.options, workers)
        Multiprocess(config, sockets=[sock]).run()
        return
    config = _uvicorn_config(app_from_env(), settings.options, 1)
    uvicorn.Server(config).run(sockets=[sock])


class ServerThread:
    """The gateway on a background thread (its own event loop): for tests, benchmarks, notebooks."""

    def __init__(
        self, app: Any, host: str = "127.0.0.1", port: int = 0, options: ServeOptions | None = None
    ) -> None:
        import uvicorn

        self.app = app
        self.sock = bind(host, port)
        self.host, self.port = self.sock.getsockname()[:2]
        self.server = uvicorn.Server(_uvicorn_config(app, options or ServeOptions(), 1))
        self._thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> ServerThread:
        if self._thread.is_alive():
            return self
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the gateway did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self._thread.join(30)
        self.sock.close()

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
