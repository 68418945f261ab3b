"""Creating the local system's resources in moto, from the manifest, as the CDK stack does on AWS: tables (with
TTL), queues (dead-letter queues first, redrive policies, scaled visibility), topics and their queue subscriptions,
secrets, functions, the state machine with its published version and live alias, a poller per queue trigger, and
the alert e-mails' sender as a verified SES identity when one is configured.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from handlers.alert_registry import BY_NAME
from workflow.local.faults import FaultInjector
from workflow.local.poller import QueuePoller, Ticker
from workflow.manifest import PYTHON_RUNTIME, STACK_NAME, Manifest, QueueTrigger, Setting, logs_execution_data
from workflow.ops.local_names import PROVISIONED_VERSION, STATE_MACHINE, LocalNames


@dataclass
class Provisioned:
    queue_urls: dict[str, str] = field(default_factory=dict)
    topic_arns: dict[str, str] = field(default_factory=dict)
    pollers: list[QueuePoller | Ticker] = field(default_factory=list)


@dataclass(frozen=True)
class Provisioner:
    client: Callable[[str], Any]  # a boto3 client of the running mock, by service name
    names: LocalNames
    manifest: Manifest
    resolve: Callable[[Setting], str | None]
    function_environment: Callable[[str], dict[str, str]]
    random_faults: FaultInjector
    region: str
    time_scale: float
    poll_wait_seconds: int
    workflow_type: str
    # The state machine's logging level (Express: the stack's expressLogLevel; Standard logs ALL without data).
    log_level: str
    ticks: bool = True

    def provision(self, definition: str) -> Provisioned:
        done = Provisioned()
        role = self.client("iam").create_role(
            RoleName=f"{STACK_NAME}-local",
            AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
        )["Role"]["Arn"]
        self._tables()
        self._queues(done)
        self._topics(done)
        self._secrets()
        self._email_sender()
        self._functions(role)
        self._state_machine(role, definition)
        self._pollers(done)
        return done

    def _tables(self) -> None:
        dynamodb = self.client("dynamodb")
        for table in self.manifest.tables:
            name = self.names.table_name(table.name)
            keys = {table.partition_key, *(k for i in table.indexes for k in (i.partition_key, i.sort_key))}
            indexes = [
                {
                    "IndexName": index.name,
                    "KeySchema": [
                        {"AttributeName": index.partition_key, "KeyType": "HASH"},
                        {"AttributeName": index.sort_key, "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": list(index.projected)}
                    if index.projected
                    else {"ProjectionType": "KEYS_ONLY"},
                }
                for index in table.indexes
            ]
            dynamodb.create_table(
                TableName=name,
                AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"} for key in sorted(keys)],
                KeySchema=[{"AttributeName": table.partition_key, "KeyType": "HASH"}],
                BillingMode="PAY_PER_REQUEST",
                **({"GlobalSecondaryIndexes": indexes} if indexes else {}),
            )
            if table.ttl_attribute:
                dynamodb.update_time_to_live(
                    TableName=name,
                    TimeToLiveSpecification={"Enabled": True, "AttributeName": table.ttl_attribute},
                )

    def _queues(self, done: Provisioned) -> None:
        sqs = self.client("sqs")
        # Dead-letter queues first: a redrive policy names an existing queue.
        for queue in sorted(self.manifest.queues, key=lambda q: q.dead_letter_queue is not None):
            attributes: dict[str, str] = {
                "VisibilityTimeout": str(max(1, round(queue.visibility_timeout * self.time_scale))),
                "MessageRetentionPeriod": str(queue.retention_seconds),
            }
            if queue.dead_letter_queue:
                attributes["RedrivePolicy"] = json.dumps(
                    {
                        "deadLetterTargetArn": self.names.queue_arn(queue.dead_letter_queue),
                        "maxReceiveCount": queue.max_receive_count,
                    }
                )
            created = sqs.create_queue(QueueName=self.names.queue_name(queue.name), Attributes=attributes)
            done.queue_urls[queue.name] = created["QueueUrl"]

    def _topics(self, done: Provisioned) -> None:
        sns = self.client("sns")
        for topic in self.manifest.topics:
            done.topic_arns[topic.name] = sns.create_topic(Name=self.names.topic_name(topic.name))["TopicArn"]
        for queue in self.manifest.queues:
            if queue.subscribes_to:
                sns.subscribe(
                    TopicArn=done.topic_arns[queue.subscribes_to],
                    Protocol="sqs",
                    Endpoint=self.names.queue_arn(queue.name),
                    Attributes={"RawMessageDelivery": "true"},
                )

    def _secrets(self) -> None:
        secrets = self.client("secretsmanager")
        for secret in self.manifest.secrets:
            secrets.create_secret(
                Name=self.names.secret_name(secret.name),
                Description=secret.description,
                # Secrets Manager wants a value; anything but a URL means "not configured" to the AlertHandler.
                SecretString=self.resolve(Setting(secret.local_value_from)) or "not-configured",
            )

    def _email_sender(self) -> None:
        """The e-mail target's sender (ALERT_EMAIL_FROM), verified, as the operator verifies it in SES on AWS (not the
        stack: verifying takes a click in a mailbox or DNS records): moto's SES refuses to send from anything else."""
        sender = self.resolve(Setting(BY_NAME["email"].settings[0]))  # ALERT_EMAIL_FROM
        if sender:
            self.client("sesv2").create_email_identity(EmailIdentity=sender.strip())

    def _functions(self, role: str) -> None:
        lambda_client = self.client("lambda")
        code = _placeholder_zip()
        for function in self.manifest.functions:
            lambda_client.create_function(
                FunctionName=function.name,
                Runtime=PYTHON_RUNTIME,  # recorded; our installed handlers run in-process whatever it says
                Role=role,
                Handler=function.handler,
                Code={"ZipFile": code},
                Timeout=function.timeout,
                MemorySize=function.memory,
                Architectures=["arm64"],
                Environment={"Variables": self.function_environment(function.name)},
            )

    def _state_machine(self, role: str, definition: str) -> None:
        log_group = self.names.state_machine_log_group()
        self.client("logs").create_log_group(logGroupName=log_group)
        sfn = self.client("stepfunctions")
        created = sfn.create_state_machine(
            loggingConfiguration={
                "level": self.log_level,
                "includeExecutionData": logs_execution_data(self.workflow_type, self.log_level),
                "destinations": [{"cloudWatchLogsLogGroup": {"logGroupArn": self.names.log_group_arn(log_group)}}],
            },
            name=STATE_MACHINE,
            definition=definition,
            roleArn=role,
            type=self.workflow_type,
            publish=True,
            versionDescription=PROVISIONED_VERSION,
        )
        sfn.create_state_machine_alias(
            name=self.manifest.live_alias,
            routingConfiguration=[{"stateMachineVersionArn": created["stateMachineVersionArn"], "weight": 100}],
        )

    def _pollers(self, done: Provisioned) -> None:
        for function in self.manifest.functions:
            if not isinstance(function.trigger, QueueTrigger):
                continue
            trigger = function.trigger
            poller = QueuePoller(
                self.client("sqs"),
                self.client("lambda"),
                done.queue_urls[trigger.queue],
                self.names.queue_arn(trigger.queue),
                function.name,
                trigger.batch_size,
                self.region,
                wait_seconds=self.poll_wait_seconds,
                # Scaled, but not below half a second: a window shorter than the fan-out of one publish would
                # split what AWS gathers into one batch.
                batch_window=max(0.5, trigger.batch_window * self.time_scale) if trigger.batch_window else 0.0,
                faults=self.random_faults,
            )
            poller.start()
            done.pollers.append(poller)
        for queue in self.manifest.queues:
            if queue.tick_minutes and self.ticks:
                ticker = Ticker(
                    self.client("sqs"), done.queue_urls[queue.name], queue.tick_minutes * 60 * self.time_scale
                )
                ticker.start()
                done.pollers.append(ticker)


def _placeholder_zip() -> bytes:
    """moto wants a code package; the code that runs is our installed `handlers` package, in-process."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("README.txt", "orderflow handlers run in-process in the local runtime\n")
    return buffer.getvalue()
