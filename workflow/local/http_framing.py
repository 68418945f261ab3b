"""HTTP/1.1 framing for the local API stand-in (workflow.local.api): one connection's h11 state and socket with its
read deadlines and size limits, and the answers the stand-in gives itself (the handler's RFC 9457 problem body).

Nothing here routes or invokes: a request that cannot be framed raises Answer (answer it, maybe close) or Gone
(nothing to answer); what to do with a well-framed request is the API's business.
"""

from __future__ import annotations

import socket
import time
from http import HTTPStatus

import h11

from handlers.adapters import http

MAX_TARGET_BYTES = 8192
MAX_HEAD_BYTES = 16 * 1024
# After an error answer the client may still be sending: reading (and dropping) what it sends for a moment before
# closing keeps the kernel from resetting the connection before the client has read the answer.
LINGER_SECONDS = 1.0
_RECEIVE_BYTES = 64 * 1024
Headers = list[tuple[str, str]]


class Answer(Exception):
    """An answer the stand-in gives itself, raised from wherever the request turned out to be unanswerable."""

    def __init__(self, status: int, detail: str, headers: Headers | None = None, close: bool = True) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers or []
        self.close = close


class Gone(Exception):
    """The client closed the connection or stayed idle: nothing to answer."""


def problem(status: int, detail: str, extra_headers: Headers | None = None) -> tuple[int, Headers, bytes]:
    """The handler's own problem body (handlers.adapters.http), framed for this server."""
    body = http.dumps(http.problem(status, _phrase(status), detail).body).encode()
    headers = [("content-type", "application/problem+json"), ("content-length", str(len(body)))]
    return status, headers + (extra_headers or []), body


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


class Client:
    """One connection's h11 state and socket, with the read deadlines."""

    def __init__(self, sock: socket.socket, read_timeout: float, idle_timeout: float) -> None:
        self.sock = sock
        self.conn = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_HEAD_BYTES)
        self.read_timeout = read_timeout
        self.idle_timeout = idle_timeout
        self.deadline: float | None = None
        self.head = bytearray()
        self.answering_head = False

    def next_request(self) -> h11.Request:
        # Bytes a client pipelined behind its previous request are the start of this one.
        self.answering_head = False
        self.head = bytearray(self.conn.trailing_data[0])
        self.deadline = time.monotonic() + self.read_timeout if self.head else None
        while True:
            try:
                event = self.conn.next_event()
            except h11.RemoteProtocolError as e:
                raise self._head_error(e) from None
            if event is h11.NEED_DATA:
                # Never more than one byte over the limit in memory: h11 only checks it between reads.
                self._receive(MAX_HEAD_BYTES + 1 - len(self.head), idle=not self.head)
                continue
            if isinstance(event, h11.Request):
                self.answering_head = event.method == b"HEAD"
                if len(self.head) - len(self.conn.trailing_data[0]) > MAX_HEAD_BYTES:
                    raise self._too_large()
                return event
            raise Gone()  # ConnectionClosed, or a state that allows no request

    def read_body(self, limit: int) -> bytes:
        if self.conn.they_are_waiting_for_100_continue:
            self.send(self.conn.send(h11.InformationalResponse(status_code=100, headers=[])))
        chunks: list[bytes] = []
        size = 0
        while True:
            try:
                event = self.conn.next_event()
            except h11.RemoteProtocolError as e:
                raise Answer(e.error_status_hint, f"malformed request body: {e}") from None
            if event is h11.NEED_DATA:
                self._receive(_RECEIVE_BYTES, idle=False)
            elif isinstance(event, h11.Data):
                size += len(event.data)
                if size > limit:
                    raise Answer(413, f"the request body is larger than {limit} bytes")
                chunks.append(bytes(event.data))
            elif isinstance(event, h11.EndOfMessage):
                return b"".join(chunks)
            else:
                raise Gone()

    def _receive(self, size: int, idle: bool) -> None:
        if idle:
            timeout = self.idle_timeout
        else:
            if self.deadline is None:
                self.deadline = time.monotonic() + self.read_timeout
            timeout = self.deadline - time.monotonic()
            if timeout <= 0:
                raise self._timed_out()
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(max(1, size))
        except TimeoutError:
            if idle:
                raise Gone() from None
            raise self._timed_out() from None
        if data and self.deadline is None:
            self.deadline = time.monotonic() + self.read_timeout
        if self.conn.their_state is h11.IDLE:
            self.head += data
        self.conn.receive_data(data)

    def _timed_out(self) -> Answer:
        return Answer(408, f"the request was not complete within {self.read_timeout:g} s")

    def _too_large(self) -> Answer:
        line = bytes(self.head).lstrip(b"\r\n").split(b"\n", 1)
        parts = line[0].split(b" ")
        if len(line) == 1 or (len(parts) > 1 and len(parts[1]) > MAX_TARGET_BYTES):
            return Answer(414, f"the request target is longer than {MAX_TARGET_BYTES} bytes")
        return Answer(431, f"the header section is larger than {MAX_HEAD_BYTES} bytes")

    def _head_error(self, error: h11.RemoteProtocolError) -> Answer:
        if error.error_status_hint == 431:
            return self._too_large()
        if not self.head.strip():
            raise Gone()  # closed before sending anything worth an answer
        return Answer(error.error_status_hint, f"malformed request: {error}")

    def respond(self, status: int, headers: Headers, body: bytes, close: bool = False) -> None:
        if self.conn.our_state not in (h11.IDLE, h11.SEND_RESPONSE):
            raise Gone()
        if close or self.conn.their_state is not h11.DONE:
            # Whatever the client still sends of this request is not read: this connection carries no other.
            headers = [*headers, ("connection", "close")]
        data = self.conn.send(h11.Response(status_code=status, headers=headers, reason=_phrase(status)))
        # h11 frames an answer to HEAD as empty (its headers are those GET would get) and refuses a body for it.
        if body and not self.answering_head:
            data += self.conn.send(h11.Data(data=body)) or b""
        data += self.conn.send(h11.EndOfMessage()) or b""
        self.send(data or b"")

    def send(self, data: bytes | None) -> None:
        if data:
            # A client that does not read its answer does not hold the thread for good either.
            self.sock.settimeout(max(self.read_timeout, 1.0))
            self.sock.sendall(data)

    def next_cycle(self) -> bool:
        if self.conn.our_state is h11.DONE and self.conn.their_state is h11.DONE:
            self.conn.start_next_cycle()
            return True
        return False

    def close(self) -> None:
        try:
            self.sock.shutdown(socket.SHUT_WR)
            deadline = time.monotonic() + LINGER_SECONDS
            while (left := deadline - time.monotonic()) > 0:
                self.sock.settimeout(left)
                if not self.sock.recv(_RECEIVE_BYTES):
                    break
        except OSError:
            pass
        finally:
            self.sock.close()
