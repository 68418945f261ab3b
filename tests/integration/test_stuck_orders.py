"""A stuck order is a failure, alerted once: with the worker stalled (its queue's event source delivers nothing), an
accepted order stops at CREATED; FindStuckOrders, run by its ticks, finds it in the open-orders index after
STUCK_ORDER_MINUTES and alerts it through the alert topic to every target, once, naming the order, the status where
it stopped and for how long. Terminal orders leave the index, so they are never alerted."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.fixtures import TIME_SCALE, Runtimes, alerts_settled, submitter
from workflow.local.faults import FaultPlan
from workflow.local.receiver import LoopbackWebhook
from workflow.local.runtime import LocalRuntime, RuntimeConfig
from workflow.local.samples import sample_order
from workflow.local.waiting import poll_until

# 0.6 s: with TIME_SCALE, FindStuckOrders' ticks come every 0.6 s too.
STUCK_MINUTES = "0.01"


@pytest.fixture(scope="module")
def stalled(runtimes: Runtimes, webhook: LoopbackWebhook, hook: LoopbackWebhook) -> Iterator[LocalRuntime]:
    """A local system whose worker is stalled (one runtime per process: the shared one stops for this module)."""
    runtimes.close()
    config = RuntimeConfig(
        time_scale=TIME_SCALE,
        poll_wait_seconds=1,
        settings={
            "SLACK_WEBHOOK_URL": webhook.url,
            "ALERT_WEBHOOK_URL": hook.url,
            "ALERT_TARGETS": "slack,webhook",
            "STUCK_ORDER_MINUTES": STUCK_MINUTES,
        },
        fault_plan=FaultPlan.from_dict({"functions": {"ProcessOrderWorker": {"stalled": True}}}),
    )
    runtime = LocalRuntime(config).start()
    yield runtime
    runtime.stop()


def stuck_alerts(receiver: LoopbackWebhook, order_id: str) -> list[dict[str, Any]]:
    return [m for m in receiver.received if m.get("type") == "ORDER_STUCK" and m.get("orderId") == order_id]


def test_a_stalled_worker_s_order_is_alerted_once_as_stuck(
    stalled: LocalRuntime, webhook: LoopbackWebhook, hook: LoopbackWebhook
) -> None:
    accepted = submitter(stalled)(sample_order())
    order_id = accepted["json"]["orderId"]
    (alert,) = poll_until(lambda: stuck_alerts(hook, order_id), timeout=20, what="the stuck order's alert")
    assert alert["failedState"] == "CREATED"  # where it stopped: queued for a worker that takes nothing
    assert alert["error"] == "OrderStuck"
    assert "still CREATED after" in alert["cause"]
    assert alert["correlationId"] == accepted["headers"]["x-correlation-id"]
    poll_until(lambda: webhook.for_order(order_id), what="the stuck order's Slack message")
    record = stalled.order(order_id)
    assert record is not None
    assert record["status"] == "CREATED"
    assert "stuckAlertedAt" in record
    assert "openShard" not in record  # alerted: out of the open-orders index
    # More ticks come and go: still one alert per target.
    ticks = stalled.manifest.queue("stuck-checks").tick_minutes or 0
    time.sleep(3 * ticks * 60 * TIME_SCALE)
    alerts_settled(stalled)
    assert len(stuck_alerts(hook, order_id)) == 1
    assert len(webhook.for_order(order_id)) == 1
