"""The console in a real browser (headless, Playwright pointed at Debian's chromium): live updates, the coloured
graph, a failed order's reason, a rerun and a DLQ redrive through their forms, and the loopback refusal.

CONSOLE_SCREENSHOTS=/tmp makes each test leave a screenshot of its page there (console-*.png)."""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.fixtures import Submit, create_order_store_retry
from workflow.console import Console
from workflow.local.runtime import LocalRuntime
from workflow.local.samples import sample_order
from workflow.local.waiting import poll_until
from workflow.ops.targets import connect

CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not on PATH (Debian: apt-get install chromium; `make test` installs it)"
)
SHOTS = os.environ.get("CONSOLE_SCREENSHOTS")


@pytest.fixture(scope="module")
def console(runtime: LocalRuntime) -> Iterator[Console]:
    target = connect("local", endpoint_url=runtime.aws_endpoint or runtime.serve_aws(port=0))
    with Console(target, port=0) as served:
        yield served


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    opened = context.new_page()
    opened.set_default_timeout(15_000)
    yield opened
    context.close()


def shot(page: Any, name: str) -> None:
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / f"console-{name}.png"), full_page=True)


def test_an_order_submitted_while_the_orders_page_is_open_appears(
    page: Any, console: Console, submit: Submit, runtime: LocalRuntime
) -> None:
    page.goto(f"{console.url}/orders")
    order_id = submit(sample_order())["json"]["orderId"]
    page.locator(f"#order-rows a:text('{order_id}')").wait_for()
    runtime.wait_for_order(order_id, ["FULFILLED"])
    shot(page, "orders")


def test_the_order_page_shows_the_fulfilled_path(
    page: Any, console: Console, submit: Submit, runtime: LocalRuntime
) -> None:
    order_id = submit(sample_order())["json"]["orderId"]
    runtime.wait_for_order(order_id, ["CREATED", "QUEUED", "PROCESSING", "FULFILLED"])  # the page needs its record
    page.goto(f"{console.url}/orders/{order_id}")
    page.locator("#order-live .statusline .badge.ok:text('FULFILLED')").wait_for()  # followed live to the end
    assert page.locator("svg.graph g.node").count() > 5
    page.locator("svg.graph g.node", has_text="CreateOrder").first.click()
    panel = page.locator('section.state[data-state="CreateOrder"]')
    assert panel.is_visible()
    assert "Input" in panel.inner_text()
    assert "ada@example.com" not in page.content()
    shot(page, "order-fulfilled")


def test_a_failed_order_shows_its_red_state_and_reason(
    page: Any, console: Console, submit: Submit, runtime: LocalRuntime
) -> None:
    order_id = submit(sample_order(currency="XQZ"))["json"]["orderId"]
    runtime.wait_for_order(order_id, ["FAILED"])
    page.goto(f"{console.url}/orders/{order_id}")
    glance = page.locator(".glance.bad")
    assert "ValidateOrder" in glance.inner_text()
    assert "XQZ" in glance.inner_text()
    assert "OrderValidationError" in glance.inner_text()
    # the failed state is drawn red (workflow.graph's failure colours)
    node = page.locator("svg.graph g.node", has_text="ValidateOrder").first
    fills = node.locator("path, polygon").evaluate_all("els => els.map(e => e.getAttribute('fill'))")
    assert any(fill and fill.lower() not in {"none", "#ffffff", "white"} for fill in fills)
    shot(page, "order-failed")


def test_a_failed_order_is_rerun_through_its_button_and_followed_to_fulfilled(
    page: Any, console: Console, submit: Submit, runtime: LocalRuntime
) -> None:
    # CreateOrder's table is throttled for longer than its Retry lasts: a transient failure, so a rerun is offered.
    retry = create_order_store_retry()
    runtime.dynamodb_faults.throttle("PutItem", times=1 + retry["MaxAttempts"], table=runtime.table_name("orders"))
    order_id = submit(sample_order())["json"]["orderId"]
    assert runtime.wait_for_order(order_id, ["FAILED"])["failure"]["state"] == "CreateOrder"
    page.goto(f"{console.url}/orders/{order_id}")
    assert "OrderStoreUnavailable" in page.locator(".glance.bad").inner_text()
    button = page.locator(f'form[action="/orders/{order_id}/rerun"] button')
    assert button.inner_text() == "Rerun this order"
    asked: list[str] = []

    def confirm(dialog: Any) -> None:
        asked.append(dialog.message)
        dialog.accept()

    page.once("dialog", confirm)
    button.click()
    page.wait_for_url(f"**/orders/{order_id}?rerun=started")
    assert asked == [f"Run order {order_id} again?"]
    assert "A rerun was started" in page.locator(".notice").inner_text()
    # The page follows the rerun's execution live, to the end.
    page.locator("#order-live .statusline .badge.ok:text('FULFILLED')").wait_for()
    assert page.locator(".glance.bad").count() == 0
    assert page.locator(f'form[action="/orders/{order_id}/rerun"]').count() == 0
    record = runtime.wait_for_order(order_id, ["FULFILLED"])
    assert "REDRIVING" in [h["status"] for h in record["history"]]
    assert record["executionArn"].endswith(f"{order_id}-redrive-1")
    shot(page, "order-rerun")


def test_a_dlq_redrive_through_its_form(page: Any, console: Console, runtime: LocalRuntime) -> None:
    marker = f"poison-{uuid.uuid4()}"
    runtime.sqs.send_message(QueueUrl=runtime.queue_urls["orders-dlq"], MessageBody=json.dumps({"garbage": marker}))
    page.goto(f"{console.url}/dlq")
    shot(page, "dlq")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator('form[action="/dlq/orders/redrive"] button').click()
    page.locator(".notice").wait_for()
    assert "moved back to the orders queue" in page.locator(".notice").inner_text()
    # it is poison: the worker fails it again and it is parked again, after its queue's receives
    poll_until(lambda: marker in _dlq_bodies(runtime), timeout=30, what="the redriven message parked again")


def _dlq_bodies(runtime: LocalRuntime) -> str:
    received = runtime.sqs.receive_message(
        QueueUrl=runtime.queue_urls["orders-dlq"], MaxNumberOfMessages=10, VisibilityTimeout=0
    )
    return " ".join(m["Body"] for m in received.get("Messages", []))


def test_foreign_origin_or_host_is_refused(page: Any, console: Console) -> None:
    answer = page.request.get(f"{console.url}/orders", headers={"Origin": "https://evil.example"})
    assert answer.status == 403
    rebound = page.request.get(f"{console.url}/orders", headers={"Host": "evil.example"})
    assert rebound.status == 403
    # a page on another origin cannot post to the console (no token, foreign origin)
    posted = page.request.post(f"{console.url}/dlq/orders/redrive", headers={"Origin": "http://localhost:1"})
    assert posted.status == 403


def test_the_other_pages_render(page: Any, console: Console) -> None:
    for path, name in (("/executions", "executions"), ("/alerts", "alerts"), ("/workflow", "workflow")):
        response = page.goto(f"{console.url}{path}")
        assert response is not None
        assert response.status == 200
        shot(page, name)
