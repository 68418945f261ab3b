"""StartWorkflow: the HTTP API's function. POST /orders starts the order's execution; GET reads an order
(handlers.services.orders_api, its events mapped by handlers.adapters.http)."""

from __future__ import annotations

from typing import Any

from handlers import observability, wiring
from handlers.adapters import http

api = wiring.orders_api()


@observability.entry_point
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    observability.bind(context)
    return http.answer(api.for_invocation(context), event)
