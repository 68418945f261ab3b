"""The checks every answer runs (schemathesis' own, by name, and ours of the Idempotency-Key contract) and what a
failed one says: a Problem, its reason and the signature that makes repeats of it one finding."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from schemathesis.checks import CheckFunction, not_a_server_error
from schemathesis.core.failures import Failure
from schemathesis.core.transport import Response
from schemathesis.specs.openapi.checks import (
    allow_header_conformance,
    content_type_conformance,
    missing_required_header,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

# Imported by name, so a schemathesis release that moves one fails at import, not by silently checking less.
CHECKS: tuple[CheckFunction, ...] = (
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
    missing_required_header,
    unsupported_method,
    allow_header_conformance,
)
# Our own checks of the Idempotency-Key contract, counted as nonconforming like schemathesis' own.
REPLAY_CHECK = "idempotent_replay"
CONFLICT_CHECK = "idempotency_key_conflict"
TRANSPORT_CHECK = "answered"
REASON_LENGTH = 240
_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"|\(was .*')


@dataclass(frozen=True)
class Problem:
    check: str
    reason: str
    # What makes two failures the same one (default: the reason); drawn values left out.
    signature: str = ""

    @property
    def key(self) -> str:
        return self.signature or self.reason


def clip(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def failure_reason(failure: Failure) -> str:
    lines = [line.strip() for line in failure.message.splitlines() if line.strip()]
    # The first line says what broke; negative_data_rejection names the part of the request it made invalid later.
    details = lines[:1] + [line for line in lines[1:] if line.startswith("Invalid component")]
    return clip(": ".join([failure.title, *details]), REASON_LENGTH)


def failure_signature(failure: Failure) -> str:
    """Failures differing only in the drawn value are one finding: a schema failure is its place in the schema,
    any other its reason with quoted values elided."""
    schema_path = getattr(failure, "schema_path", None)
    if schema_path:
        return f"{failure.title} at /{'/'.join(str(part) for part in schema_path)}"
    return _QUOTED.sub('"…"', failure_reason(failure))


def json_body(response: Response) -> Any:
    try:
        return json.loads(response.content)
    except ValueError:
        return None


def _header(response: Response, name: str) -> str | None:
    values = response.headers.get(name.lower())
    return values[0] if values else None


def replay_problems(first: Any, replayed: Response) -> list[Problem]:
    if replayed.status_code != 202:
        return [Problem(REPLAY_CHECK, f"the same key and body again answered {replayed.status_code}, not 202")]
    problems = []
    if _header(replayed, "Idempotent-Replayed") != "true":
        problems.append(Problem(REPLAY_CHECK, "a replayed 202 without Idempotent-Replayed: true"))
    again = json_body(replayed)
    first_id = first.get("orderId") if isinstance(first, dict) else None
    if not isinstance(again, dict) or again.get("orderId") != first_id:
        problems.append(Problem(REPLAY_CHECK, "the same key and body named another order"))
    return problems


def conflict_problems(response: Response) -> list[Problem]:
    if response.status_code != 422:
        return [Problem(CONFLICT_CHECK, f"the same key with another body answered {response.status_code}, not 422")]
    return []
