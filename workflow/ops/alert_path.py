"""`orderflow alerts test`: the alert path tried end to end, the same against the local system and AWS
(workflow.ops.targets).

`send_test_alert` publishes an ORDER_FAILED-shaped alert about a made-up order (`ord_test…`) to the alert topic, so it
takes the real path (topic -> alert queue -> AlertHandler -> its targets); each target's delivery is then read back
from the alert log within a deadline. What the AlertHandler will do with it is read from its own configuration
(ALERT_TARGETS, ALERT_ROUTES, each target's secret and its module's `problem`), so a target that is off, routed
elsewhere or not configured is said at once instead of waited for. Afterwards the test incident is resolved
(ORDER_RESOLVED, workflow.ops.alerts), so PagerDuty is not left holding an open critical incident.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from handlers import env
from handlers.adapters.alert_log import CLAIMED, DELIVERED, DynamoDBAlertLog
from handlers.adapters.alert_targets import TargetConfig
from handlers.adapters.alert_topic import SnsAlertTopic
from handlers.alert_registry import ALWAYS_ON, BY_NAME, DEFAULT_TARGETS, TargetSpec, target_names
from handlers.clock import iso
from handlers.domain.alert_routes import Routes, RoutesError, parse_routes
from handlers.domain.alerts import ORDER_FAILED, Alert
from workflow.manifest import MANIFEST, QueueTrigger, QueueUrl
from workflow.ops.alerts import iso_time, publish_resolution
from workflow.ops.dlq import peek
from workflow.ops.targets import Target, TargetError

ALERT_HANDLER = "AlertHandler"
TEST_ERROR = "AlertPathTest"
TEST_STEP = "AlertsTest"
# How long a test alert's deliveries are waited for: on AWS the alert queue's batching window (20 s) comes first, and
# a post may be retried; the local system batches for a tenth of that by default.
DEFAULT_WAIT_SECONDS = {"aws": 60.0, "local": 20.0}
# A refused alert is parked in the alert DLQ at once: look there now and then, not only when the wait is over.
DLQ_LOOK_SECONDS = 5.0

# What became of the test alert at one target.
DELIVERED_TO = "delivered"
NOT_DELIVERED = "not delivered"
REFUSED = "refused"
NOT_CONFIGURED = "not configured"
NOT_ROUTED = "not routed"
OFF = "off"
UNKNOWN = "unknown target"


@dataclass(frozen=True)
class TargetResult:
    target: str
    status: str
    detail: str = ""
    fix: str = ""

    @property
    def ok(self) -> bool:
        return self.status == DELIVERED_TO

    @property
    def counts(self) -> bool:
        """Whether this result decides the exit status when every target's does: a target the routes send this alert
        elsewhere did nothing wrong by not getting it."""
        return self.status != NOT_ROUTED


@dataclass(frozen=True)
class AlertPathRun:
    """One `alerts test`: the test alert, where it went, and each target's result (only the asked-for one's when a
    target was named)."""

    order_id: str
    fingerprint: str
    topic_arn: str
    published: bool
    results: tuple[TargetResult, ...]
    resolved: bool = False
    only: str | None = None

    @property
    def ok(self) -> bool:
        if self.only is not None:
            return all(r.ok for r in self.results)  # the one asked for, routed elsewhere or not
        return all(r.ok for r in self.results if r.counts)


@dataclass(frozen=True)
class HandlerConfig:
    """The AlertHandler's targets and routes, as its environment sets them (what the handler itself reads)."""

    environment: Mapping[str, str]

    @property
    def listed(self) -> list[str]:
        return target_names(self.environment.get(env.ALERT_TARGETS))

    @property
    def on(self) -> list[str]:
        """The log, then every known target ALERT_TARGETS names, in its order."""
        return [ALWAYS_ON, *(name for name in self.listed if name in BY_NAME)]

    @property
    def unknown(self) -> list[str]:
        return [name for name in self.listed if name not in BY_NAME]

    def routes(self) -> Routes:
        try:
            return parse_routes(self.environment.get(env.ALERT_ROUTES), BY_NAME)
        except RoutesError:  # the AlertHandler then sends everything everywhere (handlers.wiring)
            return Routes()


def handler_config(target: Target) -> HandlerConfig:
    """The AlertHandler's environment, read from its Lambda configuration."""
    configuration = target.client("lambda").get_function_configuration(FunctionName=_alert_handler(target))
    return HandlerConfig(dict(configuration.get("Environment", {}).get("Variables", {})))


def _alert_queue() -> str:
    trigger = MANIFEST.function(ALERT_HANDLER).trigger
    if not isinstance(trigger, QueueTrigger):
        raise TypeError(f"the manifest's {ALERT_HANDLER} is not triggered by a queue")
    return trigger.queue


