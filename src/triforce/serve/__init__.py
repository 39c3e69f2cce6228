"""Serving: oracle-council's router and an OpenAI-compatible gateway in front of the models.

```python
from triforce.serve import Router, Gateway, create_app, ServerThread
decision = Router().route("Hook the item-get routine with a JSL")   # → euclid-asm, with reasons
app = create_app(Gateway.from_files())                              # an ASGI app (uvicorn, ...)
with ServerThread(app) as srv:                                      # or `triforce serve`
    print(srv.url)
```
"""

from triforce.serve.router import RouteDecision, Router, load_router_config

__all__ = ["Gateway", "RouteDecision", "Router", "ServerThread", "create_app", "load_router_config"]


def __getattr__(name: str) -> object:
    # The gateway pulls in the registry, the HTTP stack and uvicorn: only when asked for.
    if name == "Gateway":
        from triforce.serve.gateway import Gateway

        return Gateway
    if name in ("create_app", "ServerThread"):
        from triforce.serve import server

        return getattr(server, name)
    raise AttributeError(name)
