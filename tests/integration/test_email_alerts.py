"""The e-mail alert target on the local system: a failed order is e-mailed through SES once (moto's SES keeps what
was sent), from the configured sender to the configured recipients, its subject naming the order and the step where
it failed; the same failure published again is no second e-mail."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from moto.ses.models import ses_backends
from moto.sns.models import sns_backends

from tests.support.fixtures import TIME_SCALE, Runtimes, alerts_settled, submitter
from workflow.local.runtime import LocalRuntime, RuntimeConfig
from workflow.local.samples import sample_order
from workflow.local.waiting import poll_until
from workflow.ops.local_names import ACCOUNT

SENDER, RECIPIENT = "alerts@example.com", "oncall@example.com"


@pytest.fixture(scope="module")
def emailing(runtimes: Runtimes) -> Iterator[LocalRuntime]:
    """A local system whose only alert target (beside the log) is e-mail (one runtime per process: the shared one
    stops for this module)."""
    runtimes.close()
    config = RuntimeConfig(
        time_scale=TIME_SCALE,
        poll_wait_seconds=1,
        settings={"ALERT_TARGETS": "email", "ALERT_EMAIL_FROM": SENDER, "ALERT_EMAIL_TO": RECIPIENT},
    )
    runtime = LocalRuntime(config).start()
    yield runtime
    runtime.stop()


def emails_about(runtime: LocalRuntime, order_id: str) -> list[Any]:
    """What moto's SES sent (the account and region the runtime serves) whose subject names the order."""
    sent = ses_backends[ACCOUNT][runtime.config.region].sent_messages
    return [message for message in sent if order_id in message.subject]


def published_alerts(runtime: LocalRuntime, order_id: str) -> list[str]:
    """The alert topic's messages about the order, as the workflow published them."""
    topic = sns_backends[ACCOUNT][runtime.config.region].topics[runtime.topic_arns["alerts"]]
    return [message for _, message, *_ in topic.sent_notifications if json.loads(message).get("orderId") == order_id]


def test_a_failed_order_is_e_mailed_once(emailing: LocalRuntime) -> None:
    order_id = submitter(emailing)(sample_order(currency="QQQ"))["json"]["orderId"]
    emailing.wait_for_order(order_id, ["FAILED"])
    (email,) = poll_until(lambda: emails_about(emailing, order_id), timeout=20, what="the order's e-mail")
    assert email.source == SENDER
    assert email.destinations == {"ToAddresses": [RECIPIENT]}
    assert email.subject.startswith(f"Order {order_id} failed at ValidateOrder: ")
    assert "QQQ" in email.subject
    # moto keeps the HTML body: a business failure, so a corrected order is asked for, not a rerun.
    assert order_id in email.body
    assert "Submit a corrected order" in email.body
    assert "orderflow rerun" not in email.body

    # The same failure published again (a retried publish): the alert log knows it, no second e-mail.
    (alert,) = published_alerts(emailing, order_id)
    emailing.sns.publish(TopicArn=emailing.topic_arns["alerts"], Message=alert)
    alerts_settled(emailing)
    assert len(published_alerts(emailing, order_id)) == 2
    assert len(emails_about(emailing, order_id)) == 1
