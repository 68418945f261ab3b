"""Build API Gateway HTTP API (payload 2.0) events, as the local API server and API Gateway do."""

from __future__ import annotations

import json
import uuid
from typing import Any


def api_event(
    method: str,
    path: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
    raw_body: str | None = None,
    caller_arn: str | None = None,
    claims: dict[str, str] | None = None,
) -> dict[str, Any]:
    route = "POST /orders" if method == "POST" and path == "/orders" else ""
    path_parameters: dict[str, str] = {}
    if method == "GET" and path.startswith("/orders/"):
        route = "GET /orders/{orderId}"
        path_parameters = {"orderId": path.rsplit("/", 1)[1]}
    text = raw_body if raw_body is not None else (json.dumps(body) if body is not None else "")
    return {
        "version": "2.0",
        "routeKey": route or "$default",
        "rawPath": path,
        "headers": {"content-type": "application/json", **(headers or {})},
        "pathParameters": path_parameters,
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "http": {"method": method, "path": path},
            **({"authorizer": {"iam": {"userArn": caller_arn}}} if caller_arn else {}),
            **({"authorizer": {"jwt": {"claims": claims}}} if claims else {}),
        },
        "body": text,
        "isBase64Encoded": False,
    }
