"""The orders API's use cases (handlers.services.orders_api) over in-memory fakes of its ports (Orders,
Executions): the Idempotency-Key contract, the time budget of each call, and the order as its owner reads it."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from handlers import observability
from handlers.domain.errors import IdempotencyConflictError, OrderStoreUnavailable, OrderValidationError
from handlers.domain.identifiers import is_order_id, request_hash, scoped_idempotency_key
from handlers.services.orders_api import (
    EXPRESS,
    INTERNAL_FAILURE,
    STANDARD,
    OrdersApi,
    public_failure,
    public_order,
)
from handlers.services.orders_ports import (
    Accepted,
    DependencyUnavailable,
    Execution,
    ExecutionAlreadyExists,
    ExecutionNotVisible,
    Failure,
    RequestInFlight,
    Reservation,
    StartExecutionRefused,
    StepFunctionsThrottled,
    StepFunctionsUnavailable,
    StoredItem,
    StoredOrder,
    Submission,
)

EQUIVALENT_MUTANTS: dict[str, str] = {
    "handlers.services.orders_api.x_public_order__mutmut_36": (
        'a record without a currency formats its amounts as stored: "XXXX", like "", is no currency MINOR_UNITS knows'
    ),
}

NOW = datetime(2026, 12, 5, 12, 0, 0, tzinfo=UTC)
ORDER_ID = "ord_aaaaaaaaaaaaaaaaaaaaaaaaaa"
PAYLOAD: dict[str, Any] = {
    "customerId": "cust-42",
    "currency": "EUR",
    "items": [{"sku": "BOOK-1", "quantity": 2, "unitPrice": "12.50"}],
}
KEY = scoped_idempotency_key("caller-1", "k1")
HASH = request_hash(PAYLOAD)
ARN = f"arn:aws:states:eu-west-1:111122223333:execution:orderflow-orders:{ORDER_ID}"


class Budget:
    """The invocation's time left: each call of a fake port takes `per_call`."""

    def __init__(self, ms: int, per_call_ms: int = 0) -> None:
        self.ms = ms
        self.per_call_ms = per_call_ms

    def get_remaining_time_in_millis(self) -> int:
        return self.ms

    def spend(self) -> None:
        self.ms -= self.per_call_ms


@dataclass
class FakeOrders:
    """The Orders port: `reservation` is what reserve answers (None: this request reserved the id it brought)."""

    reservation: Reservation | None = None
    orders: dict[str, StoredOrder] = field(default_factory=dict)
    release_error: Exception | None = None
    budget: Budget | None = None
    calls: list[tuple[Any, ...]] = field(default_factory=list)

    def reserve(
        self, idempotency_key: str, request_hash: str, order_id: str, now: datetime, in_flight_until: datetime
    ) -> Reservation:
        self._spend()
        self.calls.append(("reserve", idempotency_key, request_hash, order_id, now, in_flight_until))
        return self.reservation or Reservation(order_id, fresh=True, in_flight=True)

    def release(self, idempotency_key: str, order_id: str) -> None:
        self._spend()
        self.calls.append(("release", idempotency_key, order_id))
        if self.release_error is not None:
            raise self.release_error

    def read(self, order_id: str) -> StoredOrder | None:
        self._spend()
        self.calls.append(("read", order_id))
        return self.orders.get(order_id)

    def _spend(self) -> None:
        if self.budget is not None:
            self.budget.spend()


@dataclass
class FakeExecutions:
    """The Executions port: `start` raises the next of `starts` (None: it starts); `describe` answers `described`."""

    starts: list[Exception | None] = field(default_factory=list)
    described: dict[str, Execution] = field(default_factory=dict)
    budget: Budget | None = None
    calls: list[tuple[Any, ...]] = field(default_factory=list)

    def start(self, name: str, execution_input: Mapping[str, Any]) -> str:
        if self.budget is not None:
            self.budget.spend()
        self.calls.append(("start", name, dict(execution_input)))
        outcome = self.starts.pop(0) if self.starts else None
        if outcome is not None:
            raise outcome
        return f"arn:aws:states:eu-west-1:111122223333:execution:orderflow-orders:{name}"

    def describe(self, name: str) -> Execution | None:
        if self.budget is not None:
            self.budget.spend()
        self.calls.append(("describe", name))
        return self.described.get(name)


