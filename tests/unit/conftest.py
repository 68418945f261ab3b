"""The unit tier opens no network connections: a test that would reach a network (a forgotten client, a real
endpoint) fails at once instead of hanging or passing by luck. Unix sockets and subprocess pipes stay allowed.

Only the test's own thread is refused: under `--dist loadfile` a worker may also hold an integration runtime
whose background threads (pollers, the AlertHandler posting to a loopback webhook) keep running meanwhile."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from typing import Any

import pytest


class NetworkInUnitTest(RuntimeError):
    pass


def _guarded(original: Callable[..., Any], test_thread: int, inet_only: bool = False) -> Callable[..., Any]:
    def guarded(*args: Any, **kwargs: Any) -> Any:
        if threading.get_ident() == test_thread:
            local_socket = inet_only and args and args[0].family not in (socket.AF_INET, socket.AF_INET6)
            if not local_socket:
                raise NetworkInUnitTest("the unit tier opens no network connections; this belongs in tests/integration")
        return original(*args, **kwargs)

    return guarded


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    test_thread = threading.get_ident()
    for name in ("connect", "connect_ex"):
        monkeypatch.setattr(socket.socket, name, _guarded(getattr(socket.socket, name), test_thread, inet_only=True))
    for name in ("create_connection", "getaddrinfo"):
        monkeypatch.setattr(socket, name, _guarded(getattr(socket, name), test_thread))
