"""`orderflow chaos`: N orders through the local system under a fault plan, with duplicate submissions (some at the
same moment) and malformed ones, then the invariants checked against what the system actually holds.

Clients behave as a well-written client should: each order has its own Idempotency-Key, and a 5xx, 409 or broken
connection is retried with the same key and body (bounded). After quiescence (no running execution, empty order
and alert queues), the report counts:

- accepted: keys a client got a 202 for; terminal: accepted orders that ended FULFILLED or FAILED, or whose message
  is parked in the order DLQ; lost = accepted - terminal (must be 0);
- duplicates: keys with more than one order, or 202s for one key naming different orders (must be 0);
- failed / alerts: FAILED orders, and the orders alerted (counted at the generic webhook target, whose JSON names
  every alert, storm summaries included; Slack gets the same alerts) or parked in the alert DLQ; they must be the
  same set, and no order alerted twice;
- stuck alerts: orders FindStuckOrders alerted as accepted and not terminal in time (each at most once);
- dlq: messages parked in the order and alert DLQs.

What it cannot show: a webhook that took an alert but answered after the client gave up is retried and gets it
twice (delivery is at-least-once when the answer is lost; each alert carries an `alertId` for such receivers).
The stand-ins here model a timeout as "not taken". The invariants themselves are workflow.harness.chaos_report's.
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import requests

from workflow.harness.chaos_incidents import check_incidents, check_resolves
from workflow.harness.chaos_report import (
    TERMINAL_STATUSES,
    ChaosReport,
    Observation,
    Outcome,
    Submission,
    check_invariants,
)
from workflow.local.faults import FaultInjector, FaultPlan, FunctionFaults
from workflow.local.receiver import Answer, LoopbackWebhook
from workflow.local.waiting import quiesce
from workflow.manifest import MANIFEST

if TYPE_CHECKING:
    from workflow.local.runtime import LocalRuntime

# A PagerDuty routing key's shape (32 letters and digits); the stand-in takes any.
CHAOS_ROUTING_KEY = "chaos" + "0" * 27
# Orders rerun after the run, each to be resolved once at PagerDuty.
RERUNS = 5

# Every function of the manifest fails transiently 5 % of the time (a new step is tested under faults without an edit
# here); these vary it.
DEFAULT_FUNCTION_FAULTS = FunctionFaults(transient=0.05)
DEFAULT_PLAN = FaultPlan(
    functions={
        **dict.fromkeys((f.name for f in MANIFEST.functions), DEFAULT_FUNCTION_FAULTS),
        "StartWorkflow": FunctionFaults(transient=0.03),
        "ValidateOrder": FunctionFaults(transient=0.05, latency_ms=2),
        "CreateOrder": FunctionFaults(transient=0.05, permanent=0.01, latency_ms=2),
        "ProcessOrderWorker": FunctionFaults(transient=0.05, latency_ms=2),
        # Its tick is what chaos's stuck-alert invariant reads: a failed tick would be a DLQ park, not an order's.
        "FindStuckOrders": FunctionFaults(),
    },
    dynamodb_throttle=0.02,
    dynamodb_condition_failed=0.02,
    sqs_send_failure=0.03,
    sns_publish_failure=0.03,
    worker_crash_after_write=0.03,
    duplicate_start=0.05,
    slack_500=0.1,
    slack_429=0.05,
    slack_timeout=0.02,
)
CLIENT_ATTEMPTS = 12
# Three times StartWorkflow's timeout: how long a record left IN_PROGRESS by a dead invocation can hold its key.
IN_FLIGHT_PATIENCE_SECONDS = 3 * MANIFEST.function("StartWorkflow").timeout
# A webhook call that takes longer counts as failed and is retried: generous, so that only the plan's injected
# timeouts (answered after twice as long, and not recorded) are timeouts, not a busy loopback server.
SLACK_TIMEOUT_SECONDS = 2.0


def flaky_answers(plan: FaultPlan, injector: FaultInjector) -> Callable[[], Answer]:
    """How a Slack (or webhook) stand-in answers under the plan: 500s, 429s with Retry-After, and answers slower
    than the client waits (a timeout: not recorded, as Slack did not take it)."""

    def answer() -> Answer:
        if injector.roll(plan.slack_timeout, "slack.timeout"):
            return Answer(504, delay=SLACK_TIMEOUT_SECONDS * 2)
        if injector.roll(plan.slack_500, "slack.500"):
            return Answer(500)
        if injector.roll(plan.slack_429, "slack.429"):
            return Answer(429, {"Retry-After": "0"})
        return Answer()

    return answer


def _submissions(orders: int, rng: random.Random) -> list[Submission]:
    made = []
    for i in range(orders):
        key = f"chaos-{uuid.UUID(int=rng.getrandbits(128))}"
        roll = rng.random()
        if roll < 0.10:
            body = rng.choice(
                [
                    b'{"customerId": "c", "currency": "EUR", "items": []}',
                    b'{"customerId": "c", "currency": "EUR", "items": [{"sku": "A", "quantity": 0, "unitPrice": "1"}]}',
                    b"{not json",
                    b'{"currency": "EUR", "items": [{"sku": "A", "quantity": 1, "unitPrice": 2.5}]}',
                ]
            )
            made.append(Submission(key, body, "malformed"))
            continue
        invalid = roll < 0.15
        order = {
            "customerId": f"cust-{i % 17}",
            "currency": "XQZ" if invalid else rng.choice(["EUR", "USD", "JPY"]),
            "items": [
                {"sku": f"SKU-{j}", "quantity": rng.randint(1, 5), "unitPrice": f"{rng.randint(1, 99)}"}
                for j in range(rng.randint(1, 3))
            ],
        }
        made.append(Submission(key, json.dumps(order).encode(), "invalid" if invalid else "valid"))
    return made


def _post(url: str, submission: Submission) -> Outcome:
    delay = 0.05
    server_errors = 0
    status = 0
    # A 5xx or no answer is retried up to CLIENT_ATTEMPTS times. A 409 means the first request with this key is
    # still in flight; if its invocation died, its record expires with that invocation's timeout, so 409s are
    # waited out until a deadline past it rather than counted against the attempts.
    in_flight_until = time.monotonic() + IN_FLIGHT_PATIENCE_SECONDS
    attempt = failures = 0
    while True:
        attempt += 1
        try:
            response = requests.post(
                f"{url}/orders",
                data=submission.body,
                headers={"Content-Type": "application/json", "Idempotency-Key": submission.key},
                timeout=30,
            )
        except requests.RequestException:
            status = 0
        else:
            status = response.status_code
            if status == 202:
                return Outcome(submission, status, response.json()["orderId"], attempt, server_errors)
            if status < 500 and status != 409:
                return Outcome(submission, status, None, attempt, server_errors)
        server_errors += 1
        if status == 409:
            if time.monotonic() >= in_flight_until:
                break
        else:
            failures += 1
            if failures >= CLIENT_ATTEMPTS:
                break
        time.sleep(delay)
        delay = min(delay * 2, 2.0)
    return Outcome(submission, status, None, attempt, server_errors)


def _race(url: str, submission: Submission) -> list[Outcome]:
    """The same request twice at the same moment (a double click, a client retrying too eagerly)."""
    barrier = threading.Barrier(2)

    def one() -> Outcome:
        barrier.wait()
        return _post(url, submission)

    with ThreadPoolExecutor(max_workers=2) as pair:
        return list(pair.map(lambda _: one(), range(2)))


def _send(
    url: str,
    concurrent: list[Submission],
    alone: list[Submission],
    later: list[Submission],
    concurrency: int,
    sent: Callable[[int], None],
) -> list[Outcome]:
    """The requests: each concurrent duplicate racing its original, then the rest; `sent` hears of each answer."""

    def post(submission: Submission) -> Outcome:
        outcome = _post(url, submission)
        sent(1)
        return outcome

    def race(submission: Submission) -> list[Outcome]:
        both = _race(url, submission)
        sent(len(both))
        return both

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        # Each concurrent duplicate races its original: both requests leave at the same moment.
        outcomes = [o for pair in pool.map(race, concurrent) for o in pair]
        outcomes += list(pool.map(post, alone))
        outcomes += list(pool.map(post, later))
    return outcomes


def run_chaos(
    orders: int,
    seed: int,
    plan: FaultPlan = DEFAULT_PLAN,
    concurrency: int = 8,
    time_scale: float = 0.01,
    quiescence_timeout: float = 300.0,
    progress: Callable[[str], None] = lambda _: None,
    workflow_type: str = "STANDARD",
    requests: Callable[[int], None] = lambda _: None,
    sent: Callable[[int], None] = lambda _: None,
) -> ChaosReport:
    """`requests` hears how many requests will be sent, `sent` of each one answered (a progress bar's count)."""
    from workflow.local.runtime import LocalRuntime, RuntimeConfig

    rng = random.Random(seed)
    injector_for_slack = FaultInjector(plan, seed + 1)
    injector_for_slack.armed = True
    slack = LoopbackWebhook(flaky_answers(plan, injector_for_slack), path="/services/chaos")
    hook = LoopbackWebhook(flaky_answers(plan, injector_for_slack), path="/services/chaos")
    # PagerDuty and Teams stand-ins, as flaky as Slack's.
    pager = LoopbackWebhook(flaky_answers(plan, injector_for_slack), path="/v2/enqueue")
    teams = LoopbackWebhook(flaky_answers(plan, injector_for_slack), path="/workflows/chaos")
    config = RuntimeConfig(
        time_scale=time_scale,
        settings={
            "SLACK_WEBHOOK_URL": slack.url,
            "ALERT_WEBHOOK_URL": hook.url,
            "ALERT_TARGETS": "slack,webhook,pagerduty,teams",
            "PAGERDUTY_ROUTING_KEY": CHAOS_ROUTING_KEY,
            "PAGERDUTY_EVENTS_URL": pager.url,
            "TEAMS_WEBHOOK_URL": teams.url,
            "SLACK_MAX_ATTEMPTS": "3",
            "ALERT_HTTP_TIMEOUT_SECONDS": str(SLACK_TIMEOUT_SECONDS),
        },
        fault_plan=plan,
        seed=seed,
        log_invocation_errors=False,
        workflow_type=workflow_type,
    )
    started = time.monotonic()
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "CRITICAL")  # the report is the output, not thousands of log lines
    runtime = LocalRuntime(config).start()
    try:
        api = runtime.serve_api(port=0)
        base = _submissions(orders, rng)
        well_formed = [s for s in base if s.kind != "malformed"]
        duplicates = [rng.choice(well_formed) for _ in range(round(0.2 * orders))] if well_formed else []
        concurrent, later = duplicates[: len(duplicates) // 2], duplicates[len(duplicates) // 2 :]
        racing = {id(s) for s in concurrent}
        alone = [s for s in base if id(s) not in racing]
        rng.shuffle(alone)
        progress(f"submitting {len(base) + len(duplicates)} requests ({len(duplicates)} duplicates)")
        requests(len(base) + len(duplicates))
        outcomes = _send(api.url, concurrent, alone, later, concurrency, sent)
        progress("waiting for the system to settle")
        quiesce(runtime, quiescence_timeout)
        runtime.random_faults.armed = False  # the report reads the system as it is, without faults
        observed = observe(runtime, hook, accepted={o.order_id for o in outcomes if o.order_id})
        report = check_invariants(orders, seed, outcomes, observed, time.monotonic() - started)
        failed = [order_id for order_id, o in observed.stored.items() if o.get("status") == "FAILED"]
        incidents = check_incidents(failed, pager.messages(), teams.messages())
        report.violations += incidents.violations
        report.pager_triggers, report.teams_cards = incidents.triggers, incidents.teams_cards
        progress("rerunning the orders that failed for a system reason")
        report.reruns = rerun_fixed(runtime, observed.stored, RERUNS, quiescence_timeout)
        report.violations += check_resolves(report.reruns, pager.messages())
        report.resolved = sum(1 for m in pager.messages() if m.get("event_action") == "resolve")
        report.seconds = round(time.monotonic() - started, 1)
        report.workflow_type = workflow_type
        report.faults_injected = dict(Counter(runtime.random_faults.injected) + Counter(injector_for_slack.injected))
        return report
    finally:
        runtime.stop()
        slack.close()
        hook.close()
        pager.close()
        teams.close()


def rerun_fixed(
    runtime: LocalRuntime, stored: Mapping[str, Mapping[str, Any]], limit: int, timeout: float
) -> list[str]:
    """Rerun up to `limit` orders that failed for a system reason (faults off now: their cause is "fixed") and wait
    for them to be FULFILLED and the alerts to settle: each resolves its incident."""
    from handlers.domain.errors import SYSTEM, failure_of
    from workflow.ops.rerun import rerun_order
    from workflow.ops.targets import connect

    target = connect("local", endpoint_url=runtime.aws_endpoint or runtime.serve_aws(port=0))
    chosen = sorted(
        order_id
        for order_id, o in stored.items()
        if o.get("status") == "FAILED" and failure_of(str((o.get("failure") or {}).get("error", ""))) == SYSTEM
    )[:limit]
    for order_id in chosen:
        rerun_order(target, order_id)
    for order_id in chosen:
        runtime.wait_for_order(order_id, ["FULFILLED"], timeout=timeout)
    quiesce(runtime, timeout)
    return chosen


def observe(runtime: LocalRuntime, hook: LoopbackWebhook, accepted: Iterable[str] = ()) -> Observation:
    """The system as it is; the executions of the first ten orders (accepted, or stored) that did not finish are
    traced, as the report names them."""
    from handlers.adapters.orders_store import from_item
    from workflow.ops.dlq import DEAD_LETTER_QUEUES, peek
    from workflow.ops.targets import connect

    items: list[dict[str, Any]] = []
    arguments: dict[str, Any] = {"TableName": runtime.table_name("orders"), "ConsistentRead": True}
    while True:
        page = runtime.dynamodb.scan(**arguments)
        items += [from_item(item) for item in page.get("Items", [])]
        if "LastEvaluatedKey" not in page:
            break
        arguments["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    stored = {str(o["orderId"]): o for o in items}
    target = connect("local", endpoint_url=runtime.aws_endpoint or runtime.serve_aws(port=0))
    parked = {queue: [json.loads(p.body) for p in peek(target, queue, limit=100_000)] for queue in DEAD_LETTER_QUEUES}
    parked_ids = {str(body.get("orderId")) for bodies in parked.values() for body in bodies}

    def unfinished(order_ids: Iterable[str]) -> list[str]:
        return sorted(
            order_id
            for order_id in order_ids
            if (stored.get(order_id) or {}).get("status") not in TERMINAL_STATUSES and order_id not in parked_ids
        )[:10]

    accepted = set(accepted)
    traced = unfinished(accepted) + unfinished(set(stored) - accepted)  # as check_invariants reports them
    reruns = {}
    for order_id in accepted:
        arns = runtime.execution_arns(order_id) if runtime.express else []
        if len(arns) > 1:
            reruns[order_id] = [_entered(runtime.execution_events(arn)) for arn in arns]
    return Observation(
        stored=stored,
        parked=parked,
        alerts_taken=hook.messages(),
        traces={order_id: _trace(runtime, order_id) for order_id in traced},
        reruns=reruns,
    )


def _entered(events: Sequence[Mapping[str, Any]]) -> list[str]:
    return [str(e["stateEnteredEventDetails"]["name"]) for e in events if "stateEnteredEventDetails" in e]


def _trace(runtime: LocalRuntime, order_id: str) -> str:
    """What the order's execution did: its status and the states it entered, failures included."""
    from workflow.ops.history import steps

    try:
        arn = runtime.execution_arn(order_id)
        described = runtime.describe_execution(arn)
        events = runtime.execution_events(arn)
    except Exception as e:  # a report must not fail on its diagnostics
        return f"unavailable ({e})"
    return f"{described['status']} via {' > '.join(steps(events))}"
