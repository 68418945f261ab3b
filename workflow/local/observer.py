"""What the local system tells an observer about the calls it served: the harness's meter (workflow.harness.meter)
listens, and `orderflow cost` reads it. A runtime without an observer counts nothing."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any, Protocol

# (table, key in DynamoDB's JSON) -> the item as stored, read from moto's backend (not a billed call)
ReadItem = Callable[[str, Mapping[str, Any]], dict[str, Any] | None]


class Observer(Protocol):
    def invoked(self, function: str) -> None:
        """A Lambda function was invoked."""

    def http_request(self) -> None:
        """The HTTP API took a request."""

    def messaging(self, service: str, action: str, params: Mapping[str, Any], answer: Any = None) -> None:
        """An SQS or SNS call was served."""

    def dynamodb(self, action: str, params: Mapping[str, Any], answer: Any, read_item: ReadItem) -> None:
        """A DynamoDB call was served (`read_item` reads an item as it is now, for its size)."""

    def logged(self, size: int) -> None:
        """The handlers wrote a log line of `size` bytes."""


class LoggedBytes(logging.Handler):
    """Hands on what the handlers' logger writes, formatted as it is written (the bytes CloudWatch ingests)."""

    def __init__(self, logged: Callable[[int], None], formatter: logging.Formatter | None) -> None:
        super().__init__()
        self._logged = logged
        if formatter is not None:
            self.setFormatter(formatter)

    def emit(self, record: logging.LogRecord) -> None:
        self._logged(len(self.format(record).encode()) + 1)
