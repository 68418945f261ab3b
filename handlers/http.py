"""API Gateway HTTP API (payload format 2.0) requests and responses, and RFC 9457 problem bodies."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

MAX_BODY_BYTES = 64 * 1024


class BadRequest(Exception):
    """A client mistake, answered with a problem body; never a 5xx, never a stack trace."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        errors: list[dict[str, str]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail
        self.errors = errors
        self.headers = dict(headers or {})

    def response(self) -> Response:
        return problem(self.status, self.title, self.detail, errors=self.errors, headers=self.headers)


def _caller(authorizer: Mapping[str, Any]) -> str | None:
    iam = authorizer.get("iam") or {}
    if iam.get("userArn") or iam.get("userId"):
        return f"iam:{iam.get('userArn') or iam.get('userId')}"
    claims = (authorizer.get("jwt") or {}).get("claims") or {}
    if claims.get("sub"):
        return f"jwt:{claims.get('iss', '')}:{claims['sub']}"
    return None


@dataclass(frozen=True)
class Request:
    route_key: str
    method: str
    path: str
    headers: Mapping[str, str]
    path_parameters: Mapping[str, str]
    raw_body: bytes
    request_id: str
    # Who called, as API Gateway's authorizer established it (an IAM principal, or a JWT's issuer and subject);
    # None without an authorizer (the local API).
    caller: str | None = None

    @classmethod
    def from_event(cls, event: Mapping[str, Any]) -> Request:
        context = event.get("requestContext") or {}
        http = context.get("http") or {}
        body = event.get("body") or ""
        if event.get("isBase64Encoded"):
            try:
                raw = base64.b64decode(body, validate=True)
            except (binascii.Error, ValueError) as e:
                raise BadRequest(400, "Bad Request", "the request body is not valid base64") from e
        else:
            raw = body.encode("utf-8")
        return cls(
            route_key=str(event.get("routeKey", "")),
            method=str(http.get("method", "")).upper(),
            path=str(event.get("rawPath", http.get("path", ""))),
            # API Gateway lower-cases header names in payload format 2.0.
            headers={str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()},
            path_parameters=dict(event.get("pathParameters") or {}),
            raw_body=raw,
            request_id=str(context.get("requestId", "")),
            caller=_caller(context.get("authorizer") or {}),
        )

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def json_body(self) -> Any:
        if len(self.raw_body) > MAX_BODY_BYTES:
            raise BadRequest(
                413,
                "Content Too Large",
                f"the body is {len(self.raw_body)} bytes; the limit is {MAX_BODY_BYTES}",
            )
        content_type = (self.header("content-type") or "").split(";")[0].strip().lower()
        if content_type != "application/json":
            raise BadRequest(
                415,
                "Unsupported Media Type",
                f"send the order as application/json (got {content_type or 'no Content-Type'})",
            )
        try:
            return json.loads(self.raw_body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise BadRequest(400, "Bad Request", f"the body is not valid JSON: {e}") from e


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")


def dumps(value: Any) -> str:
    return json.dumps(value, default=_default, separators=(",", ":"))


@dataclass(frozen=True)
class Response:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"

    def to_event(self) -> dict[str, Any]:
        return {
            "statusCode": self.status,
            "headers": {"content-type": self.content_type, **self.headers},
            "body": dumps(self.body),
            "isBase64Encoded": False,
        }


def problem(
    status: int,
    title: str,
    detail: str,
    *,
    errors: list[dict[str, str]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    if errors:
        body["errors"] = errors
    return Response(status, body, dict(headers or {}), content_type="application/problem+json")
