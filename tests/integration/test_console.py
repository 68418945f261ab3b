"""The console against the running local system: every page answers with what it should show, and nothing that
should be refused gets through (foreign Origin or Host, a POST without the console's token or origin)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import requests

from tests.support.fixtures import Submit, alerts_settled
from workflow.console import Console
from workflow.local.runtime import LocalRuntime
from workflow.local.samples import sample_order
from workflow.local.waiting import poll_until
from workflow.ops.targets import connect


@pytest.fixture(scope="module")
def console(runtime: LocalRuntime) -> Iterator[Console]:
    target = connect("local", endpoint_url=runtime.aws_endpoint or runtime.serve_aws(port=0))
    with Console(target, port=0) as served:
        yield served


def test_pages_show_a_fulfilled_and_a_failed_order(runtime: LocalRuntime, submit: Submit, console: Console) -> None:
    good = submit(sample_order())["json"]["orderId"]
    bad = submit(sample_order(currency="XQZ"))["json"]["orderId"]
    runtime.wait_for_order(good, ["FULFILLED"])
    runtime.wait_for_order(bad, ["FAILED"])

    listed = requests.get(f"{console.url}/orders", timeout=10)
    assert listed.status_code == 200
    assert good in listed.text
    assert bad in listed.text
    assert "default-src 'none'" in listed.headers["Content-Security-Policy"]
    assert listed.headers["X-Content-Type-Options"] == "nosniff"
    assert listed.headers["X-Frame-Options"] == "DENY"

    failed = requests.get(f"{console.url}/orders?status=FAILED", timeout=10).text
    assert bad in failed
    assert good not in failed

    page = requests.get(f"{console.url}/orders/{good}", timeout=10)
    assert page.status_code == 200
    assert "<svg" in page.text
    assert "FULFILLED" in page.text
    assert "ada@example.com" not in page.text  # the sample order's e-mail, redacted everywhere

    failing = requests.get(f"{console.url}/orders/{bad}", timeout=10).text
    assert "Failed at" in failing
    assert "ValidateOrder" in failing
    assert "XQZ" in failing
    assert "submits a corrected order" in failing  # a business failure: no rerun offered
    assert 'action="/orders/' not in failing

    alerts_settled(runtime)
    for path, expected in (
        ("/executions?status=FAILED", "OrderValidationError"),
        ("/alerts", bad),
        ("/dlq", "orders DLQ"),
        ("/workflow", "live"),
    ):
        answer = requests.get(f"{console.url}{path}", timeout=30)
        assert answer.status_code == 200, path
        assert expected in answer.text, path


def timeline_rows(html: str) -> list[tuple[str, str, str]]:
    """The order page's timeline as (row class, kind, step), the step's tags dropped."""
    table = html[html.index('<table class="timeline">') :]
    table = table[: table.index("</table>")]
    rows = re.findall(r'<tr class="([^"]+)">(.*?)</tr>', table)
    found = []
    for css, cells in rows:
        tds = [re.sub(r"<[^>]+>", "", td) for td in re.findall(r"<td[^>]*>(.*?)</td>", cells)]
        found.append((css, tds[2], tds[3]))
    return found


def test_the_order_page_shows_the_traces_timeline(runtime: LocalRuntime, submit: Submit, console: Console) -> None:
    good = submit(sample_order())["json"]["orderId"]
    bad = submit(sample_order(currency="XQZ"))["json"]["orderId"]
    runtime.wait_for_order(good, ["FULFILLED"])
    runtime.wait_for_order(bad, ["FAILED"])

    page = requests.get(f"{console.url}/orders/{good}", timeout=10).text
    rows = timeline_rows(page)
    assert rows[0] == ("request", "request", "POST /orders")
    assert [step for css, kind, step in rows if kind in ("state", "notify")] == [
        "ValidateOrder",
        "CreateOrder",
        "EnqueueOrder",
        "NotifyOrder",
    ]
    assert ("queue", "queue", "QUEUED") in rows
    assert ("worker", "worker", "FULFILLED") in rows
    assert not [row for row in rows if row[0] == "failed"]
    assert "<dt>Queue wait</dt>" in page
    assert "<dt>Total latency</dt><dd>" in page
    assert "(request → FULFILLED)" in page
    assert "<dt>Cost on AWS</dt>" in page
    assert f"orderflow trace {good}" in page
    assert "ada@example.com" not in page

    alerts_settled(runtime)
    poll_until(
        lambda: "<dt>Alert deliveries</dt>" in requests.get(f"{console.url}/orders/{bad}", timeout=10).text,
        what="the failed order's alert delivery on its page",
    )
    failing = requests.get(f"{console.url}/orders/{bad}", timeout=10).text
    rows = timeline_rows(failing)
    assert ("failed", "state", "ValidateOrder") in rows  # red, with the cause
    assert ("failed", "catch", "ValidateOrder") in rows
    assert ("failed", "status", "FAILED") in rows
    assert ("alert", "alert", "order alert") in rows
    assert ("delivery", "delivery", "log") in rows
    assert "<dt>First failure</dt>" in failing
    assert "XQZ" in failing
    assert "ada@example.com" not in failing
    # The live fragment carries the same timeline.
    live = requests.get(f"{console.url}/orders/{bad}/live?fp=", timeout=10).text
    assert timeline_rows(live) == rows


def test_bad_input_gets_a_problem_page_never_a_5xx(console: Console) -> None:
    unknown = requests.get(f"{console.url}/orders/ord_aaaaaaaaaaaaaaaaaaaaaaaaaa", timeout=10)
    assert unknown.status_code == 404
    assert "No order" in unknown.text
    assert requests.get(f"{console.url}/orders/<script>", timeout=10).status_code == 404
    for query in ("status=NOPE", "window=3y", "page=%%%", "page=bm90LWEtdG9rZW4"):
        answer = requests.get(f"{console.url}/orders?{query}", timeout=10)
        assert answer.status_code == 400, query
        assert "Traceback" not in answer.text
    assert requests.get(f"{console.url}/executions?status=<b>", timeout=10).status_code == 400
    assert requests.get(f"{console.url}/nowhere", timeout=10).status_code == 404


def test_foreign_origin_or_host_is_refused(console: Console) -> None:
    foreign_origin = requests.get(f"{console.url}/orders", headers={"Origin": "https://evil.example"}, timeout=10)
    assert foreign_origin.status_code == 403
    rebound = requests.get(f"{console.url}/orders", headers={"Host": "evil.example:8900"}, timeout=10)
    assert rebound.status_code == 403


def test_a_post_needs_the_token_and_the_console_origin(console: Console) -> None:
    redrive = f"{console.url}/dlq/orders/redrive"
    page = requests.get(f"{console.url}/dlq", timeout=30).text
    assert "csrf" not in page or re.search(r'name="csrf" value="[0-9a-f]{64}"', page)
    token = console.app.tokens.issue("redrive:orders")
    own = {"Origin": console.url}
    assert requests.post(redrive, headers=own, timeout=10).status_code == 403  # no token
    assert requests.post(redrive, data={"csrf": "0" * 64}, headers=own, timeout=10).status_code == 403
    other_purpose = console.app.tokens.issue("redrive:alerts")
    assert requests.post(redrive, data={"csrf": other_purpose}, headers=own, timeout=10).status_code == 403
    # the right token from another loopback origin (another local page) is refused too
    other = {"Origin": "http://127.0.0.1:1"}
    assert requests.post(redrive, data={"csrf": token}, headers=other, timeout=10).status_code == 403
    assert requests.post(redrive, data={"csrf": token}, timeout=10).status_code == 403  # no Origin, no Referer
    done = requests.post(redrive, data={"csrf": token}, headers=own, timeout=30, allow_redirects=False)
    assert done.status_code == 303
    assert done.headers["Location"].startswith("/dlq?redriven=orders")
