"""The orders API's answers when Step Functions or DynamoDB time out, by the state machine's type, from fakes (the
integration tier runs the same on the local runtime, Standard): Express is never asked DescribeExecution, a start
that timed out releases the key only where a retry cannot start a second execution, and no call starts without the
time to end and answer. Step Functions is a fake client behind the real adapter (handlers.adapters.executions), so
its botocore errors are translated as on AWS; the store is a fake of the Orders port."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, cast

import pytest
from botocore.exceptions import ClientError, ConnectTimeoutError, ReadTimeoutError

from handlers import env, wiring
from handlers.adapters import http
from handlers.adapters.executions import StepFunctionsExecutions
from handlers.adapters.http import ANONYMOUS
from handlers.adapters.orders_store import OrdersStore, stored_order
from handlers.domain.errors import IdempotencyConflictError
from handlers.domain.identifiers import new_order_id
from handlers.services.orders_api import ANSWER_MARGIN, EXPRESS, STANDARD, OrdersApi
from handlers.services.orders_ports import Orders, Reservation, StoredOrder
from tests.support.apievents import api_event
from workflow.local.faults import FaultInjector, FaultPlan, StepFunctionsFaults
from workflow.local.samples import sample_order
from workflow.manifest import MANIFEST

MACHINE = "arn:aws:states:eu-west-1:111122223333:stateMachine:orderflow-orders:live"
TIMED_OUT = ReadTimeoutError(endpoint_url="https://states.eu-west-1.amazonaws.com")


@dataclass
class Store:
    """The key's one record and the orders, in memory, as OrdersStore keeps them."""

    locks: dict[str, dict[str, Any]] = field(default_factory=dict)
    orders: dict[str, StoredOrder] = field(default_factory=dict)
    failing: Exception | None = None

    def reserve(self, key: str, fingerprint: str, order_id: str, now: datetime, until: datetime) -> Reservation:
        if self.failing is not None:
            raise self.failing
        held = self.locks.setdefault(key, {"orderId": order_id, "hash": fingerprint, "until": until})
        if held["hash"] != fingerprint:
            raise IdempotencyConflictError("another body")
        fresh = held["orderId"] == order_id
        return Reservation(held["orderId"], fresh=fresh, in_flight=fresh or held["until"] > now)

    def read(self, order_id: str) -> StoredOrder | None:
        return self.orders.get(order_id)

    def release(self, key: str, order_id: str) -> None:
        self.locks[key]["until"] = datetime.min.replace(tzinfo=self.locks[key]["until"].tzinfo)


@dataclass
class Sfn:
    """Step Functions' StartExecution and DescribeExecution: each answers the next of its outcomes (by default, it
    starts; no execution is described)."""

    starts: list[Exception | None] = field(default_factory=list)
    describes: list[Exception | dict[str, Any]] = field(default_factory=list)
    asked: list[str] = field(default_factory=list)

    def start_execution(self, stateMachineArn: str, name: str, input: str) -> dict[str, Any]:
        self.asked.append("StartExecution")
        outcome = self.starts.pop(0) if self.starts else None
        if outcome is not None:
            raise outcome
        return {"executionArn": f"{stateMachineArn}:{name}", "startDate": datetime.now(UTC)}

    def describe_execution(self, executionArn: str) -> dict[str, Any]:
        self.asked.append("DescribeExecution")
        outcome = self.describes.pop(0) if self.describes else refused("ExecutionDoesNotExist")
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


@dataclass
class Invocation:
    remaining_ms: int

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


def described(order_id: str, execution_input: dict[str, Any], status: str = "RUNNING") -> dict[str, Any]:
    """DescribeExecution's answer for a running execution of the order."""
    arn = f"{MACHINE}:{order_id}"
    return {"executionArn": arn, "input": json.dumps(execution_input), "status": status, "startDate": datetime.now(UTC)}


