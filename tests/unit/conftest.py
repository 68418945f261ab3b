"""The unit tier opens no sockets: a test that would reach a network (a forgotten client, a real endpoint) fails
at once instead of hanging or passing by luck. Unix sockets (and subprocess pipes) stay allowed."""

from __future__ import annotations

import socket
from typing import Any

import pytest


class NetworkInUnitTest(RuntimeError):
    pass


def _refuse(*args: Any, **kwargs: Any) -> Any:
    raise NetworkInUnitTest("the unit tier opens no network connections; this belongs in tests/integration")


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    original_connect = socket.socket.connect

    def connect(self: socket.socket, address: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            _refuse()
        return original_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", lambda self, address: _refuse())
    monkeypatch.setattr(socket, "create_connection", _refuse)
    monkeypatch.setattr(socket, "getaddrinfo", _refuse)
