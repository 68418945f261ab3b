from __future__ import annotations

import socket
import urllib.request

import pytest

from tests.unit.conftest import NetworkInUnitTest


def test_the_unit_tier_refuses_network_connections() -> None:
    with pytest.raises(NetworkInUnitTest):
        socket.create_connection(("127.0.0.1", 9))
    with pytest.raises(NetworkInUnitTest), socket.socket(socket.AF_INET, socket.SOCK_STREAM) as raw:
        raw.connect(("127.0.0.1", 9))
    with pytest.raises(NetworkInUnitTest):
        urllib.request.urlopen("http://127.0.0.1:9/", timeout=1)


def test_other_threads_and_unix_sockets_are_left_alone() -> None:
    import threading

    outcome: list[BaseException | None] = []

    def elsewhere() -> None:
        try:
            socket.getaddrinfo("127.0.0.1", 9)
            outcome.append(None)
        except BaseException as e:  # what the test asserts on
            outcome.append(e)

    worker = threading.Thread(target=elsewhere)
    worker.start()
    worker.join(timeout=10)
    assert outcome == [None]
    left, right = socket.socketpair(socket.AF_UNIX)
    left.close()
    right.close()
