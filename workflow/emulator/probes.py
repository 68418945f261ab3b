"""Behaviour checks of the rows at moto's front doors, its task clients and retrier, Express and versions: each calls
through the patched path (or runs a tiny definition) on a probe system (workflow.emulator.probe_system) and holds
the outcome to what the row is for, which is what AWS does."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError
from moto.stepfunctions.parser.asl.utils import boto_client

from workflow.emulator import dynamodb, express
from workflow.emulator.patches import Check
from workflow.emulator.probe_system import ACCOUNT, REGION, ProbeFault, ProbeSystem, expect


def _code(call: Any, **arguments: Any) -> str | None:
    """The error code a call answers (None: it succeeded)."""
    try:
        call(**arguments)
    except ClientError as error:
        return str(error.response["Error"]["Code"])
    return None


def _failing_task(system: ProbeSystem, interval: int = 1) -> dict[str, Any]:
    return {
        "StartAt": "Call",
        "States": {
            "Call": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": system.function_arn(), "Payload": {"fail": True}},
                "Retry": [{"ErrorEquals": ["ProbeError"], "IntervalSeconds": interval, "MaxAttempts": 1}],
                "Catch": [{"ErrorEquals": ["ProbeError"], "Next": "Caught"}],
                "End": True,
            },
            "Caught": {"Type": "Pass", "End": True},
        },
    }


def _lambda_invocations(system: ProbeSystem) -> None:
    answer = system.client("lambda").invoke(FunctionName="Probe", Payload=b'{"n": 1}')
    expect(
        answer["Payload"].read() == b'{"echo": {"n": 1}}' and ("Probe", {"n": 1}) in system.heard.dispatched,
        "lambda.invoke no longer reaches LambdaFunction._invoke_lambda(self, event) with the event",
    )
    run = system.run(_failing_task(system))
    states = [e["stateEnteredEventDetails"]["name"] for e in run.events if "stateEnteredEventDetails" in e]
    expect(
        run.status == "SUCCEEDED" and states == ["Call", "Caught"],
        f"a Lambda task's error in the runtime's shape is no longer matched by its errorType ({run.status}, {states})",
    )


def _retry_intervals(system: ProbeSystem) -> None:
    # Retried after 60 s unless the retrier sleeps through the scaled time (0 here); the run waits 2 s at most.
    run = system.run(_failing_task(system, interval=60), within=2.0)
    attempts = sum(1 for e in run.events if e["type"] == "TaskScheduled")
    expect(run.status == "SUCCEEDED" and attempts == 2, f"a retry no longer waits through ScaledTime ({attempts})")


def _dynamodb_calls(system: ProbeSystem) -> None:
    client = system.client("dynamodb")
    table = system.name("table")
    client.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    item = {"k": {"S": "1"}, "v": {"N": "2"}}
    system.faults[("PutItem", table)] = ProbeFault("ProvisionedThroughputExceededException")
    refused = _code(client.put_item, TableName=table, Item=item)
    expect(refused == "ProvisionedThroughputExceededException", f"a DynamoDB fault is not answered ({refused})")
    client.put_item(TableName=table, Item=item)
    expect(
        "PutItem" in system.heard.dynamodb_calls and [(table, item)] in system.heard.written,
        "DynamoHandler.call_action no longer serves DynamoDB's calls (or its _get_action/params moved)",
    )
    expect(dynamodb.read_item(ACCOUNT, REGION, table, {"k": {"S": "1"}}) == item, "moto's backend is read otherwise")


def _messaging_calls(system: ProbeSystem) -> None:
    sqs, sns = system.client("sqs"), system.client("sns")
    queue = sqs.create_queue(QueueName=system.name("queue"))["QueueUrl"]
    topic = sns.create_topic(Name=system.name("topic"))["TopicArn"]
    system.failing |= {("sqs", "SendMessage"), ("sns", "Publish")}
    refused = (
        _code(sqs.send_message, QueueUrl=queue, MessageBody="m"),
        _code(sns.publish, TopicArn=topic, Message="m"),
    )
    system.failing.clear()
    expect(refused == ("KmsThrottled", "Throttled"), f"SQS and SNS faults are not answered as AWS's ({refused})")
    sqs.send_message(QueueUrl=queue, MessageBody="m")
    sns.publish(TopicArn=topic, Message="m")
    heard = system.heard.messaging
    expect(
        heard.count(("sqs", "SendMessage")) == 2 and heard.count(("sns", "Publish")) == 2,
        f"SQSResponse/SNSResponse.call_action no longer serve every call ({heard})",
    )


def _sfn_calls(system: ProbeSystem) -> None:
    sfn = system.client("stepfunctions")
    machine = system.machine({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    run = system.run({}, machine=machine)
    name = run.arn.rsplit(":", 1)[-1]
    system.faults[("DescribeExecution", name)] = ProbeFault("ExecutionDoesNotExist")
    missed = _code(sfn.describe_execution, executionArn=run.arn)
    expect(missed == "ExecutionDoesNotExist", f"a Step Functions API fault is not answered ({missed})")
    expect(_code(sfn.describe_execution, executionArn=run.arn) is None, "a fault is answered more often than armed")


def _task_clients(system: ProbeSystem) -> None:
    queue = system.client("sqs").create_queue(QueueName=system.name("queue"))["QueueUrl"]
    send = {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage"}
    parameters = {"QueueUrl": queue, "MessageBody": "m"}
    definition = {
        "StartAt": "One",
        "States": {
            "One": {**send, "Parameters": parameters, "Next": "Two"},
            "Two": {**send, "Parameters": parameters, "End": True},
        },
    }
    run = system.run(definition)
    clients = getattr(boto_client.boto_client_for, "clients", {})
    expect(
        run.status == "SUCCEEDED" and (REGION, "sqs") in clients,
        f"moto's sqs:sendMessage task no longer makes its client through boto_client_for ({run.status})",
    )


def _express(system: ProbeSystem) -> None:
    logs = system.client("logs")
    group = system.name("/aws/vendedlogs/states/probe")
    logs.create_log_group(logGroupName=group)
    destination = {"cloudWatchLogsLogGroup": {"logGroupArn": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{group}:*"}}
    machine = system.machine(
        {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
        machine_type="EXPRESS",
        loggingConfiguration={"level": "ALL", "includeExecutionData": True, "destinations": [destination]},
    )
    sfn = system.client("stepfunctions")
    arns = [sfn.start_execution(stateMachineArn=machine, name="twice")["executionArn"] for _ in range(2)]
    expect(
        len(set(arns)) == 2 and all(":express:" in arn for arn in arns),
        f"an Express start is de-duplicated by name or has no express ARN ({arns})",
    )
    refused = [
        _code(sfn.describe_execution, executionArn=arns[0]),
        _code(sfn.get_execution_history, executionArn=arns[0]),
        _code(sfn.describe_state_machine_for_execution, executionArn=arns[0]),
        _code(sfn.stop_execution, executionArn=arns[0]),
        _code(sfn.list_executions, stateMachineArn=machine),
    ]
    expect(
        refused == ["InvalidArn"] * 4 + ["StateMachineTypeNotSupported"], f"Express is served as Standard: {refused}"
    )
    executions = list(express.executions_named(ACCOUNT, REGION, "twice"))
    expect(len(executions) == 2, f"the backend holds {len(executions)} Express executions, not 2")
    records = logs.filter_log_events(logGroupName=group).get("events", [])
    expect(bool(records), "an Express execution wrote no log records")


def _versions(system: ProbeSystem) -> None:
    sfn = system.client("stepfunctions")
    first, second = ({"StartAt": name, "States": {name: {"Type": "Pass", "End": True}}} for name in ("P", "Q"))
    machine = system.machine(first, publish=True)
    sfn.update_state_machine(stateMachineArn=machine, definition=json.dumps(second), publish=True)
    listed = [
        v["stateMachineVersionArn"]
        for v in sfn.list_state_machine_versions(stateMachineArn=machine)["stateMachineVersions"]
    ]
    expect(listed == [f"{machine}:2", f"{machine}:1"], f"versions are not listed newest first: {listed}")
    sfn.delete_state_machine_version(stateMachineVersionArn=f"{machine}:1")
    left = sfn.list_state_machine_versions(stateMachineArn=machine)["stateMachineVersions"]
    expect([v["stateMachineVersionArn"] for v in left] == [f"{machine}:2"], "a deleted version is still listed")


def _history_pages(system: ProbeSystem) -> None:
    run = system.run(
        {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "End": True}}}
    )
    sfn = system.client("stepfunctions")
    ids = [event["id"] for event in run.events]
    last = sfn.get_execution_history(executionArn=run.arn, reverseOrder=True, maxResults=1)
    expect([e["id"] for e in last["events"]] == ids[-1:], f"reverseOrder/maxResults gave {last['events']}")
    pages, token = [], None
    while True:
        more: dict[str, Any] = {"nextToken": token} if token else {}
        page = sfn.get_execution_history(executionArn=run.arn, maxResults=2, **more)
        pages.append([e["id"] for e in page["events"]])
        token = page.get("nextToken")
        if not token or len(pages) > len(ids):
            break
    expect(
        [i for page in pages for i in page] == ids and all(len(page) <= 2 for page in pages),
        f"nextToken paging gave {pages}, not {ids} two at a time",
    )


def _test_state(system: ProbeSystem) -> None:
    # A mocked error a Retry rule matches, one retry behind: RETRIABLE, the rule's index and the backoff it waits.
    sfn = system.client("stepfunctions")
    task = {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Arguments": {"FunctionName": system.function_arn(), "Payload": "{% $states.input %}"},
        "QueryLanguage": "JSONata",
        "Retry": [{"ErrorEquals": ["Other"]}, {"ErrorEquals": ["ProbeError"], "IntervalSeconds": 3, "BackoffRate": 2}],
        "End": True,
    }
    answer = sfn.test_state(
        definition=json.dumps(task),
        input="{}",
        inspectionLevel="DEBUG",
        mock={"errorOutput": {"error": "ProbeError", "cause": "mocked"}, "fieldValidationMode": "NONE"},
        stateConfiguration={"retrierRetryCount": 1},
    )
    details = answer.get("inspectionData", {}).get("errorDetails")
    expect(
        answer["status"] == "RETRIABLE" and details == {"retryIndex": 1, "retryBackoffIntervalSeconds": 6},
        f"TestState is not served as AWS answers it ({answer.get('status')}, {details})",
    )
    refused = _code(sfn.test_state, definition=json.dumps({"Type": "Pass", "End": True}), mock={"result": "{}"})
    expect(refused == "ValidationException", f"a mocked Pass state is not refused ({refused})")


LAMBDA_INVOCATIONS = Check(
    "Lambda invocations reach the dispatcher; errors match by errorType", "behaviour", _lambda_invocations
)
RETRY_INTERVALS = Check("retry intervals are scaled", "behaviour", _retry_intervals)
DYNAMODB_CALLS = Check(
    "DynamoDB calls meet their faults, are heard, and the backend reads", "behaviour", _dynamodb_calls
)
MESSAGING_CALLS = Check("SQS and SNS calls meet their faults and are heard", "behaviour", _messaging_calls)
SFN_CALLS = Check("Step Functions API calls meet their faults", "behaviour", _sfn_calls)
TASK_CLIENTS = Check("task clients are made through boto_client_for", "behaviour", _task_clients)
EXPRESS = Check("Express keeps AWS's contract", "behaviour", _express)
VERSIONS = Check("state machine versions are listed and deleted", "behaviour", _versions)
HISTORY_PAGES = Check("execution histories are paged as asked", "behaviour", _history_pages)
TEST_STATE = Check("TestState answers a mocked Retry as AWS does", "behaviour", _test_state)
