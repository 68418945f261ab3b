"""A webhook receiver on loopback, standing in for Slack, PagerDuty's Events API or any JSON webhook: records the
bodies it accepts and answers as it is told. One receiver serves the tests, the notebooks and chaos.

    with LoopbackWebhook() as slack:                      # answers 200 to everything
        slack.answer_next(Answer(500), Answer(429, {"Retry-After": "0"}))  # then these two first
        ...; slack.for_order(order_id)

    LoopbackWebhook(answer=lambda: Answer(504, delay=4.0) if flaky() else Answer())   # chaos: a programmable policy

    pagerduty = LoopbackWebhook(answer=lambda: Answer(202), path="/v2/enqueue")
    pagerduty.answer_when(lambda body: order_id in json.dumps(body), Answer(400, body=INVALID_EVENT))
    ...; pagerduty.requests_about(order_id)               # every request about it, accepted or not

An answer of 2xx records the body in `received`; any other answer (or one sent after the client gave up) does not, as
the real service did not take it. `requests` holds every body that arrived, whatever the answer, so a test can count
attempts per alert (a refusal must not be retried) while other alerts arrive concurrently.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Answer:
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    # Seconds to wait before answering: longer than the client waits is a timeout.
    delay: float = 0.0
    # The answer's body (e.g. PagerDuty's {"status": "invalid event", "errors": [...]} with a 400).
    body: str = "ok"

    @property
    def accepted(self) -> bool:
        return self.status < 300


class LoopbackWebhook:
    def __init__(self, answer: Callable[[], Answer] | None = None, path: str = "/services/T000/B000/local") -> None:
        self.received: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []
        self.attempts = 0
        self._policy = answer or Answer
        self._queued: deque[Answer] = deque()
        # (which bodies, the answers still to give them): checked before the queue, so a test's scripted answers go
        # to its own alert's requests, whatever else arrives meanwhile.
        self._rules: list[tuple[Callable[[dict[str, Any]], bool], deque[Answer]]] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = _parsed(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
                answer = receiver._next(body)
                if answer.delay:
                    time.sleep(answer.delay)
                if answer.accepted:
                    receiver._record(body)
                content = answer.body.encode("utf-8")
                try:
                    self.send_response(answer.status)
                    for name, value in answer.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(content)))
                    self.end_headers()
                    self.wfile.write(content)
                except OSError:
                    pass  # the client gave up waiting

            def log_message(self, format: str, *args: Any) -> None:
                pass  # no access log in the tests, notebooks or reports

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}{path}"
        threading.Thread(target=self.server.serve_forever, name="loopback-webhook", daemon=True).start()

    def answer_next(self, *answers: Answer) -> None:
        """These answers first, in order; then the receiver's policy again."""
        with self._lock:
            self._queued.extend(answers)

    def answer_when(self, matches: Callable[[dict[str, Any]], bool], *answers: Answer) -> None:
        """These answers first, in order, to the requests whose body `matches`; then the usual answers to them."""
        with self._lock:
            self._rules.append((matches, deque(answers)))

    def _next(self, body: dict[str, Any]) -> Answer:
        with self._lock:
            self.attempts += 1
            self.requests.append(body)
            for matches, answers in self._rules:
                if answers and matches(body):
                    return answers.popleft()
            queued = self._queued.popleft() if self._queued else None
        return queued or self._policy()

    def _record(self, body: dict[str, Any]) -> None:
        with self._lock:
            self.received.append(body)

    def messages(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.received)

    def messages_about(self, text: str) -> list[dict[str, Any]]:
        """The accepted bodies that mention `text` anywhere (an order id, an alarm name)."""
        return [message for message in self.messages() if text in json.dumps(message)]

    def requests_about(self, text: str) -> list[dict[str, Any]]:
        """Every body that arrived mentioning `text`, whatever the answer: its attempts, in order."""
        with self._lock:
            return [body for body in self.requests if text in json.dumps(body)]

    def for_order(self, order_id: str) -> list[dict[str, Any]]:
        """The accepted Slack messages whose text names the order."""
        return [m for m in self.messages() if order_id in m.get("text", "")]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> LoopbackWebhook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _parsed(body: bytes) -> dict[str, Any]:
    """The request's JSON object; anything else kept as text under "body" (a receiver records, it does not judge)."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return {"body": body.decode("utf-8", errors="replace")}
    return parsed if isinstance(parsed, dict) else {"body": parsed}
