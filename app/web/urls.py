"""Named routes for templates, fast. Starlette's ``request.url_for`` searches every route of every
included router for the name on each call; a page with dozens of forms spent a third of its time
there. The table of names is built once, when the app is assembled; URLs are still built from the
route definitions (never by hand), so a renamed path cannot leave a stale link."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import jinja2
from fastapi.routing import APIRouter
from starlette.datastructures import URL
from starlette.requests import Request
from starlette.routing import BaseRoute, Route

_ROUTES: dict[str, BaseRoute] = {}


def register_routes(routers: Iterable[APIRouter]) -> None:
    for router in routers:
        for route in router.routes:
            name = getattr(route, "name", None)
            if isinstance(route, Route) and name:
                if name in _ROUTES and _ROUTES[name] is not route:
                    raise ValueError(f"two routes are named {name}")
                _ROUTES[name] = route


def url_for(request: Request, name: str, /, **params: Any) -> URL:
    route = _ROUTES.get(name)
    if route is None:
        return request.url_for(name, **params)  # mounts (static files) and anything unregistered
    return route.url_path_for(name, **{k: str(v) for k, v in params.items()}).make_absolute_url(
        base_url=request.base_url)


@jinja2.pass_context
def template_url_for(context: dict[str, Any], name: str, /, **params: Any) -> URL:
    return url_for(context["request"], name, **params)
