"""What each function and the state machine may do, and on which resource: the least-privilege table infra/ builds
IAM statements from. Resources are named as in the manifest; actions are exactly the calls the code makes.

Lambda's own logging and X-Ray permissions are added by the stack per function (its log group; X-Ray has no
resource-level permissions). Triggers (SQS event source, SNS subscription, API integration) grant themselves.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Access:
    # "table:<name>", "queue:<name>", "topic:<name>", "secret:<name>", "function:<name>",
    # "state-machine-alias" (Step Functions authorizes calls through an alias on the state machine's own ARN,
    # narrowed to the alias by the states:StateMachineQualifier condition), "executions" (of the state machine)
    resource: str
    actions: tuple[str, ...]


FUNCTIONS: dict[str, tuple[Access, ...]] = {
    # POST records the request (Powertools idempotency: put, read, complete or release the record), reserves the
    # key's order id and starts the execution through the live alias; a replay reads the first execution; GET
    # reads the order or, before CreateOrder ran, its execution.
    "StartWorkflow": (
        Access(
            "table:requests", ("dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem")
        ),
        Access("table:idempotency", ("dynamodb:PutItem", "dynamodb:GetItem")),
        Access("state-machine-alias", ("states:StartExecution",)),
        Access("executions", ("states:DescribeExecution",)),
        Access("table:orders", ("dynamodb:GetItem",)),
    ),
    "ValidateOrder": (),
    # A conditional put of the order; when it exists already, a read to replay it, or an update to take over a
    # redriven order.
    "CreateOrder": (Access("table:orders", ("dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem")),),
    "NotifyOrder": (Access("topic:order-events", ("sns:Publish",)),),
    "ProcessOrderWorker": (Access("table:orders", ("dynamodb:GetItem", "dynamodb:UpdateItem")),),
    # Reads its targets' webhook URLs; claims, marks and releases deliveries in the alert log.
    "AlertHandler": (
        Access("secret:slack-webhook", ("secretsmanager:GetSecretValue",)),
        Access("secret:alert-webhook", ("secretsmanager:GetSecretValue",)),
        Access("table:alert-log", ("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem")),
    ),
}

# The state machine invokes its three functions and writes the order, the queue and the alert topic.
STATE_MACHINE: tuple[Access, ...] = (
    Access("function:ValidateOrder", ("lambda:InvokeFunction",)),
    Access("function:CreateOrder", ("lambda:InvokeFunction",)),
    Access("function:NotifyOrder", ("lambda:InvokeFunction",)),
    Access("table:orders", ("dynamodb:UpdateItem",)),
    Access("queue:orders", ("sqs:SendMessage",)),
    Access("topic:alerts", ("sns:Publish",)),
)
