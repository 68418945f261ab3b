"""The synthesized stack: every resource of the flow, its settings, least privilege, cdk-nag and cfn-lint."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Match, Template

from infra import permissions
from infra.constructs.functions import POWERTOOLS_LAYER_PARAMETER
from infra.constructs.names import camel
from infra.context import StackSettings
from tests.infra.conftest import Synth, one, resources
from tests.support.derived import invoked_functions
from workflow import asl
from workflow.manifest import MANIFEST, PYTHON_RUNTIME, QueueTrigger

LOCK = Path(__file__).resolve().parents[2] / "requirements.lock"

# Actions AWS offers no resource-level permissions for (the only ones allowed on Resource "*").
NO_RESOURCE_LEVEL = {
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
}


def statements(template: dict[str, Any], role_prefix: str) -> list[dict[str, Any]]:
    found = []
    for policy in resources(template, "AWS::IAM::Policy").values():
        roles = [r["Ref"] for r in policy["Properties"]["Roles"]]
        if any(r.startswith(role_prefix) for r in roles):
            found += policy["Properties"]["PolicyDocument"]["Statement"]
    assert found, f"no policy for {role_prefix}"
    return found


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_every_function_is_arm64_python_with_tracing_the_layer_and_its_own_log_group(synth: Synth) -> None:
    functions = resources(synth.standard, "AWS::Lambda::Function")
    assert len(functions) == len(MANIFEST.functions)
    handlers = sorted(f["Properties"]["Handler"] for f in functions.values())
    assert handlers == sorted(f.handler for f in MANIFEST.functions)
    parameters = synth.standard["Parameters"]
    for function in functions.values():
        props = function["Properties"]
        assert props["Runtime"] == PYTHON_RUNTIME
        assert props["Architectures"] == ["arm64"]
        assert props["TracingConfig"] == {"Mode": "Active"}
        (layer,) = props["Layers"]
        assert parameters[layer["Ref"]]["Default"] == POWERTOOLS_LAYER_PARAMETER
        assert "Ref" in props["LoggingConfig"]["LogGroup"]
        # Lambda's START/END/REPORT lines are INFO: not written by default, by choice (lambdaSystemLogLevel).
        assert props["LoggingConfig"]["SystemLogLevel"] == "WARN"
        assert props["LoggingConfig"]["LogFormat"] == "JSON"
        assert "FunctionName" not in props  # CloudFormation names it
        # The layer deployed is the Powertools release the tests ran with (the lock), for this runtime.
        locked = re.search(r"^aws[-_]lambda[-_]powertools==(\S+)$", LOCK.read_text(), flags=re.M | re.I)
        assert locked is not None
        expected = f"/aws/service/powertools/python/arm64/{props['Runtime']}/{locked.group(1)}"
        assert expected == POWERTOOLS_LAYER_PARAMETER
    for function in resources(synth.express, "AWS::Lambda::Function").values():
        assert function["Properties"]["LoggingConfig"]["SystemLogLevel"] == "INFO"
    for group in resources(synth.standard, "AWS::Logs::LogGroup").values():
        assert group["Properties"]["RetentionInDays"] == 30
    for group in resources(synth.express, "AWS::Logs::LogGroup").values():
        assert group["Properties"]["RetentionInDays"] == 90


def test_the_state_machine_logs_under_vendedlogs_for_both_types(synth: Synth) -> None:
    """Step Functions needs no CloudWatch Logs resource policy entry for /aws/vendedlogs/ groups (that policy is
    capped at 5,120 characters, and a busy account's deploy would fail adding one)."""
    for template, stack in ((synth.standard, "orderflow"), (synth.express, "orderflow-express")):
        groups = resources(template, "AWS::Logs::LogGroup")
        (machine,) = resources(template, "AWS::StepFunctions::StateMachine").values()
        (destination,) = machine["Properties"]["LoggingConfiguration"]["Destinations"]
        group_id = destination["CloudWatchLogsLogGroup"]["LogGroupArn"]["Fn::GetAtt"][0]
        assert groups[group_id]["Properties"]["LogGroupName"] == f"/aws/vendedlogs/states/{stack}-orders"
        assert groups[group_id]["Properties"]["LogGroupName"].startswith("/aws/vendedlogs/states/")
        # The rename replaces a group deployed before: that one is kept with its records; destroy deletes this one.
        assert groups[group_id]["UpdateReplacePolicy"] == "Retain"
        assert groups[group_id]["DeletionPolicy"] == "Delete"


def test_lambda_package_is_the_handlers_package_alone(synth: Synth) -> None:
    code = next(iter(resources(synth.standard, "AWS::Lambda::Function").values()))["Properties"]["Code"]
    asset = synth.outdir / f"asset.{code['S3Key'].removesuffix('.zip')}"
    files = sorted(p.relative_to(asset).as_posix() for p in asset.rglob("*") if p.is_file())
    assert files, "empty Lambda package"
    assert all(f.startswith("handlers/") and f.endswith(".py") for f in files), files
    assert "handlers/alert_handler.py" in files


def test_tables_are_on_demand_encrypted_recoverable_and_the_lock_expires(synth: Synth) -> None:
    template = Template.from_json(synth.standard)
    template.resource_count_is("AWS::DynamoDB::Table", len(MANIFEST.tables))
    for table in MANIFEST.tables:
        template.has_resource_properties(
            "AWS::DynamoDB::Table",
            {
                "KeySchema": [{"AttributeName": table.partition_key, "KeyType": "HASH"}],
                "BillingMode": "PAY_PER_REQUEST",
                "SSESpecification": {"SSEEnabled": True},
                "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
                "TimeToLiveSpecification": (
                    {"AttributeName": table.ttl_attribute, "Enabled": True} if table.ttl_attribute else Match.absent()
                ),
            },
        )


def test_queues_dlq_visibility_and_partial_batch_responses(synth: Synth) -> None:
    queues = resources(synth.standard, "AWS::SQS::Queue")
    assert len(queues) == len(MANIFEST.queues)
    assert all(q["Properties"]["SqsManagedSseEnabled"] for q in queues.values())
    with_dlq = {
        q["Properties"]["VisibilityTimeout"]: q["Properties"]
        for q in queues.values()
        if "RedrivePolicy" in q["Properties"]
    }
    for consumer in [f for f in MANIFEST.functions if isinstance(f.trigger, QueueTrigger)]:
        queue = MANIFEST.queue(consumer.trigger.queue)  # type: ignore[union-attr]
        assert queue.visibility_timeout >= 6 * consumer.timeout
        assert with_dlq[queue.visibility_timeout]["RedrivePolicy"]["maxReceiveCount"] == queue.max_receive_count
    mappings = [m["Properties"] for m in resources(synth.standard, "AWS::Lambda::EventSourceMapping").values()]
    assert all(m["FunctionResponseTypes"] == ["ReportBatchItemFailures"] for m in mappings)
    assert len(mappings) == len([f for f in MANIFEST.functions if isinstance(f.trigger, QueueTrigger)])
    # Every queue refuses plain HTTP.
    for policy in resources(synth.standard, "AWS::SQS::QueuePolicy").values():
        denies = [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
        assert any(s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in denies)


def test_alert_path_topic_queue_batches_and_emails(synth: Synth) -> None:
    topics = resources(synth.standard, "AWS::SNS::Topic")
    assert len(topics) == len(MANIFEST.topics)
    assert all("KmsMasterKeyId" in t["Properties"] for t in topics.values())
    (subscription,) = [
        s["Properties"]
        for s in resources(synth.standard, "AWS::SNS::Subscription").values()
        if s["Properties"]["Protocol"] == "sqs"
    ]
    assert subscription["RawMessageDelivery"] is True
    mappings = [m["Properties"] for m in resources(synth.standard, "AWS::Lambda::EventSourceMapping").values()]
    (alerts,) = [m for m in mappings if m.get("MaximumBatchingWindowInSeconds")]
    assert alerts["BatchSize"] == 100
    assert alerts["ScalingConfig"] == {"MaximumConcurrency": 2}
    assert alerts["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    emails = [s["Properties"] for s in resources(synth.express, "AWS::SNS::Subscription").values()]
    assert {"Protocol": "email", "Endpoint": "oncall@example.com"}.items() <= next(
        s for s in emails if s["Protocol"] == "email"
    ).items()


def test_the_slack_webhook_is_a_secret_never_a_value_in_the_template(synth: Synth) -> None:
    secrets = [r["Properties"] for r in resources(synth.standard, "AWS::SecretsManager::Secret").values()]
    assert len(secrets) == len(MANIFEST.secrets)
    for secret in secrets:
        assert "SecretString" not in secret
        assert "GenerateSecretString" in secret
    text = json.dumps(synth.standard)
    assert "hooks.slack.com/services" not in text
    handler = next(
        f["Properties"]
        for f in resources(synth.standard, "AWS::Lambda::Function").values()
        if f["Properties"]["Handler"] == "handlers.alert_handler.handler"
    )
    assert "SLACK_WEBHOOK_SECRET_ARN" in handler["Environment"]["Variables"]
    assert "SLACK_WEBHOOK_URL" not in handler["Environment"]["Variables"]


def test_state_machine_from_the_compiled_asl_with_every_placeholder_substituted(synth: Synth) -> None:
    machine = one(synth.standard, "AWS::StepFunctions::StateMachine")
    assert machine["StateMachineType"] == "STANDARD"
    parts = machine["DefinitionString"]["Fn::Join"][1]
    text = "".join(p if isinstance(p, str) else "arn-partition" for p in parts)
    substituted = asl.PLACEHOLDER.sub(lambda m: f"<{m.group(1)}>", text)
    definition = json.loads(substituted)
    compiled = asl.compile_order_workflow()
    assert definition["States"].keys() == compiled["States"].keys()
    left = set(asl.PLACEHOLDER.findall(text))
    assert left == set(machine["DefinitionSubstitutions"]), "placeholders and substitutions differ"
    assert left | {"Partition"} == asl.placeholders(compiled)
    assert {"Ref": "AWS::Partition"} in parts
    assert machine["LoggingConfiguration"]["Level"] == "ALL"
    assert machine["TracingConfiguration"] == {"Enabled": True}


def test_live_alias_routes_to_the_published_version_and_the_api_starts_through_it(synth: Synth) -> None:
    version_name, version = next(iter(resources(synth.standard, "AWS::StepFunctions::StateMachineVersion").items()))
    assert version["DeletionPolicy"] == "Retain"
    assert "StateMachineRevisionId" in version["Properties"]
    alias_name, alias = next(iter(resources(synth.standard, "AWS::StepFunctions::StateMachineAlias").items()))
    assert alias["Properties"]["Name"] == MANIFEST.live_alias
    assert alias["Properties"]["RoutingConfiguration"] == [
        {"StateMachineVersionArn": {"Fn::GetAtt": [version_name, "Arn"]}, "Weight": 100}
    ]
    start = next(
        f["Properties"]
        for f in resources(synth.standard, "AWS::Lambda::Function").values()
        if f["Properties"]["Handler"] == "handlers.start_workflow.handler"
    )
    assert start["Environment"]["Variables"]["STATE_MACHINE_ARN"] == {"Fn::GetAtt": [alias_name, "Arn"]}


def test_express_switch_logs_errors_only_with_their_data(synth: Synth) -> None:
    machine = one(synth.express, "AWS::StepFunctions::StateMachine")
    assert machine["StateMachineType"] == "EXPRESS"
    assert machine["LoggingConfiguration"]["Level"] == "ERROR"
    assert machine["LoggingConfiguration"]["IncludeExecutionData"] is True
    standard = one(synth.standard, "AWS::StepFunctions::StateMachine")
    assert standard["LoggingConfiguration"]["IncludeExecutionData"] is False


def test_no_log_level_logs_the_order_s_data() -> None:
    from infra.constructs.state_machine import logs_execution_data

    assert not logs_execution_data("ALL")  # every state's input holds the order: its email and address
    assert logs_execution_data("ERROR")  # the failure route only, which drops the order (tests/unit)


def test_api_routes_iam_by_default_jwt_when_configured_throttled_and_logged(synth: Synth) -> None:
    routes = {
        r["Properties"]["RouteKey"]: r["Properties"]
        for r in resources(synth.standard, "AWS::ApiGatewayV2::Route").values()
    }
    expected = {
        route for f in MANIFEST.functions if f.trigger and hasattr(f.trigger, "routes") for route in f.trigger.routes
    }
    assert set(routes) == expected
    assert {r["AuthorizationType"] for r in routes.values()} == {"AWS_IAM"}
    express_routes = resources(synth.express, "AWS::ApiGatewayV2::Route").values()
    assert {r["Properties"]["AuthorizationType"] for r in express_routes} == {"JWT"}
    authorizer = one(synth.express, "AWS::ApiGatewayV2::Authorizer")
    assert authorizer["JwtConfiguration"] == {"Audience": ["orders-api"], "Issuer": "https://issuer.example.com/"}
    stage = one(synth.standard, "AWS::ApiGatewayV2::Stage")
    assert stage["DefaultRouteSettings"] == {"ThrottlingBurstLimit": 100, "ThrottlingRateLimit": 50}
    assert "DestinationArn" in stage["AccessLogSettings"]
    assert "$context.status" in stage["AccessLogSettings"]["Format"]


@pytest.mark.parametrize("variant", ["standard", "express"])
def test_least_privilege_no_wildcard_but_where_aws_has_no_resource_level_permission(synth: Synth, variant: str) -> None:
    """The cdk-nag acknowledgment of Resource "*" covers whole policies: this is what keeps it honest."""
    template = synth.standard if variant == "standard" else synth.express
    for policy in resources(template, "AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            actions = set(as_list(statement["Action"]))
            assert not any(a == "*" or a.endswith(":*") for a in actions), statement
            if "*" in as_list(statement["Resource"]):
                assert actions <= NO_RESOURCE_LEVEL, statement


def test_function_permissions_are_exactly_the_table(synth: Synth) -> None:
    implied = {  # what triggers and logging add on top of infra/permissions.py
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "kms:Decrypt",
        "kms:GenerateDataKey",
    }
    consume = {
        "sqs:ReceiveMessage",
        "sqs:ChangeMessageVisibility",
        "sqs:GetQueueUrl",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
    }
    for function in MANIFEST.functions:
        name = function.name
        granted = {a for s in statements(synth.standard, f"{name}Role") for a in as_list(s["Action"])}
        # No e-mail sender in this stack's settings: the e-mail target is off, and SES is granted to nobody.
        wanted = {a for grant in permissions.function_grants(function) for a in grant.actions} - {"ses:SendEmail"}
        extra = granted - wanted - implied
        if isinstance(function.trigger, QueueTrigger):  # its SQS event source
            extra -= consume
        assert wanted <= granted, f"{name} lacks {wanted - granted}"
        assert not extra, f"{name} has more than it uses: {extra}"


def test_ses_is_granted_on_the_configured_sender_s_identity_only(synth: Synth) -> None:
    """The e-mail target sends as ALERT_EMAIL_FROM: SendEmail on that address's identity and its domain's, no more."""
    (statement,) = [s for s in statements(synth.express, "AlertHandlerRole") if "ses:SendEmail" in as_list(s["Action"])]
    assert as_list(statement["Action"]) == ["ses:SendEmail"]
    resources = json.dumps(statement["Resource"])
    assert ":identity/alerts@example.com" in resources
    assert ":identity/example.com" in resources
    assert "*" not in resources
    assert not [s for s in statements(synth.standard, "AlertHandlerRole") if "ses:SendEmail" in as_list(s["Action"])]


def logical_id(template: dict[str, Any], resource: str) -> str:
    """The template's logical id of a grant's resource ("table:orders" -> "OrdersTable315BB997")."""
    kind, _, name = resource.partition(":")
    prefix, cfn_type = {
        "function": (name, "AWS::Lambda::Function"),
        "table": (f"{camel(name)}Table", "AWS::DynamoDB::Table"),
        "queue": (f"{camel(name)}Queue", "AWS::SQS::Queue"),
        "topic": (f"{camel(name)}Topic", "AWS::SNS::Topic"),
    }[kind]
    (found,) = [n for n in resources(template, cfn_type) if re.fullmatch(f"{prefix}[0-9A-F]{{8}}", n)]
    return found


@pytest.mark.parametrize("variant", ["standard", "express"])
def test_state_machine_may_do_exactly_what_its_tasks_do(synth: Synth, variant: str) -> None:
    """The role holds exactly what the compiled ASL's Tasks do (infra/permissions.py's derivation), nothing more."""
    template = synth.standard if variant == "standard" else synth.express
    definition = asl.compile_order_workflow()
    derived = permissions.state_machine_grants(definition, MANIFEST)
    assert {(g.resource, a) for g in derived for a in g.actions} == {
        *((f"function:{name}", "lambda:InvokeFunction") for name in invoked_functions(definition)),
        ("table:orders", "dynamodb:UpdateItem"),
        ("queue:orders", "sqs:SendMessage"),
        ("topic:alerts", "sns:Publish"),
    }
    expected = {(a, logical_id(template, g.resource)) for g in derived for a in g.actions}
    granted = set()
    for statement in statements(template, "StateMachineRole"):
        if "*" in as_list(statement["Resource"]):
            continue  # log delivery and X-Ray: no resource-level permissions (the test above keeps it to those)
        for action in as_list(statement["Action"]):
            if action.startswith("kms:"):
                continue  # the topic key, which publishing to the encrypted alert topic needs
            for resource in as_list(statement["Resource"]):
                granted.add((action, resource.get("Ref") or resource["Fn::GetAtt"][0]))
    assert granted == expected


def test_state_machine_invokes_only_its_tasks_functions_unqualified(synth: Synth) -> None:
    invoke = [
        s for s in statements(synth.standard, "StateMachineRole") if "lambda:InvokeFunction" in as_list(s["Action"])
    ]
    resources_ = [r for s in invoke for r in as_list(s["Resource"])]
    assert all(set(r) == {"Fn::GetAtt"} and r["Fn::GetAtt"][1] == "Arn" for r in resources_), resources_
    functions = invoked_functions(asl.compile_order_workflow())
    assert sorted(r["Fn::GetAtt"][0] for r in resources_) == sorted(
        logical_id(synth.standard, f"function:{name}") for name in functions
    )


def test_cfn_lint_finds_no_errors(synth: Synth) -> None:
    templates = [str(synth.outdir / f"{name}.template.json") for name in ("orderflow", "orderflow-express")]
    # W3005 (a DependsOn already implied by a GetAtt) is how CDK writes every role/function pair.
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "cfn-lint"),
            "--format",
            "parseable",
            "--ignore-checks",
            "W3005",
            "--",
            *templates,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_cdk_nag_report_is_clean(synth: Synth) -> None:
    report = json.loads((synth.outdir / "validation-report.json").read_text())
    assert report["pluginReports"] == [] or all(not r.get("violations") for r in report["pluginReports"]), json.dumps(
        report, indent=2
    )[:4000]


def test_settings_refuse_nonsense() -> None:
    with pytest.raises(ValueError, match="workflowType"):
        StackSettings(workflow_type="SOMETIMES")
    with pytest.raises(ValueError, match="oidcAudience"):
        StackSettings(oidc_issuer="https://issuer.example.com/")
    with pytest.raises(ValueError, match="lambdaSystemLogLevel"):
        StackSettings(lambda_system_log_level="QUIET")
    with pytest.raises(ValueError, match="stuckOrderMinutes"):
        StackSettings(function_settings={"STUCK_ORDER_MINUTES": "soon"})


def test_stuck_order_minutes_reach_find_stuck_orders(synth: Synth) -> None:
    """context stuckOrderMinutes -> FindStuckOrders' STUCK_ORDER_MINUTES; unset, the handler's 15."""
    from infra.app import new_app

    app = new_app(context={"stuckOrderMinutes": "30"})
    assert StackSettings.from_context(app.node).function_settings["STUCK_ORDER_MINUTES"] == "30"
    (function,) = [
        f for n, f in resources(synth.standard, "AWS::Lambda::Function").items() if n.startswith("FindStuckOrders")
    ]
    assert "STUCK_ORDER_MINUTES" not in function["Properties"]["Environment"]["Variables"]


def test_make_synth_is_plain_python_offline(tmp_path: Path) -> None:
    """What `make synth` runs, with no credentials and no network needed."""
    env = {
        # No AWS credentials or configuration: synth must not need them.
        **{k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "CDK_OUTDIR": str(tmp_path / "out"),
        "ORDERFLOW_CONTEXT": json.dumps({"workflowType": "EXPRESS"}),
    }
    repo = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, str(repo / "infra" / "app.py")],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    template = json.loads((tmp_path / "out" / "orderflow.template.json").read_text())
    assert one(template, "AWS::StepFunctions::StateMachine")["StateMachineType"] == "EXPRESS"


PINNED_LAYER = "arn:aws:lambda:eu-central-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python314-arm64:9"


def test_a_pinned_powertools_layer_replaces_the_ssm_lookup(tmp_path: Path) -> None:
    """powertoolsLayerArn: no public SSM parameter is resolved mid-deploy (one can go missing, and exists only
    where Powertools publishes)."""
    from infra.app import add_stack, new_app

    app = new_app(outdir=str(tmp_path / "out"), context={"powertoolsLayerArn": PINNED_LAYER}, nag=False)
    stack = add_stack(app, "orderflow-pinned", lambda_code_dir=tmp_path / "lambda")
    template = Template.from_stack(stack).to_json()
    for function in resources(template, "AWS::Lambda::Function").values():
        assert function["Properties"]["Layers"] == [PINNED_LAYER]
    assert POWERTOOLS_LAYER_PARAMETER not in json.dumps(template)


def test_a_pinned_layer_must_be_a_layer_version_arn() -> None:
    with pytest.raises(ValueError, match="powertoolsLayerArn must be a Lambda layer version ARN"):
        StackSettings(powertools_layer_arn="arn:aws:lambda:eu-central-1:017000801446:function:x")


@pytest.mark.parametrize("variant", ["standard", "express"])
def test_execution_alarms_watch_the_state_machine_and_the_live_alias(synth: Synth, variant: str) -> None:
    """AWS documents execution metrics under StateMachineArn and, for executions started through an alias (all of
    ours), under StateMachineArn + Alias; whether the first also counts those is not said. Each alarm takes both."""
    template = getattr(synth, variant)
    machine_id = next(iter(resources(template, "AWS::StepFunctions::StateMachine")))
    machine_arn = {"Ref": machine_id}
    alarms = {
        re.sub(r"Alarm[0-9A-F]{8}$", "", n): a["Properties"]
        for n, a in resources(template, "AWS::CloudWatch::Alarm").items()
    }
    assert "ExecutionsFailed" not in alarms  # a failed order is alerted by the workflow, once
    for name, metric_name in {
        "ExecutionsAborted": "ExecutionsAborted",
        "ExecutionsTimedOut": "ExecutionsTimedOut",
        "ExecutionsThrottled": "ExecutionThrottled",
    }.items():
        queries = alarms[name]["Metrics"]
        (expression,) = [q for q in queries if "Expression" in q]
        assert expression["Expression"] == "MAX([FILL(machine, 0), FILL(alias, 0)])"
        assert expression.get("ReturnData", True) is True
        stats = {q["Id"]: q["MetricStat"] for q in queries if "MetricStat" in q}
        assert set(stats) == {"machine", "alias"}
        for query_id, stat in stats.items():
            assert stat["Metric"]["Namespace"] == "AWS/States"
            assert stat["Metric"]["MetricName"] == metric_name
            assert stat["Stat"] == "Sum"
            dimensions = {d["Name"]: d["Value"] for d in stat["Metric"]["Dimensions"]}
            expected: dict[str, Any] = {"StateMachineArn": machine_arn}
            if query_id == "alias":
                expected["Alias"] = MANIFEST.live_alias
            assert dimensions == expected
    (dashboard,) = resources(template, "AWS::CloudWatch::Dashboard").values()
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    assert body.count('\\"Alias\\",\\"live\\"') == 6  # started, succeeded, failed, timed out, aborted, throttled