def api(
    orders: FakeOrders,
    executions: FakeExecutions,
    workflow_type: str | None = STANDARD,
    context: Any = None,
    longest_call: timedelta = timedelta(seconds=3),
) -> OrdersApi:
    return OrdersApi(
        executions=executions,
        store=orders,
        workflow_type=lambda: workflow_type,
        longest_call=longest_call,
        now=lambda: NOW,
    ).for_invocation(context)


def submission(payload: Any = None) -> Submission:
    return Submission("caller-1", "k1", PAYLOAD if payload is None else payload, "corr-1")


def running(order_id: str = ORDER_ID, **execution_input: Any) -> Execution:
    return Execution(ARN, json.dumps(execution_input), "RUNNING", NOW - timedelta(seconds=5))


def lines(records: list[logging.LogRecord]) -> list[tuple[str, str, dict[str, object]]]:
    keys = ("execution_arn", "reason")
    return [(r.levelname, r.getMessage(), {k: r.__dict__[k] for k in keys if k in r.__dict__}) for r in records]


@pytest.fixture
def told(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Any]]:
    """The metrics written and the log keys bound, in order."""
    seen: list[tuple[str, Any]] = []
    monkeypatch.setattr(observability, "metric", lambda name, *args, **kwargs: seen.append(("metric", name)))
    monkeypatch.setattr(observability, "append", lambda **keys: seen.append(("keys", keys)))
    return seen


# POST /orders: a new key


def test_a_new_key_reserves_an_order_id_and_starts_its_execution_with_the_whole_order(
    logged: list[logging.LogRecord], told: list[tuple[str, Any]]
) -> None:
    orders, executions = FakeOrders(), FakeExecutions()
    accepted = api(orders, executions, context=Budget(10_000)).submit(submission())
    assert accepted.replayed is False
    order_id = accepted.order_id
    assert is_order_id(order_id)
    assert orders.calls == [("reserve", KEY, HASH, order_id, NOW, NOW + timedelta(seconds=10))]
    assert executions.calls == [
        (
            "start",
            order_id,
            {
                "orderId": order_id,
                "idempotencyKey": KEY,
                "requestHash": HASH,
                "owner": "caller-1",
                "correlationId": "corr-1",
                "submittedAt": "2026-12-05T12:00:00.000Z",
                "total": "25.00",
                "order": {
                    "customerId": "cust-42",
                    "items": [{"sku": "BOOK-1", "quantity": 2, "unitPrice": "12.50"}],
                    "currency": "EUR",
                },
            },
        )
    ]
    execution_arn = f"arn:aws:states:eu-west-1:111122223333:execution:orderflow-orders:{order_id}"
    assert lines(logged) == [("INFO", "order accepted", {"execution_arn": execution_arn})]
    assert told == [("keys", {"order_id": order_id}), ("metric", "OrdersAccepted")]


def test_an_invalid_order_is_refused_before_anything_is_called() -> None:
    orders, executions = FakeOrders(), FakeExecutions()
    with pytest.raises(OrderValidationError):
        api(orders, executions).submit(submission({"customerId": "cust-42"}))
    assert orders.calls == executions.calls == []


@pytest.mark.parametrize("context", [None, object()], ids=["no context", "no deadline"])
def test_without_a_known_deadline_a_request_is_in_flight_for_30_seconds(context: Any) -> None:
    orders = FakeOrders()
    api(orders, FakeExecutions(), context=context).submit(submission())
    assert orders.calls[0][-1] == NOW + timedelta(seconds=30)


def test_an_invocation_s_api_is_a_copy_that_reads_that_invocation_s_deadline() -> None:
    base = OrdersApi(executions=FakeExecutions(), store=FakeOrders())
    budget = Budget(4_000)
    invocation = base.for_invocation(budget)
    assert base.remaining_ms is None
    assert invocation.remaining_ms is not None
    budget.ms = 1_234
    assert invocation.remaining_ms() == 1_234
    assert base.for_invocation(None).remaining_ms is None
    assert invocation.for_invocation(None).remaining_ms is None  # the next invocation's deadline is not this one's


# The time budget: no call starts without the time to end and answer


def test_a_call_starts_with_exactly_its_longest_duration_and_the_margin_left() -> None:
    orders, executions = FakeOrders(), FakeExecutions()
    assert api(orders, executions, context=Budget(3_500)).submit(submission()).replayed is False
    assert [call[0] for call in orders.calls + executions.calls] == ["reserve", "start"]