def _alert_handler(target: Target) -> str:
    """Locally the function has the manifest's name. On AWS, CDK names it: it is found as the consumer of the alert
    queue (the queue's URL is a stack output; its event source mapping names the function)."""
    if target.name != "aws":
        return MANIFEST.function(ALERT_HANDLER).name
    queue_url = target.output(MANIFEST.output_key(QueueUrl(_alert_queue())))
    attributes = target.client("sqs").get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
    mappings = (
        target.client("lambda")
        .list_event_source_mappings(EventSourceArn=attributes["Attributes"]["QueueArn"])
        .get("EventSourceMappings", [])
    )
    if not mappings:
        raise TargetError(f"{target.where}: nothing consumes the alert queue {queue_url}; deploy the stack again")
    return str(mappings[0]["FunctionArn"])


def new_test_order_id() -> str:
    """A valid order id (the AlertHandler and the targets take it as any other) that says what it is."""
    return "ord_test" + base64.b32encode(secrets.token_bytes(15)).decode("ascii").lower()[:22]


def alert_for_test(order_id: str, at: str) -> dict[str, str]:
    """What the workflow's failure route publishes, for an order that does not exist and a step that is not one."""
    return {
        "type": ORDER_FAILED,
        "orderId": order_id,
        "failedState": TEST_STEP,
        "error": TEST_ERROR,
        "cause": "a test alert sent by `orderflow alerts test`: nothing failed",
        "executionArn": "",
        "correlationId": order_id,
        "at": at,
    }


def send_test_alert(
    target: Target, *, only: str | None = None, wait: float | None = None, resolve_after: bool = True
) -> AlertPathRun:
    """Publish a test alert to the alert topic and report each target's delivery (only `only`'s, if given), read from
    the alert log within `wait` seconds (default: DEFAULT_WAIT_SECONDS for the target). Raises ValueError for an
    `only` that is no alert target."""
    if only is not None and only not in BY_NAME:
        raise ValueError(f"no alert target {only!r}: the targets are {', '.join(BY_NAME)}")
    config = handler_config(target)
    topic_arn = target.output("AlertTopicArn")
    order_id = new_test_order_id()
    message = alert_for_test(order_id, iso(datetime.now(UTC)))
    alert = Alert.from_data(message)
    asked = [only] if only is not None else [*config.on, *config.unknown]
    if only is not None and only not in config.on:
        said = config.environment.get(env.ALERT_TARGETS) or f"unset, so {DEFAULT_TARGETS}"
        result = TargetResult(
            only, OFF, f"ALERT_TARGETS ({said}) does not turn it on: nothing was sent", f"add {only} to ALERT_TARGETS"
        )
        return AlertPathRun(order_id, alert.fingerprint, topic_arn, False, (result,), only=only)

    decided: dict[str, TargetResult] = {}
    routed = config.routes().targets_for(alert, config.on) | {ALWAYS_ON}
    for name in asked:
        if name in config.unknown:
            decided[name] = TargetResult(
                name, UNKNOWN, "ALERT_TARGETS names it: no such alert target", f"use {', '.join(BY_NAME)}"
            )
        elif name not in routed:
            decided[name] = TargetResult(
                name, NOT_ROUTED, f"ALERT_ROUTES sends this alert ({alert.severity}, {TEST_ERROR}) to other targets"
            )
        elif (wrong := not_configured(target, BY_NAME[name], config.environment)) is not None:
            decided[name] = wrong
    if only is not None and only in decided:  # what was asked is known without sending anything
        return AlertPathRun(order_id, alert.fingerprint, topic_arn, False, (decided[only],), only=only)

    SnsAlertTopic(target.client("sns"), topic_arn).publish(message)
    awaited = [name for name in asked if name not in decided]
    seconds = wait if wait is not None else DEFAULT_WAIT_SECONDS.get(target.name, 60.0)
    decided |= await_deliveries(target, alert.fingerprint, order_id, awaited, seconds)
    if resolve_after:
        publish_resolution(target, order_id, "RESOLVED", "test alert: resolved by `orderflow alerts test`", order_id)
    results = tuple(decided[name] for name in asked)
    return AlertPathRun(order_id, alert.fingerprint, topic_arn, True, results, resolved=resolve_after, only=only)


