"""API Gateway HTTP API (payload format 2.0) events in and out of the orders API (handlers.services.orders_api): who
the caller is, the routes, the typed requests the service takes, and its answers and errors as HTTP - every answer
JSON, every error an RFC 9457 problem body (docs/openapi.json is the contract; a test holds this module to it).

API Gateway's routes are the contract's ROUTES plus `$default`: whatever matches no route still reaches the
function, which answers 405 with Allow for a known path and 404 for anything else, as the local API does. Routing is
by method and path, not API Gateway's routeKey, and a trailing slash names the same resource.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from handlers import observability
from handlers.domain import json_input
from handlers.domain.contract import ROUTES
from handlers.domain.errors import IdempotencyConflictError, OrderValidationError, TransientError
from handlers.domain.identifiers import valid_correlation_id, validate_idempotency_key
from handlers.domain.order import OrderStatus
from handlers.services.orders_ports import Accepted, RequestInFlight, Submission

if TYPE_CHECKING:
    from handlers.services.orders_api import OrdersApi

MAX_BODY_BYTES = 64 * 1024
# A problem body lists at most this many errors (and says how many there were): 7,700 unknown keys are not answered
# with 7,700 entries.
MAX_ERRORS = 20
RETRY_IN_FLIGHT_SECONDS = 1
RETRY_UNAVAILABLE_SECONDS = 1


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


# arn:<partition>:sts::<account>:assumed-role/<role name>/<session name>
_ASSUMED_ROLE = re.compile(r"(arn:[^:]+:sts::[0-9]{12}:assumed-role/[^/]+)/.+", re.ASCII)
ANONYMOUS = "anonymous"


def caller_of(authorizer: Mapping[str, Any]) -> str:
    """Who called, as API Gateway's authorizer established it, as one unambiguous string: the owner of the orders it
    creates and the scope of its Idempotency-Keys.

    - IAM: the principal's ARN; for an assumed role the role (and its account), not the session, so a client that
      retries under new session credentials (per-job CI credentials) is still the same caller.
    - JWT: the issuer and the subject together (subjects are unique per issuer only).
    - No authorizer (the local API): ANONYMOUS.
    Written as a JSON array, so no choice of characters in an ARN, issuer or subject makes two callers one.
    """
    iam = authorizer.get("iam") or {}
    principal = str(iam.get("userArn") or "")
    if principal:
        assumed = _ASSUMED_ROLE.fullmatch(principal)
        return json.dumps(["iam", assumed.group(1) if assumed else principal])
    if iam.get("userId"):
        # Without an ARN: an assumed role's id is "<role id>:<session name>"; the role id is the caller.
        return json.dumps(["iam", str(iam.get("accountId") or ""), str(iam["userId"]).split(":", 1)[0]])
    claims = (authorizer.get("jwt") or {}).get("claims") or {}
    if claims.get("sub"):
        return json.dumps(["jwt", str(claims.get("iss") or ""), str(claims["sub"])])
    return ANONYMOUS


@dataclass(frozen=True)
class Request:
    route_key: str
    method: str
    path: str
    headers: Mapping[str, str]
    path_parameters: Mapping[str, str]
    raw_body: bytes
    request_id: str
    # Who called (caller_of): the owner of what it creates.
    caller: str = ANONYMOUS

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
            caller=caller_of(context.get("authorizer") or {}),
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
        media_type, parameters = parse_content_type(self.header("content-type"))
        if media_type != "application/json":
            raise BadRequest(
                415,
                "Unsupported Media Type",
                f"send the order as application/json (got {media_type or 'no Content-Type'})",
            )
        charset = parameters.get("charset", "utf-8")
        if charset not in ("utf-8", "utf8"):
            raise BadRequest(415, "Unsupported Media Type", f"send the order as UTF-8 (got charset={charset[:40]})")
        try:
            return json_input.loads(self.raw_body)
        except json_input.JsonInputError as e:
            raise BadRequest(400, "Bad Request", str(e)) from e


def parse_content_type(value: str | None) -> tuple[str, dict[str, str]]:
    """`type/subtype; name=value; ...` -> ("type/subtype", {name: value}), names and charset lower-cased."""
    if not value:
        return "", {}
    media_type, *rest = value.split(";")
    parameters = {}
    for parameter in rest:
        name, _, raw = parameter.partition("=")
        parameters[name.strip().lower()] = raw.strip().strip('"').lower()
    return media_type.strip().lower(), parameters


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
        body["errors"] = errors[:MAX_ERRORS]
        body["errorCount"] = len(errors)
    return Response(status, body, dict(headers or {}), content_type="application/problem+json")


# The orders API over HTTP


def _template(route: str) -> tuple[str, re.Pattern[str]]:
    method, _, path = route.partition(" ")
    return method, re.compile(re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(path)))


_MATCHERS = [_template(route) for route in ROUTES]


def answer(api: OrdersApi, event: Mapping[str, Any]) -> dict[str, Any]:
    """One API Gateway event through the orders API: its answer, as API Gateway takes it."""
    try:
        request = Request.from_event(event)
    except BadRequest as e:
        return e.response().to_event()
    return handle(api, request).to_event()


def handle(api: OrdersApi, request: Request) -> Response:
    supplied = request.header("x-correlation-id")
    correlation_id = valid_correlation_id(supplied) or str(uuid.uuid4())
    observability.append(correlation_id=correlation_id)
    if supplied is not None and supplied != correlation_id:
        # Not logged or echoed: it is logged on every line and shown in alerts, so only the allowed form travels.
        observability.logger.info("X-Correlation-Id replaced", extra={"supplied_length": len(supplied)})
    try:
        response = _route(api, request, correlation_id)
    except BadRequest as e:
        observability.logger.info("request refused", extra={"status": e.status, "detail": e.detail})
        response = e.response()
    except TransientError as e:  # OrderStoreUnavailable, StepFunctions*, DependencyUnavailable
        observability.logger.warning("dependency unavailable", extra={"detail": str(e)})
        retry = {"retry-after": str(RETRY_UNAVAILABLE_SECONDS)}
        response = problem(503, "Service Unavailable", "try again shortly", headers=retry)
    except Exception:  # a defect, not the client's input: still a problem body, and logged with its traceback
        observability.logger.exception("unexpected error")
        response = problem(500, "Internal Server Error", "the request failed; it was logged")
    headers = {**response.headers, "x-correlation-id": correlation_id}
    return Response(response.status, response.body, headers, response.content_type)


def _route(api: OrdersApi, request: Request, correlation_id: str) -> Response:
    path = request.path.rstrip("/") or "/"
    allowed: list[str] = []
    for method, pattern in _MATCHERS:
        found = pattern.fullmatch(path)
        if found is None:
            continue
        if request.method != method:
            allowed.append(method)
        elif method == "POST":
            return _submit(api, request, correlation_id)
        else:
            order = api.read(unquote(found["orderId"]), request.caller)
            return Response(200, order) if order is not None else problem(404, "Not Found", "no such order")
    if allowed:
        return problem(
            405,
            "Method Not Allowed",
            f"{request.method[:20]} is not allowed here; use {', '.join(allowed)}",
            headers={"allow": ", ".join(allowed)},
        )
    return problem(404, "Not Found", "no such resource; the API serves POST /orders and GET /orders/{orderId}")


def _submit(api: OrdersApi, request: Request, correlation_id: str) -> Response:
    try:
        key = validate_idempotency_key(request.header("idempotency-key"))
    except ValueError as e:
        raise BadRequest(400, "Bad Request", str(e)) from e
    submission = Submission(request.caller, key, request.json_body(), correlation_id)
    try:
        accepted = api.submit(submission)
    except OrderValidationError as e:
        raise BadRequest(422, "Unprocessable Content", "the order is not valid", errors=e.errors) from e
    except RequestInFlight as e:
        observability.logger.info("Idempotency-Key in flight", extra={"reason": type(e).__name__})
        return problem(409, "Conflict", e.detail, headers={"retry-after": str(RETRY_IN_FLIGHT_SECONDS)})
    except IdempotencyConflictError as e:
        detail = "this Idempotency-Key was already used with a different request body"
        raise BadRequest(422, "Unprocessable Content", detail) from e
    return accepted_response(accepted)


def accepted_response(accepted: Accepted) -> Response:
    location = f"/orders/{accepted.order_id}"
    headers = {"location": location}
    if accepted.replayed:
        headers["idempotent-replayed"] = "true"
    body = {"orderId": accepted.order_id, "status": OrderStatus.PENDING.value, "links": {"self": location}}
    return Response(202, body, headers)
