"""The hooks that make moto's engine faster keep it correct: a definition's parsed program, cached across
executions, holds no execution's state; DynamoDB's per-table locks keep conditional writes atomic."""

from __future__ import annotations

import enum
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tests.support.fixtures import Submit
from workflow.emulator import interpreter
from workflow.local.runtime import LocalRuntime
from workflow.local.samples import sample_order

SCALARS = (str, int, float, bool, bytes, type(None))


def shape(value: Any, seen: set[int] | None = None) -> Any:
    """Everything an object graph holds, as plain data: two snapshots are equal when nothing in it changed."""
    seen = set() if seen is None else seen
    if isinstance(value, SCALARS):
        return value
    if isinstance(value, enum.Enum):
        return repr(value)
    if id(value) in seen:
        return ("<seen>", type(value).__qualname__)
    seen.add(id(value))
    if isinstance(value, list | tuple):
        return (type(value).__name__, [shape(v, seen) for v in value])
    if isinstance(value, dict):
        return ("dict", sorted(((repr(k), shape(v, seen)) for k, v in value.items()), key=repr))
    if isinstance(value, set | frozenset):
        return ("set", sorted(repr(v) for v in value))
    attributes: dict[str, Any] = dict(getattr(value, "__dict__", {}))
    for slot in getattr(type(value), "__slots__", ()):
        if hasattr(value, slot):
            attributes[slot] = getattr(value, slot)
    return (type(value).__qualname__, sorted(((k, shape(v, seen)) for k, v in attributes.items()), key=repr))


def difference(a: Any, b: Any, path: str = "") -> str | None:
    """Where two shapes first differ (for the failure message)."""
    if type(a) is not type(b) or isinstance(a, SCALARS):
        return None if a == b else f"{path}: {a!r} -> {b!r}"
    if len(a) != len(b):
        return f"{path}: {a!r:.300} -> {b!r:.300}"
    for i, (x, y) in enumerate(zip(a, b, strict=True)):
        label = x[0] if isinstance(x, tuple) and x and isinstance(x[0], str) else str(i)
        found = difference(x, y, f"{path}/{label}")
        if found:
            return found
    return None


def test_one_parse_serves_every_execution_and_executions_leave_it_as_it_was(
    runtime: LocalRuntime, submit: Submit
) -> None:
    definition = runtime.sfn.describe_state_machine(stateMachineArn=runtime.state_machine_arn)["definition"]
    first = submit(sample_order())["json"]["orderId"]
    runtime.wait_for_execution(runtime.execution_arn(first))
    program = interpreter.parsed_program(definition)
    assert program is not None
    before = shape(program)

    # Concurrent executions down every path: fulfilled, failed validation, retried after throttling.
    runtime.dynamodb_faults.throttle("PutItem", times=2, table=runtime.table_name("orders"))
    orders = [sample_order(), sample_order(currency="QQQ"), sample_order(), sample_order(currency="XQZ")] * 3
    with ThreadPoolExecutor(6) as pool:
        accepted = list(pool.map(lambda order: submit(order)["json"]["orderId"], orders))
    statuses = [runtime.wait_for_execution(runtime.execution_arn(order_id))["status"] for order_id in accepted]
    assert set(statuses) == {"SUCCEEDED", "FAILED"}

    assert interpreter.parsed_program(definition) is program  # the same object: parsed once
    after = shape(program)
    assert after == before, difference(before, after)  # and nothing of those executions stayed in it


def test_conditional_writes_on_one_item_stay_atomic_under_concurrency(runtime: LocalRuntime) -> None:
    """Twenty threads race one conditional put on the same key: exactly one wins, as on DynamoDB."""
    table = runtime.table_name("idempotency")
    key = f"key_race_{id(runtime)}"

    def put(n: int) -> bool:
        try:
            runtime.dynamodb.put_item(
                TableName=table,
                Item={"idempotencyKey": {"S": key}, "n": {"N": str(n)}},
                ConditionExpression="attribute_not_exists(idempotencyKey)",
            )
        except runtime.dynamodb.exceptions.ConditionalCheckFailedException:
            return False
        return True

    with ThreadPoolExecutor(20) as pool:
        won = list(pool.map(put, range(20)))
    assert won.count(True) == 1


def test_the_runtime_reads_an_order_exactly_as_the_store_does(runtime: LocalRuntime, submit: Submit) -> None:
    order_id = submit(
        sample_order(shippingAddress={"line1": "1 Row", "city": "London", "postalCode": "N1 9GU", "country": "GB"})
    )["json"]["orderId"]
    seen = runtime.wait_for_order(order_id, ["FULFILLED"])
    assert seen == runtime.orders.get(order_id)  # the handlers' own consistent GetItem
    assert runtime.order("ord_absent") is None