def refused(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": code}}, "Operation")


class Unreachable:
    """A DynamoDB client that cannot connect: every call raises what botocore raises then."""

    def __getattr__(self, name: str) -> Any:
        def call(**_: Any) -> Any:
            raise ConnectTimeoutError(endpoint_url="https://dynamodb.eu-west-1.amazonaws.com")

        return call


def api(sfn: Sfn, store: Orders, workflow_type: str | None) -> OrdersApi:
    return OrdersApi(
        executions=StepFunctionsExecutions(cast(Any, sfn), MACHINE),
        store=store,
        workflow_type=lambda: workflow_type,
        longest_call=timedelta(seconds=3),
    )


def post(orders: OrdersApi, key: str = "k1") -> tuple[int, dict[str, Any], dict[str, str]]:
    response = http.answer(orders, api_event("POST", "/orders", sample_order(), {"idempotency-key": key}))
    return response["statusCode"], json.loads(response["body"]), response["headers"]


def get(orders: OrdersApi, order_id: str) -> int:
    return int(http.answer(orders, api_event("GET", f"/orders/{order_id}"))["statusCode"])


def test_express_is_never_asked_describe_execution() -> None:
    sfn, store = Sfn(), Store()
    orders = api(sfn, store, EXPRESS)
    assert post(orders)[0] == 202
    # The same key again while the first is in flight and its order not written: only the table could tell.
    status, body, headers = post(orders)
    assert (status, headers["retry-after"]) == (409, "1")
    assert body["status"] == 409
    order_id = next(iter(store.locks.values()))["orderId"]
    assert get(orders, order_id) == 404
    assert sfn.asked == ["StartExecution"]


@pytest.mark.parametrize(
    ("workflow_type", "released"),
    [(STANDARD, True), (EXPRESS, False), (None, False)],
)
def test_a_start_that_timed_out_is_503_and_releases_the_key_only_where_a_retry_cannot_start_twice(
    workflow_type: str | None, released: bool
) -> None:
    sfn, store = Sfn(starts=[TIMED_OUT]), Store()
    orders = api(sfn, store, workflow_type)
    status, body, headers = post(orders)
    assert (status, headers["retry-after"], body["status"]) == (503, "1", 503)
    # Standard: the retry starts (or finds) the execution by name at once. Otherwise it waits for the deadline (409).
    retry = post(orders)[0]
    assert retry == (202 if released else 409)


def test_a_store_that_cannot_be_reached_is_503_and_nothing_starts() -> None:
    sfn = Sfn()
    orders = api(sfn, OrdersStore(cast(Any, Unreachable()), "orders", "locks"), None)
    status, body, headers = post(orders)
    assert (status, headers["retry-after"], body["title"]) == (503, "1", "Service Unavailable")
    assert sfn.asked == []


def test_a_throttled_describe_execution_is_503_and_invalid_arn_is_no_execution() -> None:
    sfn = Sfn(describes=[refused("ThrottlingException"), refused("InvalidArn")])
    orders = api(sfn, Store(), STANDARD)
    order_id = new_order_id()
    assert get(orders, order_id) == 503
    assert get(orders, order_id) == 404


def test_execution_already_exists_but_not_visible_is_409_until_it_is() -> None:
    store = Store()
    sfn = Sfn(starts=[None, refused("ExecutionAlreadyExists")])
    orders = api(sfn, store, STANDARD)
    assert post(orders)[0] == 202
    first = next(iter(store.locks.values()))
    first["until"] = datetime.min.replace(tzinfo=first["until"].tzinfo)  # the first request died after its start
    status, body, headers = post(orders)
    assert (status, headers["retry-after"]) == (409, "1")
    assert "not visible yet" in body["detail"]
    submitted = {"requestHash": first["hash"]}
    sfn.describes.append(described(first["orderId"], submitted))
    status, body, headers = post(orders)
    assert (status, headers.get("idempotent-replayed"), body["orderId"]) == (202, "true", first["orderId"])


def test_no_call_starts_without_the_time_to_end_and_answer() -> None:
    sfn, store = Sfn(), Store()
    orders = api(sfn, store, STANDARD).for_invocation(Invocation(remaining_ms=3000))  # under 3 s per call + margin
    status, _, headers = post(orders)
    assert (status, headers["retry-after"]) == (503, "1")
    assert store.locks == {}
    assert sfn.asked == []


def test_the_api_timeouts_fit_start_workflow_with_time_to_answer() -> None:
    timeout = timedelta(seconds=MANIFEST.function("StartWorkflow").timeout)
    assert wiring.API_TIMEOUTS.longest_call() + ANSWER_MARGIN < timeout
    config = wiring.API_TIMEOUTS.config()
    assert cast(Any, config).retries["total_max_attempts"] == 1


def test_the_workflow_type_is_optional_and_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(env.STATE_MACHINE_TYPE, raising=False)
    assert wiring.workflow_type() is None
    monkeypatch.setenv(env.STATE_MACHINE_TYPE, "express")
    assert wiring.workflow_type() == EXPRESS
    monkeypatch.setenv(env.STATE_MACHINE_TYPE, "SYNC")
    with pytest.raises(env.ConfigurationError, match="STANDARD, EXPRESS"):
        wiring.workflow_type()


def test_stall_faults_need_their_duration_and_hit_their_execution_only() -> None:
    with pytest.raises(ValueError, match="sfn_stall needs sfn_stall_ms"):
        FaultPlan(sfn_stall=0.1)
    with pytest.raises(ValueError, match="must not be negative"):
        FaultPlan(dynamodb_stall_ms=-1)
    plan = FaultPlan.from_dict({"sfn_stall": 1.0, "sfn_stall_ms": 1500, "dynamodb_stall": 0.5, "dynamodb_stall_ms": 9})
    assert FaultPlan.from_dict(plan.to_dict()) == plan
    injector = FaultInjector(plan)
    faults = StepFunctionsFaults(injector=FaultInjector())
    faults.fail("DescribeExecution", "ExecutionDoesNotExist", times=1, name="ord_1")
    assert faults.take("DescribeExecution", "ord_2") is None
    missed = faults.take("DescribeExecution", "ord_1")
    assert missed is not None
    assert missed.error == "ExecutionDoesNotExist"
    assert faults.take("DescribeExecution", "ord_1") is None
    stalling = StepFunctionsFaults(injector=injector)
    assert stalling.take("StartExecution", "ord_1") is None  # not armed: the runtime is still provisioning
    injector.armed = True
    stalled = stalling.take("StartExecution", "ord_1")
    assert stalled is not None
    assert (stalled.delay, stalled.error) == (1.5, None)


def read(orders: OrdersApi, order_id: str) -> tuple[int, dict[str, Any]]:
    """GET /orders/{orderId} as the anonymous caller (no authorizer, as the local API)."""
    answered = http.answer(orders, api_event("GET", f"/orders/{order_id}"))
    return answered["statusCode"], json.loads(answered["body"])


def test_an_order_not_written_yet_is_read_from_its_execution_and_only_by_its_owner() -> None:
    order_id = new_order_id()
    stopped = {"stopDate": datetime(2026, 12, 5, 12, 0, 1, tzinfo=UTC), "error": "States.Timeout", "cause": "arn:…"}
    failed = {**described(order_id, {"owner": ANONYMOUS}, status="FAILED"), **stopped}
    failed["startDate"] = datetime(2026, 12, 5, 12, 0, 0, tzinfo=UTC)
    orders = api(Sfn(describes=[failed, described(order_id, {"owner": '["iam","someone else"]'})]), Store(), STANDARD)
    status, body = read(orders, order_id)
    assert status == 200
    assert body == {
        "orderId": order_id,
        "status": "FAILED",
        "history": [
            {"status": "PENDING", "at": "2026-12-05T12:00:00.000Z"},
            {"status": "FAILED", "at": "2026-12-05T12:00:01.000Z"},
        ],
        # Not the client's input: its cause may name internals, so it is not shown.
        "failure": {"error": "States.Timeout", "cause": "the order could not be processed; operators were alerted"},
    }
    assert read(orders, order_id)[0] == 404  # another caller's execution is answered as none


CAUSE = "items[0].sku: duplicates items[1]"


def test_a_written_order_reads_in_minor_units_without_internals() -> None:
    order_id = new_order_id()
    # As OrdersStore.get hands the record out (DynamoDB keeps 12.50 as 12.5 and 25.00 as 25), with its internals.
    record = {
        "orderId": order_id,
        "owner": ANONYMOUS,
        "status": "FAILED",
        "currency": "EUR",
        "history": [{"status": "PENDING", "at": "t0"}],
        "items": [{"sku": "A-1", "quantity": 2, "unitPrice": Decimal("12.5")}],
        "total": 25,
        "failure": {"state": "Validate", "error": "OrderValidationError", "cause": json.dumps({"errorMessage": CAUSE})},
        "requestHash": "h",
        "executionArn": f"{MACHINE}:{order_id}",
        "idempotencyKey": "key_1",
    }
    stored = stored_order(record)
    orders = api(Sfn(), Store(orders={order_id: stored}), STANDARD)
    status, body = read(orders, order_id)
    assert status == 200
    assert body == {
        "orderId": order_id,
        "status": "FAILED",
        "currency": "EUR",
        "history": [{"status": "PENDING", "at": "t0"}],
        "items": [{"sku": "A-1", "quantity": 2, "unitPrice": "12.50", "lineTotal": "25.00"}],
        "total": "25.00",
        # The client's own input: the reason is shown, read from the Lambda error document.
        "failure": {"state": "Validate", "error": "OrderValidationError", "cause": CAUSE},
    }
    assert list(body) == ["orderId", "status", "currency", "history", "items", "total", "failure"]