def test_a_millisecond_less_and_the_key_is_not_even_reserved() -> None:
    orders, executions = FakeOrders(), FakeExecutions()
    with pytest.raises(DependencyUnavailable) as raised:
        api(orders, executions, context=Budget(3_499)).submit(submission())
    assert str(raised.value) == "reserve the Idempotency-Key: too little time left in this invocation to call"
    assert orders.calls == executions.calls == []


def test_without_time_for_start_execution_the_standard_key_is_released_if_time_allows(
    logged: list[logging.LogRecord],
) -> None:
    budget = Budget(2_000, per_call_ms=1_000)  # each call takes a second; 1.5 s needed before each
    orders, executions = FakeOrders(budget=budget), FakeExecutions(budget=budget)
    service = api(orders, executions, context=budget, longest_call=timedelta(seconds=1))
    with pytest.raises(DependencyUnavailable) as raised:
        service.submit(submission())
    assert str(raised.value) == "StartExecution: too little time left in this invocation to call"
    assert [call[0] for call in orders.calls] == ["reserve"]
    assert executions.calls == []
    reason = "release the Idempotency-Key: too little time left in this invocation to call"
    assert lines(logged) == [("WARNING", "the key's reservation could not be released", {"reason": reason})]


def test_a_replay_without_time_to_read_the_order_is_refused_for_now() -> None:
    budget = Budget(2_499, per_call_ms=1_000)  # 1.5 s needed before each call of a second
    orders = FakeOrders(reservation=Reservation(ORDER_ID, fresh=False, in_flight=True), budget=budget)
    with pytest.raises(DependencyUnavailable, match=r"^read the order: too little time"):
        api(orders, FakeExecutions(), context=budget, longest_call=timedelta(seconds=1)).submit(submission())


def test_a_replay_without_time_to_describe_the_execution_is_refused_for_now() -> None:
    budget = Budget(3_499, per_call_ms=1_000)
    orders = FakeOrders(reservation=Reservation(ORDER_ID, fresh=False, in_flight=True), budget=budget)
    executions = FakeExecutions(budget=budget)
    with pytest.raises(DependencyUnavailable, match=r"^DescribeExecution: too little time"):
        api(orders, executions, context=budget, longest_call=timedelta(seconds=1)).submit(submission())
    assert executions.calls == []


# POST /orders: a key used before


def test_a_key_whose_order_is_written_is_replayed_without_starting_anything(
    logged: list[logging.LogRecord], told: list[tuple[str, Any]]
) -> None:
    orders = FakeOrders(
        reservation=Reservation(ORDER_ID, fresh=False, in_flight=True), orders={ORDER_ID: StoredOrder(ORDER_ID)}
    )
    executions = FakeExecutions()
    assert api(orders, executions).submit(submission()) == Accepted(ORDER_ID, replayed=True)
    assert [call[0] for call in orders.calls] == ["reserve", "read"]
    assert orders.calls[1] == ("read", ORDER_ID)
    assert executions.calls == []
    assert lines(logged) == [("INFO", "idempotent replay: the order is written", {})]
    assert told == [("keys", {"order_id": ORDER_ID})]


@pytest.mark.parametrize("in_flight", [True, False])
def test_a_key_whose_execution_started_is_replayed(in_flight: bool, logged: list[logging.LogRecord]) -> None:
    orders = FakeOrders(reservation=Reservation(ORDER_ID, fresh=False, in_flight=in_flight))
    executions = FakeExecutions(described={ORDER_ID: running(requestHash=HASH)})
    assert api(orders, executions).submit(submission()) == Accepted(ORDER_ID, replayed=True)
    assert executions.calls == [("describe", ORDER_ID)]
    assert lines(logged) == [("INFO", "idempotent replay", {"execution_arn": ARN})]


@pytest.mark.parametrize("execution_input", ['{"requestHash": "another"}', ""], ids=["another body", "not told"])
def test_an_execution_started_by_another_request_is_a_conflict(execution_input: str) -> None:
    orders = FakeOrders(reservation=Reservation(ORDER_ID, fresh=False, in_flight=True))
    first = Execution(ARN, execution_input, "RUNNING", NOW)
    with pytest.raises(IdempotencyConflictError) as raised:
        api(orders, FakeExecutions(described={ORDER_ID: first})).submit(submission())
    assert str(raised.value) == f"execution {ORDER_ID} was started by another request"


