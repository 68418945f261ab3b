"""The local API stand-in as a hostile client meets it, over raw sockets: framing, limits, methods, origins.

Each answer the stand-in gives itself is a problem body; nothing hangs, nothing prints a traceback, and the server
keeps serving afterwards.
"""

from __future__ import annotations

import json
import socket
import time
import uuid
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
import requests

from workflow.local.api import MAX_REQUEST_BYTES, LocalApi
from workflow.local.runtime import LocalRuntime
from workflow.local.samples import sample_order


def echo(event: Mapping[str, Any]) -> dict[str, Any]:
    return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": json.dumps(dict(event))}


@pytest.fixture(scope="module")
def api() -> Iterator[LocalApi]:
    served = LocalApi(
        ("POST /orders", "GET /orders/{orderId}"),
        echo,
        port=0,
        documents={"/openapi.json": lambda: b'{"openapi": "3.1.0"}'},
        read_timeout=0.5,
        idle_timeout=2.0,
    ).start()
    yield served
    served.stop()


def raw(api: LocalApi, data: bytes, wait: float = 5.0, head: bool = False) -> tuple[int, dict[str, str], bytes]:
    """Send bytes as they are; read one answer (until the server closes or the body is complete)."""
    host, port = api.url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=wait) as sock:
        sock.sendall(data)
        received = b""
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                break
            if not chunk:
                break
            received += chunk
            top, sep, body = received.partition(b"\r\n\r\n")
            if sep:
                lines = top.decode("latin-1").split("\r\n")
                headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
                if head or len(body) >= int(headers.get("content-length", "0")):
                    return int(lines[0].split()[1]), headers, body
    raise AssertionError(f"no complete answer: {received[:300]!r}")


def problem(answer: tuple[int, dict[str, str], bytes], status: int) -> dict[str, Any]:
    got, headers, body = answer
    assert got == status, body
    assert headers["content-type"] == "application/problem+json"
    document = json.loads(body)
    assert document["status"] == status
    assert "Traceback" not in document["detail"]
    return dict(document)


HOST = b"Host: 127.0.0.1\r\n"


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"POST /orders HTTP/1.1\r\n" + HOST + b"Content-Length: abc\r\n\r\n", 400),
        (b"POST /orders HTTP/1.1\r\n" + HOST + b"Content-Length: -1\r\n\r\n", 400),
        (b"POST /orders HTTP/1.1\r\n" + HOST + b"Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}", 400),
        (b"POST /orders HTTP/1.1\r\n" + HOST + b"Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n{}", 400),
        (b"POST /orders HTTP/1.1\r\n" + HOST + b"\r\n", 411),
        (b"POST /orders HTTP/1.1\r\n" + HOST + f"Content-Length: {MAX_REQUEST_BYTES + 1}\r\n\r\n".encode(), 413),
        (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n" + HOST + b"\r\n", 414),
        (b"GET / HTTP/1.1\r\n" + HOST + b"X-Big: " + b"a" * 20_000 + b"\r\n\r\n", 431),
        (b"GARBAGE\r\n\r\n", 400),
        (b"GET /orders/ord_x HTTP/1.1\r\n\r\n", 400),  # no Host at all (HTTP/1.1 requires one)
        (b"GET /orders/ord_x HTTP/1.1\r\nHost: evil.example\r\n\r\n", 403),
    ],
)
def test_bad_framing_gets_a_problem_body(api: LocalApi, request_bytes: bytes, status: int) -> None:
    problem(raw(api, request_bytes), status)
    assert requests.get(f"{api.url}/orders/ord_x", timeout=5).status_code == 200  # still serving


def test_a_client_that_stops_sending_gets_a_408(api: LocalApi) -> None:
    started = time.monotonic()
    problem(raw(api, b"POST /orders HTTP/1.1\r\n" + HOST + b"Content-Length: 100\r\n\r\n{", wait=5), 408)
    assert time.monotonic() - started < 3


def test_chunked_bodies_are_read(api: LocalApi) -> None:
    status, _, body = raw(
        api, b"POST /orders HTTP/1.1\r\n" + HOST + b"Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n"
    )
    assert status == 200
    assert json.loads(body)["body"] == "{}"


def test_routes_and_path_parameters_as_api_gateway_sends_them(api: LocalApi) -> None:
    event = requests.get(f"{api.url}/orders/ord%5F1?x=1", timeout=5).json()
    assert (event["routeKey"], event["pathParameters"], event["rawQueryString"]) == (
        "GET /orders/{orderId}",
        {"orderId": "ord_1"},
        "x=1",
    )
    missing = requests.get(f"{api.url}/nowhere", timeout=5)
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("method", ["PATCH", "OPTIONS", "HEAD", "DELETE", "PUT", "BREW"])
def test_any_method_is_routed_no_501(api: LocalApi, method: str) -> None:
    body = b"" if method == "HEAD" else b"{}"
    status, headers, data = raw(
        api,
        f"{method} /nowhere HTTP/1.1\r\n".encode() + HOST + f"Content-Length: {len(body)}\r\n\r\n".encode() + body,
        head=method == "HEAD",
    )
    assert status == 404
    assert headers["content-type"] == "application/problem+json"
    assert (data == b"") == (method == "HEAD")


def test_the_openapi_document_is_served_read_only(api: LocalApi) -> None:
    assert requests.get(f"{api.url}/openapi.json", timeout=5).json() == {"openapi": "3.1.0"}
    refused = requests.post(f"{api.url}/openapi.json", data=b"{}", timeout=5)
    assert refused.status_code == 405
    assert "GET" in refused.headers["allow"]


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"Origin": "https://evil.example"}, 403),
        ({"Origin": "null"}, 403),
        ({"Host": "evil.example"}, 403),
        ({"Host": "127.0.0.1.evil.example:3000"}, 403),
        ({"Origin": "http://localhost:8888"}, 200),
        ({"Host": "localhost:3000"}, 200),
    ],
)
def test_foreign_pages_are_refused(api: LocalApi, headers: dict[str, str], status: int) -> None:
    response = requests.get(f"{api.url}/orders/ord_1", headers=headers, timeout=5)
    assert response.status_code == status
    assert not [h for h in response.headers if h.lower().startswith("access-control-")]


def test_the_real_system_through_the_stand_in(runtime: LocalRuntime) -> None:
    served = runtime.serve_api(port=0)
    try:
        accepted = requests.post(
            f"{served.url}/orders/",  # a trailing slash names the same resource
            json=sample_order(),
            headers={"Idempotency-Key": str(uuid.uuid4())},
            timeout=10,
        )
        assert accepted.status_code == 202, accepted.text
        wrong = requests.delete(f"{served.url}/orders", timeout=10)
        assert (wrong.status_code, wrong.headers["allow"]) == (405, "POST")
        assert wrong.headers["content-type"] == "application/problem+json"
        contract = requests.get(f"{served.url}/openapi.json", timeout=10).json()
        assert contract["openapi"] == "3.1.0"
        assert set(contract["paths"]) == {"/orders", "/orders/{orderId}"}
    finally:
        served.stop()