def not_configured(target: Target, spec: TargetSpec, environment: Mapping[str, str]) -> TargetResult | None:
    """What the AlertHandler will find wrong with a target's configuration (its module's `problem`, given the secret
    the handler reads and its settings), with the fix; None when nothing is, and when that cannot be told from here
    (the secret may not be read, say): then the alert log tells."""
    secret: str | None = None
    if spec.secret is not None:
        secret_id = environment.get(spec.secret.arn_env)
        if not secret_id:
            return TargetResult(
                spec.name,
                NOT_CONFIGURED,
                f"the AlertHandler has no {spec.secret.arn_env}: the stack is older than the {spec.name} target",
                f"deploy the stack (it adds the {spec.secret.name} secret), then put {spec.secret.holds} in it",
            )
        try:
            value = target.client("secretsmanager").get_secret_value(SecretId=secret_id).get("SecretString", "")
        except ClientError:
            return None
        secret = str(value).strip()  # as the AlertHandler reads it (handlers.wiring)
    try:
        module = spec.load()
    except ImportError:  # then the AlertHandler cannot load it either: its logs say so
        return None
    problem: str | None = module.problem(TargetConfig(secret=secret, settings=environment.get))
    if problem is None:
        return None
    if spec.secret is not None:
        # The AlertHandler caches a secret for a few minutes: a value put just now may not be used yet.
        fix = (
            f"put {spec.secret.holds} in it: aws secretsmanager put-secret-value --secret-id "
            f"{environment[spec.secret.arn_env]} --secret-string … (the AlertHandler reads it again within minutes)"
        )
    else:
        fix = f"set {', '.join(spec.settings)} (the CDK context; `orderflow up`'s environment locally)"
    return TargetResult(spec.name, NOT_CONFIGURED, f"{problem}: the AlertHandler leaves it out", fix)


def await_deliveries(
    target: Target, fingerprint: str, order_id: str, names: Iterable[str], seconds: float
) -> dict[str, TargetResult]:
    """Each target's delivery of one alert, read from the alert log until every one is DELIVERED or parked in the
    alert DLQ (refused), or `seconds` have passed."""
    dynamodb = target.client("dynamodb")
    table = target.output("AlertLogTableName")
    pending = list(names)
    results: dict[str, TargetResult] = {}
    started = time.monotonic()
    deadline, next_look, delay = started + seconds, started + DLQ_LOOK_SECONDS, 0.1
    last: dict[str, dict[str, Any]] = {}
    while pending:
        for name in pending:
            last[name] = _log_item(dynamodb, table, fingerprint, name)
            if last[name].get("status", {}).get("S") == DELIVERED:
                delivered = int(last[name].get("deliveredAt", {}).get("N", "0"))
                results[name] = TargetResult(name, DELIVERED_TO, f"at {iso_time(delivered)}" if delivered else "")
        pending = [name for name in pending if name not in results]
        now = time.monotonic()
        if not pending or now >= deadline:
            break
        if now >= next_look:
            results |= _parked(target, fingerprint, order_id, pending)
            pending = [name for name in pending if name not in results]
            next_look = now + DLQ_LOOK_SECONDS
        time.sleep(max(0.0, min(delay, deadline - now)))
        delay = min(delay * 1.5, 1.0)
    if pending:
        results |= _parked(target, fingerprint, order_id, pending)
    for name in pending:
        if name in results:
            continue
        if last.get(name, {}).get("status", {}).get("S") == CLAIMED:
            said = f"claimed, but not delivered within {seconds:.0f} s: a post may still be retrying"
            fix = "`orderflow alerts list` shows whether it got there"
        else:
            said = f"the alert log holds nothing of it after {seconds:.0f} s"
            fix = (
                "see the AlertHandler's logs; a delivery that keeps failing is retried, then parked in the alert DLQ "
                "(`orderflow dlq list alerts`)"
            )
        results[name] = TargetResult(name, NOT_DELIVERED, said, fix)
    return results


def _log_item(dynamodb: Any, table: str, fingerprint: str, name: str) -> dict[str, Any]:
    key = {"fingerprint": {"S": DynamoDBAlertLog.key(fingerprint, name)}}
    item: dict[str, Any] = dynamodb.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item") or {}
    return item


def _parked(target: Target, fingerprint: str, order_id: str, names: list[str]) -> dict[str, TargetResult]:
    """The targets whose delivery of this alert ended in the alert DLQ: refused by one of them (parked at once, with
    the target and its reason), or given up on by SQS after the alert queue's receives (then every target that did
    not deliver it)."""
    found: dict[str, TargetResult] = {}
    for parked in peek(target, _alert_queue()):
        try:
            body = json.loads(parked.body)
        except json.JSONDecodeError:
            continue
        if not isinstance(body, dict) or (body.get("alertId") != fingerprint and body.get("orderId") != order_id):
            continue
        fix = (
            f"`orderflow dlq show {parked.message_id}`; once the cause is fixed, "
            f"`orderflow dlq redrive {_alert_queue()} {parked.message_id}`"
        )
        refused_by = str(parked.attributes.get("refusedBy", {}).get("StringValue", ""))
        if refused_by in names:
            reason = parked.attributes.get("reason", {}).get("StringValue", "refused")
            found[refused_by] = TargetResult(refused_by, REFUSED, f"{reason}: parked in the alert DLQ", fix)
        elif not refused_by:
            for name in names:
                said = "parked in the alert DLQ after its retries"
                found.setdefault(name, TargetResult(name, NOT_DELIVERED, said, fix))
    return found
