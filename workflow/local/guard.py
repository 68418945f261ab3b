"""Who may talk to the local servers: the loopback Host and Origin rules both of them apply (the API stand-in and the
AWS endpoint), and the WSGI middleware that puts moto's server behind them.

Nothing on this machine answers a cross-origin browser request. A web page the developer happens to visit can reach
127.0.0.1 from their browser, either directly (then the browser sends its own Origin) or through DNS rebinding (then
the Host header names the attacker's domain); both are refused before any request reaches a handler or moto.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable, Iterator
from types import TracebackType
from typing import Any

_log = logging.getLogger(__name__)

# Browsers send the origin's scheme and host in lower case; the comparison is case-insensitive all the same.
_LOOPBACK_ORIGIN = re.compile(r"https?://(?:localhost|127\.0\.0\.1|\[::1\])(?::[0-9]{1,5})?", re.IGNORECASE)
# RFC 6761 reserves *.localhost for loopback; browsers resolve it there without asking DNS, so it cannot be rebound.
_LOOPBACK_HOST = re.compile(
    r"(?:localhost|127\.0\.0\.1|\[::1\]|(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+localhost)(?::[0-9]{1,5})?",
    re.IGNORECASE,
)


def is_loopback_host(host: str | None) -> bool:
    """A Host header (or an absolute request target's authority) naming this machine's loopback interface."""
    return host is not None and _LOOPBACK_HOST.fullmatch(host) is not None


def is_loopback_origin(origin: str) -> bool:
    """An Origin header of a page served from loopback. `null` (sandboxed frames, file: pages) is foreign."""
    return _LOOPBACK_ORIGIN.fullmatch(origin) is not None


def refusal(host: str | None, origin: str | None) -> str | None:
    """Why a request with these headers is refused, or None when it may go on. `origin` is None when absent."""
    if origin is not None and not is_loopback_origin(origin):
        return "cross-origin requests are refused: this server answers pages served from loopback only"
    if not is_loopback_host(host):
        return "the Host header must name a loopback address (localhost, 127.0.0.1 or [::1])"
    return None


StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
_ExcInfo = tuple[type[BaseException], BaseException, TracebackType] | tuple[None, None, None]


class AwsEndpointGuard:
    """WSGI middleware in front of moto's server app (DomainDispatcherApplication).

    moto's app wraps itself in flask-cors, which answers any Origin with `Access-Control-Allow-Origin: <that
    origin>`: every page in the developer's browser could read and change the local AWS state, secrets included.
    It also serves its dashboard and control API under /moto-api/ (reset all state, seed, change config), and it
    raises on some malformed requests, which werkzeug answers with an HTML 500 and a traceback on the console.
    """

    def __init__(self, app: WsgiApp) -> None:
        self._app = app

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = str(environ.get("REQUEST_METHOD", ""))
        path = str(environ.get("PATH_INFO", ""))
        reason = refusal(environ.get("HTTP_HOST"), environ.get("HTTP_ORIGIN"))
        if reason is None and method == "OPTIONS" and "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in environ:
            reason = "CORS preflight requests are refused: no browser page may call this endpoint"
        if reason is not None:
            return _aws_error(start_response, 403, "AccessDenied", reason)
        # The same prefix test moto's dispatcher uses to route a request to its own API.
        if path.startswith("/moto-api") or path == "/favicon.ico":
            return _aws_error(start_response, 404, "NotFound", "moto's dashboard and control API are not served here")

        captured: list[tuple[str, list[tuple[str, str]]]] = []

        def capture(status: str, headers: list[tuple[str, str]], exc_info: _ExcInfo | None = None) -> Any:
            captured[:] = [(status, headers)]
            return lambda data: None  # moto returns its bodies; nothing uses the legacy write() callable

        try:
            # Buffered so that a failure anywhere in moto, before or after it starts its response, still becomes one
            # clean JSON answer. moto's bodies are API responses, small enough to hold.
            result = self._app(environ, capture)
            try:
                body = b"".join(result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
        except Exception as e:
            _log.warning("local AWS endpoint: %s %s failed inside moto: %s", method, path[:200], _one_line(e))
            return _aws_error(start_response, 500, "InternalFailure", "the local AWS endpoint failed on this request")
        if not captured:
            return _aws_error(start_response, 500, "InternalFailure", "the local AWS endpoint gave no response")
        status, headers = captured[0]
        kept = [(name, value) for name, value in headers if not name.lower().startswith("access-control-")]
        start_response(status, kept)
        return [body]


def _aws_error(start_response: StartResponse, status: int, code: str, message: str) -> Iterator[bytes]:
    # The JSON protocols' error shape; botocore reads `__type` as the error code for every protocol it parses JSON for.
    body = json.dumps({"__type": code, "message": message}).encode()
    phrase = {403: "Forbidden", 404: "Not Found", 500: "Internal Server Error"}[status]
    start_response(
        f"{status} {phrase}",
        [("Content-Type", "application/x-amz-json-1.1"), ("Content-Length", str(len(body)))],
    )
    return iter([body])


def _one_line(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}".replace("\r", " ").replace("\n", " ")[:500]


class QuietRequestHandler:
    """Mixed in before moto's werkzeug request handler (which the AWS endpoint serves with)."""

    # werkzeug's development server never times out a connection: a client that opens one and sends nothing would
    # hold a thread for good.
    timeout = 30
    # http.server answers a malformed request line or header section itself, with an HTML page. Only the status code
    # goes into this body: the message echoes the request, and nothing escapes it for JSON.
    error_content_type = "application/x-amz-json-1.1"
    error_message_format = '{"__type": "InvalidRequest", "message": "malformed request (HTTP %(code)d)"}'