@pytest.mark.parametrize("workflow_type", [STANDARD, EXPRESS, None])
def test_a_key_in_flight_with_nothing_to_show_yet_is_asked_to_wait(workflow_type: str | None) -> None:
    orders = FakeOrders(reservation=Reservation(ORDER_ID, fresh=False, in_flight=True))
    executions = FakeExecutions()
    with pytest.raises(RequestInFlight) as raised:
        api(orders, executions, workflow_type).submit(submission())
    assert type(raised.value) is RequestInFlight
    assert raised.value.args == (ORDER_ID,)
    # Express executions cannot be described: it is not asked.
    assert executions.calls == ([] if workflow_type == EXPRESS else [("describe", ORDER_ID)])


def test_a_key_whose_first_request_died_starts_the_same_order(told: list[tuple[str, Any]]) -> None:
    orders = FakeOrders(reservation=Reservation(ORDER_ID, fresh=False, in_flight=False))
    executions = FakeExecutions()
    assert api(orders, executions).submit(submission()) == Accepted(ORDER_ID)
    assert [call[:2] for call in executions.calls] == [("describe", ORDER_ID), ("start", ORDER_ID)]
    started = executions.calls[1][2]
    assert (started["orderId"], started["idempotencyKey"], started["requestHash"]) == (ORDER_ID, KEY, HASH)
    assert told == [("keys", {"order_id": ORDER_ID}), ("metric", "OrdersAccepted")]


# POST /orders: StartExecution's answers


@pytest.mark.parametrize(("workflow_type", "released"), [(STANDARD, True), (EXPRESS, False), (None, False)])
def test_a_start_that_timed_out_releases_the_key_only_on_standard(workflow_type: str | None, released: bool) -> None:
    orders, executions = FakeOrders(), FakeExecutions(starts=[StepFunctionsUnavailable("read timeout")])
    service = api(orders, executions, workflow_type)
    with pytest.raises(StepFunctionsUnavailable):
        service.submit(submission())
    order_id = orders.calls[0][3]
    assert orders.calls[1:] == ([("release", KEY, order_id)] if released else [])


@pytest.mark.parametrize("error", [StepFunctionsThrottled("throttled"), StartExecutionRefused("invalid input")])
@pytest.mark.parametrize("workflow_type", [STANDARD, EXPRESS])
def test_a_start_refused_releases_the_key_whatever_the_type(error: Exception, workflow_type: str) -> None:
    orders, executions = FakeOrders(), FakeExecutions(starts=[error])
    with pytest.raises(type(error)):
        api(orders, executions, workflow_type).submit(submission())
    order_id = orders.calls[0][3]
    assert orders.calls[1:] == [("release", KEY, order_id)]


def test_a_release_that_fails_is_logged_and_the_start_s_error_stands(logged: list[logging.LogRecord]) -> None:
    orders = FakeOrders(release_error=OrderStoreUnavailable("DynamoDB throttled the write"))
    executions = FakeExecutions(starts=[StepFunctionsThrottled("throttled")])
    with pytest.raises(StepFunctionsThrottled):
        api(orders, executions).submit(submission())
    assert lines(logged) == [
        ("WARNING", "the key's reservation could not be released", {"reason": "DynamoDB throttled the write"})
    ]


@pytest.mark.parametrize("workflow_type", [STANDARD, EXPRESS, None])
def test_an_execution_that_already_exists_is_described_whatever_the_type_and_replayed(
    workflow_type: str | None, logged: list[logging.LogRecord]
) -> None:
    orders = FakeOrders(reservation=Reservation(ORDER_ID, fresh=True, in_flight=True))
    executions = FakeExecutions(
        starts=[ExecutionAlreadyExists(ORDER_ID)], described={ORDER_ID: running(requestHash=HASH)}
    )
    assert api(orders, executions, workflow_type).submit(submission()) == Accepted(ORDER_ID, replayed=True)
    assert [call[0] for call in executions.calls] == ["start", "describe"]
    assert [call[0] for call in orders.calls] == ["reserve"]
    assert lines(logged) == [("INFO", "idempotent replay", {"execution_arn": ARN})]


def test_an_execution_that_exists_but_is_not_visible_yet_asks_the_client_to_wait(
    logged: list[logging.LogRecord],
) -> None:
    orders = FakeOrders(reservation=Reservation(ORDER_ID, fresh=True, in_flight=True))
    exists = ExecutionAlreadyExists(ORDER_ID)
    with pytest.raises(ExecutionNotVisible) as raised:
        api(orders, FakeExecutions(starts=[exists])).submit(submission())
    assert raised.value.args == (ORDER_ID,)
    assert raised.value.__cause__ is exists
    assert [call[0] for call in orders.calls] == ["reserve"]  # the key untouched: the retry is replayed
    assert lines(logged) == [("WARNING", "the execution that exists is not visible yet", {})]


