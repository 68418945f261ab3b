"""How orderflow's parts talk: the SQS queues (each DLQ before the queue that sends to it), the SNS topics, their
subscriptions, and the KMS key the topics are encrypted with.

Created in the stack's own scope: the queues, topics and key keep their logical ids (a changed id would replace a
queue with the messages in it, or the key the topics' messages are encrypted with).
"""

from __future__ import annotations

from collections.abc import Mapping

import aws_cdk as cdk
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.constructs.names import camel
from workflow.manifest import Manifest, Queue

# The topic the alarms about the order flow notify: the AlertHandler takes it to every alert target.
ALERT_TOPIC = "alerts"
# The queue the alert topic feeds: its DLQ also takes the e-mails SNS cannot deliver.
ALERT_QUEUE = "alerts"
# The topic the alarms about the alert path itself notify, and operators subscribe to by e-mail: a route that does
# not depend on the AlertHandler.
ALARM_TOPIC = "alarms"


def add_topic_key(scope: Construct) -> kms.Key:
    key = kms.Key(
        scope,
        "TopicKey",
        description="orderflow: encrypts the alert and order-event topics",
        enable_key_rotation=True,
        removal_policy=cdk.RemovalPolicy.RETAIN,
    )
    # CloudWatch alarms publish to the (encrypted) alert topic.
    key.add_to_resource_policy(
        iam.PolicyStatement(
            principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
            actions=["kms:Decrypt", "kms:GenerateDataKey*"],
            resources=["*"],  # in a key policy, "*" means this key
            conditions={"StringEquals": {"aws:SourceAccount": cdk.Aws.ACCOUNT_ID}},
        )
    )
    return key


def add_queues(scope: Construct, manifest: Manifest) -> dict[str, sqs.Queue]:
    """Dead-letter queues first: a queue's redrive policy refers to its DLQ. (Visibility against the consumer's
    timeout is the manifest's own check.)"""
    queues: dict[str, sqs.Queue] = {}
    for queue in sorted(manifest.queues, key=lambda q: q.dead_letter_queue is not None):
        queues[queue.name] = _queue(scope, queue, queues)
    return queues


def _queue(scope: Construct, queue: Queue, built: Mapping[str, sqs.Queue]) -> sqs.Queue:
    dead_letter = (
        sqs.DeadLetterQueue(max_receive_count=queue.max_receive_count, queue=built[queue.dead_letter_queue])
        if queue.dead_letter_queue
        else None
    )
    return sqs.Queue(
        scope,
        f"{camel(queue.name)}Queue",
        visibility_timeout=cdk.Duration.seconds(queue.visibility_timeout),
        retention_period=cdk.Duration.seconds(queue.retention_seconds),
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
        dead_letter_queue=dead_letter,
    )


def add_topics(
    scope: Construct,
    manifest: Manifest,
    key: kms.IKey,
    queues: Mapping[str, sqs.Queue],
    alert_emails: tuple[str, ...],
) -> dict[str, sns.Topic]:
    """The topics, the queues subscribed to them (raw delivery) and the operators' e-mail subscriptions. Every
    subscription has a dead-letter queue: a message SNS cannot deliver after its retries is parked, not dropped (a
    queue's subscription into that queue's own DLQ; an e-mail's into the alert DLQ, which is alarmed)."""
    topics = {
        t.name: sns.Topic(scope, f"{camel(t.name)}Topic", master_key=key, enforce_ssl=True) for t in manifest.topics
    }
    for name in (ALERT_TOPIC, ALARM_TOPIC):
        # enforce_ssl writes a topic policy, which replaces SNS's default one: CloudWatch alarms of this account
        # need their own Allow to publish to the topics they notify.
        topics[name].add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[topics[name].topic_arn],
                conditions={
                    "StringEquals": {"aws:SourceAccount": cdk.Aws.ACCOUNT_ID},
                    "ArnLike": {
                        "aws:SourceArn": (
                            f"arn:{cdk.Aws.PARTITION}:cloudwatch:{cdk.Aws.REGION}:{cdk.Aws.ACCOUNT_ID}:alarm:*"
                        )
                    },
                },
            )
        )
    for queue in manifest.queues:
        if queue.subscribes_to:
            topics[queue.subscribes_to].add_subscription(
                subscriptions.SqsSubscription(
                    queues[queue.name], raw_message_delivery=True, dead_letter_queue=_dead_letter(queue, queues)
                )
            )
    email_dlq = queues[manifest.queue(ALERT_QUEUE).dead_letter_queue or ALERT_QUEUE]
    for email in alert_emails:
        topics[ALARM_TOPIC].add_subscription(subscriptions.EmailSubscription(email, dead_letter_queue=email_dlq))
    return topics


def _dead_letter(queue: Queue, queues: Mapping[str, sqs.Queue]) -> sqs.IQueue:
    if queue.dead_letter_queue is None:
        raise ValueError(f"queue {queue.name} is subscribed to a topic but has no dead-letter queue for it")
    return queues[queue.dead_letter_queue]


def add_ticks(scope: Construct, manifest: Manifest, queues: Mapping[str, sqs.Queue]) -> list[events.Rule]:
    """A queue's schedule (Queue.tick_minutes): an EventBridge rule sends it a tick; what EventBridge cannot deliver
    goes to the queue's own DLQ."""
    rules = []
    for queue in manifest.queues:
        if not queue.tick_minutes:
            continue
        rule = events.Rule(
            scope,
            f"{camel(queue.name)}Schedule",
            description=f"orderflow: a tick to the {queue.name} queue every {queue.tick_minutes} minutes",
            schedule=events.Schedule.rate(cdk.Duration.minutes(queue.tick_minutes)),
        )
        rule.add_target(
            targets.SqsQueue(
                queues[queue.name],
                message=events.RuleTargetInput.from_object({"tick": events.EventField.time}),
                dead_letter_queue=_dead_letter(queue, queues),
                retry_attempts=3,
            )
        )
        rules.append(rule)
    return rules
