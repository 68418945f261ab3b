"""A real HTTP webhook receiver on loopback, standing in for Slack: records what it is sent and answers with the
status codes a test queues up (default 200)."""

from __future__ import annotations

import json
import threading
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class WebhookReceiver:
    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.attempts = 0
        self._answers: deque[tuple[int, dict[str, str]]] = deque()
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, headers = receiver._answer()
                if status < 300:
                    with receiver._lock:
                        receiver.received.append(json.loads(body))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/services/T000/B000/local"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer_next(self, *answers: tuple[int, dict[str, str]]) -> None:
        with self._lock:
            self._answers.extend(answers)

    def _answer(self) -> tuple[int, dict[str, str]]:
        with self._lock:
            self.attempts += 1
            return self._answers.popleft() if self._answers else (200, {})

    def for_order(self, order_id: str) -> list[dict[str, Any]]:
        with self._lock:
            return [m for m in self.received if order_id in m.get("text", "")]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
