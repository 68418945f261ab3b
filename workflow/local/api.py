"""The local stand-in for API Gateway (HTTP API): turns each HTTP request into a payload-2.0 event, invokes the
StartWorkflow function through Lambda (so the same hook runs it), and writes its response back."""

from __future__ import annotations

import base64
import re
import threading
import uuid
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# API Gateway's own payload limit is 10 MB; the function enforces the orders' 64 KiB itself.
MAX_REQUEST_BYTES = 10 * 1024 * 1024

Invoke = Callable[[Mapping[str, Any]], dict[str, Any]]


def _route_pattern(route: str) -> tuple[str, re.Pattern[str]]:
    method, _, path = route.partition(" ")
    regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(path))
    return method, re.compile(f"^{regex}$")


class _Server(ThreadingHTTPServer):
    # API Gateway takes bursts of connections; the socketserver default backlog (5) resets them.
    request_queue_size = 256
    daemon_threads = True


class LocalApi:
    def __init__(self, routes: tuple[str, ...], invoke: Invoke, host: str = "127.0.0.1", port: int = 3000) -> None:
        self._routes = [(route, *_route_pattern(route)) for route in routes]
        self._invoke = invoke
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                api._serve(self)

            def do_POST(self) -> None:
                api._serve(self)

            def do_PUT(self) -> None:
                api._serve(self)

            def do_DELETE(self) -> None:
                api._serve(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = _Server((host, port), Handler)
        self._thread = threading.Thread(target=self.server.serve_forever, name="local-api", daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> LocalApi:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def match(self, method: str, path: str) -> tuple[str, dict[str, str]] | None:
        for route, route_method, pattern in self._routes:
            found = pattern.match(path)
            if found and route_method == method:
                return route, found.groupdict()
        return None

    def _serve(self, request: BaseHTTPRequestHandler) -> None:
        path = request.path.split("?", 1)[0]
        length = int(request.headers.get("Content-Length") or 0)
        if length > MAX_REQUEST_BYTES:
            self._write(request, 413, {"content-type": "application/json"}, '{"message":"Request Entity Too Large"}')
            request.close_connection = True
            return
        body = request.rfile.read(length) if length else b""
        matched = self.match(request.command, path)
        if matched is None:
            self._write(request, 404, {"content-type": "application/json"}, '{"message":"Not Found"}')
            return
        route, parameters = matched
        try:
            text, is_base64 = body.decode("utf-8"), False
        except UnicodeDecodeError:
            text, is_base64 = base64.b64encode(body).decode("ascii"), True
        event = {
            "version": "2.0",
            "routeKey": route,
            "rawPath": path,
            "rawQueryString": request.path.partition("?")[2],
            "headers": {k.lower(): v for k, v in request.headers.items()},
            "pathParameters": parameters,
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "http": {"method": request.command, "path": path, "sourceIp": request.client_address[0]},
                "routeKey": route,
                "stage": "$default",
            },
            "body": text,
            "isBase64Encoded": is_base64,
        }
        response = self._invoke(event)
        self._write(
            request,
            int(response.get("statusCode", 200)),
            dict(response.get("headers") or {}),
            str(response.get("body") or ""),
        )

    @staticmethod
    def _write(request: BaseHTTPRequestHandler, status: int, headers: dict[str, str], body: str) -> None:
        data = body.encode("utf-8")
        request.send_response(status)
        for name, value in headers.items():
            request.send_header(name, value)
        request.send_header("content-length", str(len(data)))
        request.end_headers()
        request.wfile.write(data)
