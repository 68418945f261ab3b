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
