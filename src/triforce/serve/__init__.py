"""Serving: oracle-council's router and an OpenAI-compatible gateway in front of the models.

```python
from triforce.serve import Router, Gateway, make_server
decision = Router().route("Hook the item-get routine with a JSL")   # → euclid-asm, with reasons
server = make_server(Gateway.from_files(), "127.0.0.1", 8080)       # POST /v1/chat/completions
server.serve_forever()
```
"""

from triforce.serve.router import RouteDecision, Router, load_router_config

__all__ = ["Gateway", "RouteDecision", "Router", "load_router_config", "make_server"]


def __getattr__(name: str) -> object:
    # The gateway pulls in the registry and the HTTP client: only when asked for.
    if name == "Gateway":
        from triforce.serve.gateway import Gateway

        return Gateway
    if name == "make_server":
        from triforce.serve.app import make_server

        return make_server
    raise AttributeError(name)
