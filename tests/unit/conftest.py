"""The unit tier opens no network connections: a test that would reach a network (a forgotten client, a real
endpoint) fails at once instead of hanging or passing by luck. Unix sockets and subprocess pipes stay allowed.

Only the test's own thread is refused: under `--dist loadfile` a worker may also hold an integration runtime
whose background threads (pollers, the AlertHandler posting to a loopback webhook) keep running meanwhile.

The handler tier: `make test` runs the unit tests of the handlers a second time on the Python Lambda runs them on
(ORDERFLOW_LAMBDA_RUNTIME, below)."""

from __future__ import annotations

import ast
import logging
import os
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

# Set (to PYTHON_RUNTIME, e.g. python3.13) when the handler tier runs on the Python Lambda runs the handlers on: then
# only the test modules that import nothing but the handlers (and pytest, the standard library, what Lambda ships)
# are collected; the rest need the workflow's own dependencies, which that tier does not test.
LAMBDA_RUNTIME = os.environ.get("ORDERFLOW_LAMBDA_RUNTIME")
NOT_IN_LAMBDA = ("workflow", "infra", "tests", "moto", "stepfunctions", "aws_cdk", "jsonata")


def imports_only_the_handlers(source: Path) -> bool:
    names: set[str] = set()
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return not names & set(NOT_IN_LAMBDA)


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    if LAMBDA_RUNTIME and collection_path.suffix == ".py" and collection_path.name.startswith("test_"):
        return not imports_only_the_handlers(collection_path)
    return None


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


@pytest.fixture
def logged() -> Iterator[list[logging.LogRecord]]:
    """Every record the handlers' logger ("orderflow", handlers.observability's) emits during the test."""
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    keep = Keep()
    logger = logging.getLogger("orderflow")
    logger.addHandler(keep)
    yield records
    logger.removeHandler(keep)