# GET /orders/{orderId}

WRITTEN = StoredOrder(
    order_id=ORDER_ID,
    owner="caller-1",
    status="FULFILLED",
    customer_id="cust-42",
    currency="EUR",
    email="ada@example.com",
    shipping_address={"line1": "1 Main St", "city": "Dublin", "postalCode": "D01", "country": "IE"},
    history=({"status": "PENDING", "at": "t0"}, {"status": "FULFILLED", "at": "t1"}),
    correlation_id="corr-1",
    created_at="t0",
    updated_at="t1",
    items=(StoredItem("BOOK-1", 2, Decimal("12.5")), StoredItem("PEN-7", 3, Decimal("0.99"))),
    total=Decimal("27.97"),
)


def test_a_written_order_reads_whole_for_its_owner_and_not_at_all_for_another_caller(
    told: list[tuple[str, Any]],
) -> None:
    orders, executions = FakeOrders(orders={ORDER_ID: WRITTEN}), FakeExecutions()
    service = api(orders, executions)
    assert service.read(ORDER_ID, "caller-1") == {
        "orderId": ORDER_ID,
        "status": "FULFILLED",
        "customerId": "cust-42",
        "currency": "EUR",
        "email": "ada@example.com",
        "shippingAddress": {"line1": "1 Main St", "city": "Dublin", "postalCode": "D01", "country": "IE"},
        "history": [{"status": "PENDING", "at": "t0"}, {"status": "FULFILLED", "at": "t1"}],
        "correlationId": "corr-1",
        "createdAt": "t0",
        "updatedAt": "t1",
        "items": [
            {"sku": "BOOK-1", "quantity": 2, "unitPrice": "12.50", "lineTotal": "25.00"},
            {"sku": "PEN-7", "quantity": 3, "unitPrice": "0.99", "lineTotal": "2.97"},
        ],
        "total": "27.97",
    }
    assert service.read(ORDER_ID, "someone else") is None
    assert orders.calls == [("read", ORDER_ID), ("read", ORDER_ID)]
    assert executions.calls == []  # another caller's order is not looked for elsewhere either
    assert told == [("keys", {"order_id": ORDER_ID}), ("keys", {"order_id": ORDER_ID})]


def test_what_is_no_order_id_is_no_order_and_costs_no_call(told: list[tuple[str, Any]]) -> None:
    orders, executions = FakeOrders(), FakeExecutions()
    assert api(orders, executions).read("ord_../../etc", "caller-1") is None
    assert orders.calls == executions.calls == told == []


def test_reading_without_time_to_call_the_table_is_refused_for_now() -> None:
    orders = FakeOrders()
    with pytest.raises(DependencyUnavailable, match=r"^read the order: too little time"):
        api(orders, FakeExecutions(), context=Budget(3_499)).read(ORDER_ID, "caller-1")
    assert orders.calls == []


def test_an_order_not_written_yet_is_pending_since_its_execution_started() -> None:
    executions = FakeExecutions(described={ORDER_ID: running(owner="caller-1")})
    assert api(FakeOrders(), executions).read(ORDER_ID, "caller-1") == {
        "orderId": ORDER_ID,
        "status": "PENDING",
        "history": [{"status": "PENDING", "at": "2026-12-05T11:59:55.000Z"}],
    }
    assert executions.calls == [("describe", ORDER_ID)]


@pytest.mark.parametrize(
    "execution_input", ['{"owner": "someone else"}', "{}", "", "not json", '["caller-1"]'], ids=repr
)
def test_an_execution_another_caller_started_or_that_names_no_owner_is_no_order(execution_input: str) -> None:
    execution = Execution(ARN, execution_input, "RUNNING", NOW)
    assert api(FakeOrders(), FakeExecutions(described={ORDER_ID: execution})).read(ORDER_ID, "caller-1") is None


def test_an_order_with_neither_record_nor_execution_is_none_and_express_is_not_described() -> None:
    executions = FakeExecutions(described={ORDER_ID: running(owner="caller-1")})
    assert api(FakeOrders(), FakeExecutions()).read(ORDER_ID, "caller-1") is None
    assert api(FakeOrders(), executions, EXPRESS).read(ORDER_ID, "caller-1") is None
    assert executions.calls == []


