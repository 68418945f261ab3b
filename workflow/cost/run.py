"""Usage per order, measured on a local system running a mix of orders: state transitions and the state machine's
log records from the execution histories, everything else from the meter the local runtime reports to
(workflow.harness.meter).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import random
import uuid
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import requests

from workflow.cost.model import Usage, transitions
from workflow.harness.meter import Meter, local_meter
from workflow.local.faults import FaultPlan, FunctionFaults
from workflow.local.runtime import LocalRuntime, RuntimeConfig
from workflow.local.samples import sample_order
from workflow.local.waiting import quiesce
from workflow.ops.history import execution_history

# A log record's envelope beside the event (id, type, timestamps, the execution's ARN), as Step Functions writes it.
LOG_ENVELOPE_BYTES = 180
_FAILURES = ("Failed", "TimedOut", "Aborted")


def log_bytes(events: Sequence[Mapping[str, Any]], include_data: bool) -> dict[str, float]:
    """What the state machine's log group ingests for these events at each logging level."""
    sizes = {"ALL": 0.0, "ERROR": 0.0, "FATAL": 0.0, "OFF": 0.0}
    for event in events:
        record = {k: v for k, v in event.items() if k != "timestamp"}
        if not include_data:
            record = {k: _without_data(v) for k, v in record.items()}
        size = len(json.dumps(record, default=str)) + LOG_ENVELOPE_BYTES
        kind = str(event["type"])
        sizes["ALL"] += size
        if kind.endswith(_FAILURES):
            sizes["ERROR"] += size
            if kind.startswith("Execution"):
                sizes["FATAL"] += size
    return sizes


def _without_data(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if k not in {"input", "output", "parameters", "cause"}}
    return value


def measure(
    orders: int = 40, failed: float = 0.0, retried: float = 0.0, seed: int = 1, include_data: bool = False
) -> Usage:
    """Runs `orders` orders (a share `failed` failing validation, a share `retried` of CreateOrder calls failing once
    transiently) through a local system and returns the usage per order."""
    plan = FaultPlan(functions={"CreateOrder": FunctionFaults(transient=retried)}) if retried else None
    # No ticks: FindStuckOrders' schedule costs the same per month whatever the orders (8 index queries every 5
    # minutes), so it is no part of an order's cost.
    config = RuntimeConfig(time_scale=0.01, fault_plan=plan, seed=seed, log_invocation_errors=False, ticks=False)
    rng = random.Random(seed)
    bodies = [sample_order(currency="XQZ") if rng.random() < failed else sample_order() for _ in range(orders)]
    meter = local_meter(region=config.region)
    with LocalRuntime(config, observer=meter) as runtime, _quiet_handlers():
        url = runtime.serve_api(port=0).url

        def post(body: dict[str, Any]) -> None:
            requests.post(f"{url}/orders", json=body, headers={"Idempotency-Key": str(uuid.uuid4())}, timeout=30)

        with ThreadPoolExecutor(4) as pool:
            list(pool.map(post, bodies))
        quiesce(runtime, timeout=120)
        runtime.random_faults.armed = False  # reading the histories is not the system's work
        return usage(runtime, meter, orders, include_data)


@contextlib.contextmanager
def _quiet_handlers() -> Iterator[None]:
    """The handlers log as deployed (the meter counts those bytes), but not onto the command's output."""
    from handlers.observability import logger  # after the command set the level it logs at

    streams = [h for h in logging.getLogger(logger.service).handlers if isinstance(h, logging.StreamHandler)]
    with open(os.devnull, "w", encoding="utf-8") as sink:
        previous = [h.setStream(sink) for h in streams]
        try:
            yield
        finally:
            for handler, stream in zip(streams, previous, strict=True):
                if stream is not None:
                    handler.setStream(stream)


def usage(runtime: LocalRuntime, meter: Meter, orders: int, include_data: bool) -> Usage:
    listed = runtime.sfn.list_executions(stateMachineArn=runtime.state_machine_arn, maxResults=1000)["executions"]
    histories = [execution_history(runtime.sfn, e["executionArn"]) for e in listed]
    logs: dict[str, float] = {}
    for events in histories:
        for level, size in log_bytes(events, include_data).items():
            logs[level] = logs.get(level, 0.0) + size
    return Usage(
        orders=orders,
        transitions=sum(transitions(events) for events in histories) / orders,
        invocations={name: count / orders for name, count in sorted(meter.invocations.items())},
        read_units=meter.read_units / orders,
        write_units=meter.write_units / orders,
        sqs_requests=meter.sqs_requests / orders,
        sns_publishes=meter.sns_publishes / orders,
        http_requests=meter.http_requests / orders,
        handler_log_bytes=meter.handler_log_bytes / orders,
        workflow_log_bytes={level: size / orders for level, size in logs.items()},
    )


def one_order(events: Sequence[Mapping[str, Any]], typical: Usage, include_data: bool = False) -> Usage:
    """One real order, from its execution history: its billed transitions (retries and failure path included), the
    workflow's function invocations and the state machine's log records. What the history does not show (the
    handlers' own DynamoDB and SNS calls, the queue, the worker, the API request) is the typical order's."""
    from workflow.cost.template import invoked_by_workflow

    invoked: dict[str, float] = {}
    for event in events:
        details = event.get("taskScheduledEventDetails") or {}
        if details.get("resourceType") == "lambda":
            function = str(json.loads(details.get("parameters") or "{}").get("FunctionName", "")).rsplit(":", 1)[-1]
            invoked[function] = invoked.get(function, 0.0) + 1
    invocations = {k: v for k, v in typical.invocations.items() if k not in invoked_by_workflow()}
    return replace(
        typical,
        orders=1,
        transitions=float(transitions(events)),
        invocations={**invocations, **invoked},
        workflow_log_bytes=log_bytes(events, include_data),
    )
