"""What tests expect of the workflow, derived from the compiled definition and the manifest rather than kept as
lists here: a new step is then expected everywhere at once. Each derivation also checks that the steps every
edition has are still there, in order, so a derived list that lost one fails instead of asking for less."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workflow import asl
from workflow.failure_route import IDENTITY_KEYS
from workflow.local.samples import sample_order
from workflow.manifest import MANIFEST

KNOWN_STEPS = ("ValidateOrder", "CreateOrder", "EnqueueOrder", "NotifyOrder")
KNOWN_FUNCTIONS = ("ValidateOrder", "CreateOrder", "NotifyOrder")


def in_order(known: tuple[str, ...], derived: list[str]) -> bool:
    """Whether `known` appears in `derived` in the same order (other steps may stand between them)."""
    rest = iter(derived)
    return all(step in rest for step in known)


def happy_path(definition: Mapping[str, Any] | None = None) -> list[str]:
    """The states an order enters when nothing fails (asl.happy_path), of the shipped definition by default."""
    path = asl.happy_path(definition if definition is not None else asl.compile_order_workflow())
    assert in_order(KNOWN_STEPS, path), path
    return path


def lambda_tasks(definition: Mapping[str, Any] | None = None) -> list[str]:
    """The Task states that invoke a Lambda function, in state order."""
    found = [
        t.state
        for t in asl.tasks(
            definition if definition is not None else asl.compile_order_workflow(), MANIFEST.substitutions
        )
        if t.integration == asl.LAMBDA_INVOKE
    ]
    assert in_order(KNOWN_FUNCTIONS, found), found
    return found


def invoked_functions(definition: Mapping[str, Any] | None = None) -> list[str]:
    """The functions those tasks invoke, in state order."""
    functions = asl.invoked_functions(
        definition if definition is not None else asl.compile_order_workflow(), MANIFEST.substitutions
    )
    assert in_order(KNOWN_FUNCTIONS, functions), functions
    return functions


def execution_input(order_id: str, submitted_at: str = "2026-12-05T12:00:00Z") -> dict[str, Any]:
    """An order execution's input as StartWorkflow starts it: the order's identity (the failure route's
    IDENTITY_KEYS), its total and the order."""
    given: dict[str, Any] = {
        "orderId": order_id,
        "owner": "test-caller",
        "idempotencyKey": f"test-caller:{order_id}",
        "requestHash": "h-1",
        "correlationId": f"cid-{order_id}",
        "submittedAt": submitted_at,
        "total": "25.99",
        "currency": "EUR",
        "order": sample_order(),
    }
    assert set(IDENTITY_KEYS) <= set(given), "the identity the failure route records is part of every input"
    return given