def stopped(status: str, error: str | None, cause: str | None, at: datetime | None) -> Execution:
    started = NOW - timedelta(seconds=5)
    return Execution(ARN, json.dumps({"owner": "caller-1"}), status, started, at, error, cause)


@pytest.mark.parametrize(
    ("execution", "failed_at", "failure"),
    [
        (
            stopped("FAILED", "States.Timeout", "arn:aws:lambda:eu-west-1:111122223333:function:x", NOW),
            "2026-12-05T12:00:00.000Z",
            {"error": "States.Timeout", "cause": INTERNAL_FAILURE},
        ),
        (
            stopped("TIMED_OUT", None, None, None),
            "2026-12-05T11:59:55.000Z",
            {"error": "TIMED_OUT", "cause": INTERNAL_FAILURE},
        ),
        (stopped("ABORTED", "", None, NOW), "2026-12-05T12:00:00.000Z", {"error": "", "cause": INTERNAL_FAILURE}),
        (
            stopped("FAILED", "OrderValidationError", json.dumps({"errorMessage": "currency: QQQ"}), NOW),
            "2026-12-05T12:00:00.000Z",
            {"error": "OrderValidationError", "cause": "currency: QQQ"},
        ),
    ],
    ids=["system failure", "not told", "no error", "the client's input"],
)
def test_an_execution_that_stopped_before_the_order_was_written_is_failed(
    execution: Execution, failed_at: str, failure: dict[str, str]
) -> None:
    assert api(FakeOrders(), FakeExecutions(described={ORDER_ID: execution})).read(ORDER_ID, "caller-1") == {
        "orderId": ORDER_ID,
        "status": "FAILED",
        "history": [
            {"status": "PENDING", "at": "2026-12-05T11:59:55.000Z"},
            {"status": "FAILED", "at": failed_at},
        ],
        "failure": failure,
    }


# The order as its owner sees it


def test_a_record_holding_only_a_failure_shows_only_what_it_holds() -> None:
    stored = StoredOrder(
        ORDER_ID,
        owner="caller-1",
        status="FAILED",
        failure=Failure("OrderValidationError", json.dumps({"errorMessage": "items: required"}), "ValidateOrder"),
    )
    body = public_order(stored)
    assert body == {
        "orderId": ORDER_ID,
        "status": "FAILED",
        "failure": {"state": "ValidateOrder", "error": "OrderValidationError", "cause": "items: required"},
    }
    assert list(body["failure"]) == ["state", "error", "cause"]


def test_amounts_of_a_record_without_a_currency_are_shown_as_stored() -> None:
    stored = StoredOrder(ORDER_ID, items=(StoredItem("A-1", 2, Decimal("12.5")),), total=Decimal("25"))
    assert public_order(stored) == {
        "orderId": ORDER_ID,
        "items": [{"sku": "A-1", "quantity": 2, "unitPrice": "12.5", "lineTotal": "25"}],
        "total": "25",
    }


def test_an_empty_history_and_no_items_are_shown_as_empty() -> None:
    assert public_order(StoredOrder(ORDER_ID, history=(), items=())) == {
        "orderId": ORDER_ID,
        "history": [],
        "items": [],
    }


@pytest.mark.parametrize(
    ("failure", "shown"),
    [
        (Failure("OrderValidationError", "plain reason"), {"error": "OrderValidationError", "cause": "plain reason"}),
        (Failure("OrderValidationError", None), {"error": "OrderValidationError", "cause": INTERNAL_FAILURE}),
        (Failure("OrderValidationError", ""), {"error": "OrderValidationError", "cause": INTERNAL_FAILURE}),
        (
            Failure("OrderStoreUnavailable", "table orders"),
            {"error": "OrderStoreUnavailable", "cause": INTERNAL_FAILURE},
        ),
        (Failure("NoSuchError", "x", ""), {"error": "NoSuchError", "cause": INTERNAL_FAILURE}),
        (
            Failure("States.Timeout", "x", "Fulfil"),
            {"state": "Fulfil", "error": "States.Timeout", "cause": INTERNAL_FAILURE},
        ),
    ],
)
def test_a_failure_shows_its_cause_only_when_it_is_the_client_s_own_input(
    failure: Failure, shown: dict[str, str]
) -> None:
    assert public_failure(failure) == shown
    assert list(public_failure(failure)) == list(shown)
