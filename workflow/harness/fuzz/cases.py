"""The OpenAPI document as schemathesis sees it: its operations, and how a budget of cases is spread over them."""

from __future__ import annotations

import copy
import random
from collections.abc import Callable
from typing import Any

import schemathesis
from schemathesis import Case as _Case
from schemathesis.core.result import Ok
from schemathesis.schemas import APIOperation as _APIOperation
from schemathesis.schemas import BaseSchema

# schemathesis' classes are generic over its operation and schema types; this module works with any of them.
APIOperation = _APIOperation[Any, Any, Any, Any]
Case = _Case[Any]


def load_schema(document: dict[str, Any]) -> BaseSchema:
    # An explicit configuration: a schemathesis.toml lying around must not change what the run checks. Nothing
    # here is secret (local system, generated keys), and a reproduction with "[Filtered]" for its key reproduces
    # nothing.
    config = schemathesis.Config.from_dict({"output": {"sanitization": {"enabled": False}}})
    return schemathesis.openapi.from_dict(copy.deepcopy(document), config=config)


def operations_of(schema: BaseSchema) -> list[APIOperation]:
    found = []
    for result in schema.get_all_operations():
        if not isinstance(result, Ok):
            raise ValueError(f"the OpenAPI document has an operation schemathesis cannot use: {result.err()}")
        found.append(result.ok())
    return found


def split(total: int, parts: int) -> list[int]:
    """`total` spread over `parts` as evenly as whole numbers allow (the first ones take the remainder)."""
    if parts <= 0:
        return []
    share, rest = divmod(max(total, 0), parts)
    return [share + (1 if index < rest else 0) for index in range(parts)]


def spread_sample(items: list[Any], limit: int, rng: random.Random, group: Callable[[Any], str]) -> list[Any]:
    """At most `limit` items, taken round-robin over their groups so that no group crowds out the others."""
    if len(items) <= limit:
        return list(items)
    groups: dict[str, list[Any]] = {}
    for item in items:
        groups.setdefault(group(item), []).append(item)
    for members in groups.values():
        rng.shuffle(members)
    picked: list[Any] = []
    while len(picked) < limit:
        for members in groups.values():
            if members and len(picked) < limit:
                picked.append(members.pop())
    return picked
