"""StartWorkflow: the HTTP API's function. POST /orders starts the order's execution; GET reads an order
(handlers.services.orders_api)."""

from __future__ import annotations

from typing import Any

from handlers import observability, wiring
from handlers.adapters.http import BadRequest, Request

api = wiring.orders_api()


@observability.entry_point
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    observability.bind(context)
    api.register_context(context)
    try:
        request = Request.from_event(event)
    except BadRequest as e:
        return e.response().to_event()
    return api.handle(request).to_event()
