"""The integration tier's fixtures: one local runtime per test session (per xdist worker), with a loopback webhook
standing in for Slack and one for the generic webhook target."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from tests.support.apievents import api_event
from workflow.harness.meter import local_meter
from workflow.local.receiver import LoopbackWebhook
from workflow.local.runtime import LocalRuntime, RuntimeConfig
from workflow.local.waiting import poll_until

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions import SFNClient

# Production waits x 0.002: a 1 s retry interval becomes 2 ms, the alert queue's 1080 s visibility timeout 2 s.
TIME_SCALE = 0.002

Submit = Callable[..., dict[str, Any]]


@pytest.fixture(scope="session")
def webhook() -> Iterator[LoopbackWebhook]:
    """The Slack alert target."""
    with LoopbackWebhook() as receiver:
        yield receiver


@pytest.fixture(scope="session")
def hook() -> Iterator[LoopbackWebhook]:
    """The generic 'webhook' alert target, beside Slack."""
    with LoopbackWebhook(path="/hooks/orderflow") as receiver:
        yield receiver


class Runtimes:
    """At most one local runtime per process (moto's state and its hooks are global), of the workflow type a test
    module asks for: asking for the other type stops the running one and starts that one."""

    def __init__(self, settings: dict[str, str]) -> None:
        self._settings = settings
        self._current: LocalRuntime | None = None

    def get(self, workflow_type: str = "STANDARD") -> LocalRuntime:
        if self._current is not None and self._current.config.workflow_type == workflow_type:
            return self._current
        self.close()
        config = RuntimeConfig(
            time_scale=TIME_SCALE, settings=self._settings, poll_wait_seconds=1, workflow_type=workflow_type
        )
        # Metered, as `orderflow cost` meters its own (tests/integration/test_cost_counts.py reads it).
        self._current = LocalRuntime(config, observer=local_meter(region=config.region)).start()
        return self._current

    def close(self) -> None:
        if self._current is not None:
            self._current.stop()
            self._current = None


@pytest.fixture(scope="session")
def runtimes(webhook: LoopbackWebhook, hook: LoopbackWebhook) -> Iterator[Runtimes]:
    held = Runtimes(
        {
            "SLACK_WEBHOOK_URL": webhook.url,
            "SLACK_MAX_ATTEMPTS": "2",
            "ALERT_WEBHOOK_URL": hook.url,
            "ALERT_TARGETS": "slack,webhook",
        }
    )
    yield held
    held.close()


@pytest.fixture(scope="module")
def runtime(runtimes: Runtimes) -> LocalRuntime:
    """The local system (Standard), shared by the modules that run one after another in this process."""
    return runtimes.get("STANDARD")


def submitter(runtime: LocalRuntime) -> Submit:
    """POST /orders through the API's handler, as API Gateway invokes it; the answer with its body parsed."""

    def _submit(order: Any, key: str | None = None, headers: dict[str, str] | None = None) -> dict[str, Any]:
        all_headers = {"idempotency-key": key or str(uuid.uuid4()), **(headers or {})}
        response = runtime.invoke_api(api_event("POST", "/orders", order, all_headers))
        response["json"] = json.loads(response["body"])
        return response

    return _submit


@pytest.fixture
def submit(runtime: LocalRuntime) -> Submit:
    return submitter(runtime)


def create_order_store_retry(workflow_type: str = "STANDARD") -> dict[str, Any]:
    """CreateOrder's Retry of OrderStoreUnavailable as the type compiles it: throttle the orders table for one call
    more than its MaxAttempts allows, and the order fails at CreateOrder."""
    from workflow.asl import compile_order_workflow

    retry: dict[str, Any] = next(
        r
        for r in compile_order_workflow(workflow_type)["States"]["CreateOrder"]["Retry"]
        if "OrderStoreUnavailable" in r["ErrorEquals"]
    )
    return retry


def alerts_settled(runtime: LocalRuntime, timeout: float = 20.0) -> None:
    """Until the alert queue holds nothing, visible or in flight: every alert published so far was handled."""
    poll_until(lambda: runtime.messages_in("alerts") == 0, timeout=timeout, what="an empty alert queue")


def local_sfn(runtime: LocalRuntime) -> SFNClient:
    """Plain boto3 against the running system's AWS endpoint, as a user's client would reach it (any credentials;
    no host prefix, which would send TestState to `sync-127.0.0.1`)."""
    import boto3
    from botocore.config import Config

    client: SFNClient = boto3.client(
        "stepfunctions",
        endpoint_url=runtime.aws_endpoint or runtime.serve_aws(port=0),
        region_name=runtime.config.region,
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=Config(inject_host_prefix=False),
    )
    return client
