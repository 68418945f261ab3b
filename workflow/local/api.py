"""The local stand-in for API Gateway (HTTP API): an HTTP/1.1 server on h11 that routes each request by its route
keys, turns it into a payload-2.0 event, invokes the function through Lambda (so the same hook runs it) and writes
its response back; plus the few documents it serves itself (the OpenAPI document).

One thread per connection (at most `max_connections`; beyond that, new connections wait in the listen backlog) with
keep-alive. Every answer the stand-in gives itself is an RFC 9457 problem body. Limits, as API Gateway has them or
as h11 frames them:

- a request target longer than 8192 bytes: 414; a header section larger than 16 KiB: 431;
- malformed framing (request line, headers, Content-Length): 400, and the connection closes;
- POST/PUT/PATCH with neither Content-Length nor Transfer-Encoding: 411; a body over 10 MB: 413 before reading it;
- a request that is not complete `read_timeout` seconds after its first byte: 408; an idle keep-alive connection
  closes after `idle_timeout` seconds;
- a foreign Origin or a Host that is not loopback (workflow.local.guard): 403, before anything is invoked;
- a function that fails or answers something that is not a Lambda proxy response: 502, logged in one line.

This module routes and translates (request -> payload-2.0 event, proxy response -> answer); reading and writing
HTTP/1.1 on a connection, with its deadlines and size limits, is workflow.local.http_framing's.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import logging
import selectors
import socket
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import h11

from handlers.domain.contract import DEFAULT_ROUTE
from workflow.local import guard
from workflow.local.http_framing import MAX_TARGET_BYTES, Answer, Client, Gone, Headers, problem

# API Gateway's own payload limit is 10 MB; the function enforces the orders' 64 KiB itself.
MAX_REQUEST_BYTES = 10 * 1024 * 1024
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
# Connection-level headers belong to this hop; the stand-in frames its own answers. Access-Control-* never leaves
# this machine (nothing here answers cross-origin browser requests), whoever set it.
_HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade", "content-length"}
)

Invoke = Callable[[Mapping[str, Any]], Mapping[str, Any]]
Document = Callable[[], bytes]

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Route:
    key: str
    method: str
    segments: tuple[str, ...]

    @classmethod
    def parse(cls, key: str) -> _Route:
        method, _, path = key.partition(" ")
        if not method or not path.startswith("/") or " " in path:
            raise ValueError(f"not a route key: {key!r} (expected 'METHOD /path' or '$default')")
        return cls(key, method, tuple(path[1:].split("/")))

    def match(self, method: str, segments: list[str]) -> tuple[int, dict[str, str]] | None:
        """How specific the match is (literal segments, then an exact method over ANY) and the path parameters."""
        if self.method not in (method, "ANY"):
            return None
        parameters: dict[str, str] = {}
        literals = 0
        for index, template in enumerate(self.segments):
            if template.startswith("{") and template.endswith("+}"):  # greedy: the rest of the path
                value = unquote("/".join(segments[index:]))
                if index >= len(segments) or not value:
                    return None
                parameters[template[1:-2]] = value
                return literals * 2 + (self.method != "ANY"), parameters
            if index >= len(segments):
                return None
            value = unquote(segments[index])
            if template.startswith("{") and template.endswith("}"):
                if not value:
                    return None
                parameters[template[1:-1]] = value
            elif template == value:
                literals += 1
            else:
                return None
        if len(segments) != len(self.segments):
            return None
        return literals * 2 + (self.method != "ANY"), parameters


class LocalApi:
    def __init__(
        self,
        routes: tuple[str, ...],
        invoke: Invoke,
        host: str = "127.0.0.1",
        port: int = 3000,
        documents: Mapping[str, Document] | None = None,
        read_timeout: float = 10.0,
        idle_timeout: float = 30.0,
        max_connections: int = 256,
    ) -> None:
        self._routes = [_Route.parse(route) for route in routes if route != DEFAULT_ROUTE]
        self._has_default = DEFAULT_ROUTE in routes
        self._invoke = invoke
        self._documents = dict(documents or {})
        self._read_timeout = read_timeout
        self._idle_timeout = idle_timeout
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        # API Gateway takes bursts of connections; a short listen backlog resets them.
        self._listener = socket.create_server((host, port), family=family, backlog=256)
        self._listener.setblocking(False)
        self._wake_reader, self._wake_writer = socket.socketpair()
        self._slots = threading.BoundedSemaphore(max_connections)
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._connections: dict[socket.socket, threading.Thread] = {}
        self._accepter = threading.Thread(target=self._accept_loop, name="local-api", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._listener.getsockname()[:2]
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    def start(self) -> LocalApi:
        self._accepter.start()
        return self

    def stop(self) -> None:
        """Stops accepting, closes every open connection and waits (briefly) for their threads."""
        if self._stopping.is_set():
            return
        self._stopping.set()
        self._wake_writer.send(b"x")
        if self._accepter.is_alive():
            self._accepter.join(timeout=2)
        self._listener.close()
        with self._lock:
            connections = dict(self._connections)
        for connection in connections:
            # Wakes a thread blocked reading it; the thread closes the socket itself.
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        deadline = time.monotonic() + 2
        for thread in connections.values():
            # A thread inside a slow function invocation is not interruptible; it is a daemon and ends with it.
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
        self._wake_reader.close()
        self._wake_writer.close()

    def match(self, method: str, path: str) -> tuple[str, dict[str, str]] | None:
        """The route key and path parameters a request goes to, as API Gateway chooses them (the most specific
        route; `$default` when none matches and the API has it), or None for a 404."""
        best: tuple[int, str, dict[str, str]] | None = None
        if path.startswith("/"):
            segments = path[1:].split("/")
            for route in self._routes:
                found = route.match(method, segments)
                if found is not None and (best is None or found[0] > best[0]):
                    best = (found[0], route.key, found[1])
        if best is not None:
            return best[1], best[2]
        return (DEFAULT_ROUTE, {}) if self._has_default else None

    # Connections

    def _accept_loop(self) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(self._listener, selectors.EVENT_READ)
            selector.register(self._wake_reader, selectors.EVENT_READ)
            while not self._stopping.is_set():
                if not self._slots.acquire(timeout=0.2):
                    continue
                accepted = None
                try:
                    if any(key.fileobj is self._wake_reader for key, _ in selector.select()):
                        break
                    accepted = self._listener.accept()
                except (BlockingIOError, InterruptedError):
                    pass
                except OSError as e:  # e.g. out of file descriptors: the server stays up
                    _log.warning("local API: accept failed: %s", e)
                    time.sleep(0.1)
                if accepted is None:
                    self._slots.release()
                    continue
                connection, peer = accepted
                thread = threading.Thread(
                    target=self._serve_connection, args=(connection, peer), name="local-api-connection", daemon=True
                )
                with self._lock:
                    self._connections[connection] = thread
                thread.start()

    def _serve_connection(self, connection: socket.socket, peer: Any) -> None:
        client = Client(connection, self._read_timeout, self._idle_timeout)
        try:
            connection.setblocking(True)
            connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            while not self._stopping.is_set():
                try:
                    request = client.next_request()
                    status, headers, body = self._answer(client, request, peer)
                    client.respond(status, headers, body)
                except Answer as answer:
                    status, headers, body = problem(answer.status, answer.detail, answer.headers)
                    client.respond(status, headers, body, close=answer.close)
                if not client.next_cycle():
                    break
        except (Gone, OSError):
            pass
        except Exception as e:  # a defect in the stand-in: the client still gets an answer, the server stays up
            _log.error("local API: failed on a request: %s", _one_line(e))
            with contextlib.suppress(Exception):
                client.respond(*problem(500, "the local API failed on this request; it was logged"), close=True)
        finally:
            client.close()
            with self._lock:
                self._connections.pop(connection, None)
            self._slots.release()

    # Requests

    def _answer(self, client: Client, request: h11.Request, peer: Any) -> tuple[int, Headers, bytes]:
        method = request.method.decode("ascii")
        target = request.target.decode("ascii")  # h11 admits visible ASCII only
        if len(request.target) > MAX_TARGET_BYTES:
            raise Answer(414, f"the request target is longer than {MAX_TARGET_BYTES} bytes")
        fields: dict[str, list[str]] = {}
        for name, value in request.headers:
            fields.setdefault(name.decode("ascii"), []).append(value.decode("latin-1"))
        headers = {name: ",".join(values) for name, values in fields.items()}

        path, _, query = target.partition("?")
        host = headers.get("host")
        if "://" in path:
            # Absolute form: its authority names the host the client means, so it has to be loopback as well.
            absolute = urlsplit(target)
            path, query = absolute.path or "/", absolute.query
            if not guard.is_loopback_host(absolute.netloc):
                host = None
        reason = guard.refusal(host, headers.get("origin"))
        if reason is not None:
            raise Answer(403, reason)

        if "transfer-encoding" in headers and "content-length" in headers:
            # RFC 9112 6.1 lets a server refuse this; passing it on is how requests are smuggled past a proxy.
            raise Answer(400, "a request may not carry both Content-Length and Transfer-Encoding")
        if method in BODY_METHODS and "transfer-encoding" not in headers and "content-length" not in headers:
            raise Answer(411, f"{method} needs a Content-Length or Transfer-Encoding: chunked")
        if int(headers.get("content-length") or 0) > MAX_REQUEST_BYTES:
            raise Answer(413, f"the request body is larger than {MAX_REQUEST_BYTES} bytes")
        body = client.read_body(MAX_REQUEST_BYTES)

        document = self._documents.get(path)
        if document is not None:
            return self._document(path, document, method)
        matched = self.match(method, path)
        if matched is None:
            raise Answer(404, f"no route matches {method[:20]} {path[:200]}", close=False)
        route, parameters = matched
        try:
            text, is_base64 = body.decode("utf-8"), False
        except UnicodeDecodeError:
            text, is_base64 = base64.b64encode(body).decode("ascii"), True
        event: dict[str, Any] = {
            "version": "2.0",
            "routeKey": route,
            "rawPath": path,
            "rawQueryString": query,
            "headers": headers,
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "http": {"method": method, "path": path, "sourceIp": str(peer[0])},
                "routeKey": route,
                "stage": "$default",
            },
            "body": text,
            "isBase64Encoded": is_base64,
        }
        if route != DEFAULT_ROUTE:
            event["pathParameters"] = parameters
        try:
            response = self._invoke(event)
        except Exception as e:
            # API Gateway answers a broken integration with a 502 as well.
            _log.error("local API: %s %s: the function failed: %s", method, path[:200], _one_line(e))
            raise Answer(502, "the function failed", close=False) from None
        try:
            return _proxy_response(response)
        except (ValueError, TypeError, binascii.Error, h11.LocalProtocolError) as e:
            _log.error("local API: %s %s: the function's response is malformed: %s", method, path[:200], _one_line(e))
            raise Answer(502, "the function's response is malformed", close=False) from None

    def _document(self, path: str, document: Document, method: str) -> tuple[int, Headers, bytes]:
        # HEAD goes wherever GET does (RFC 9110 9.3.2).
        if method not in ("GET", "HEAD"):
            raise Answer(405, f"{path} is read-only; use GET", headers=[("allow", "GET, HEAD")], close=False)
        try:
            data = document()
        except Exception as e:
            _log.error("local API: building %s failed: %s", path, _one_line(e))
            raise Answer(500, f"{path} could not be built; it was logged", close=False) from None
        return 200, [("content-type", "application/json"), ("content-length", str(len(data)))], data


def _proxy_response(response: Mapping[str, Any]) -> tuple[int, Headers, bytes]:
    """A Lambda proxy (payload 2.0) response as API Gateway writes it: a dict without statusCode is the JSON body of
    a 200; a base64 body is decoded; `cookies` become Set-Cookie headers."""
    if not isinstance(response, Mapping):
        raise TypeError(f"a {type(response).__name__}, not a response object")
    if "statusCode" not in response:
        data = json.dumps(response).encode()
        return 200, [("content-type", "application/json"), ("content-length", str(len(data)))], data
    status = int(response["statusCode"])
    if not 200 <= status <= 599:
        raise ValueError(f"status code {status}")
    raw_body = response.get("body")
    if raw_body is None:
        data = b""
    elif not isinstance(raw_body, str):
        raise TypeError(f"the body is a {type(raw_body).__name__}, not a string")
    elif response.get("isBase64Encoded"):
        data = base64.b64decode(raw_body, validate=True)
    else:
        data = raw_body.encode("utf-8")
    headers: Headers = []
    for name, value in dict(response.get("headers") or {}).items():
        lowered = str(name).lower()
        if lowered not in _HOP_BY_HOP and not lowered.startswith("access-control-"):
            headers.append((lowered, str(value)))
    headers += [("set-cookie", str(cookie)) for cookie in response.get("cookies") or []]
    if status in (204, 304):
        data = b""  # no body, whatever the function said (h11 frames these as empty)
    else:
        headers.append(("content-length", str(len(data))))
    # Validates names and values (no CR/LF smuggled in by the function) before anything is sent.
    h11.Response(status_code=status, headers=headers)
    return status, headers, data


def _one_line(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}".replace("\r", " ").replace("\n", " ")[:500]
