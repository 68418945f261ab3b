"""Scripted workflow updates against the running local system, through its AWS endpoint, as on AWS."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator

import pytest

from handlers.domain import listing
from tests.support.fixtures import Submit
from workflow import cli
from workflow.asl import compile_order_workflow
from workflow.local.runtime import LocalRuntime
from workflow.local.samples import sample_order
from workflow.ops.history import execution_history
from workflow.ops.local_names import LocalNames
from workflow.ops.targets import Target, TargetError, connect
from workflow.ops.update import apply_update, plan_update, workflow_status
from workflow.ops.versions import prune_versions, versions


@pytest.fixture(scope="module")
def endpoint(runtime: LocalRuntime) -> str:
    return runtime.aws_endpoint or runtime.serve_aws(port=0)


@pytest.fixture
def local(endpoint: str) -> Iterator[Target]:
    target = connect("local", endpoint_url=endpoint)
    yield target
    # Whatever a test published, the live alias runs the compiled workflow again afterwards.
    restore = plan_update(target)
    if restore.changed:
        apply_update(target, restore, "restore after test")


def changed_lines(diff: str, sign: str) -> list[str]:
    return [line[1:].strip() for line in diff.splitlines() if line.startswith(sign) and not line.startswith(sign * 3)]


def with_audit_step() -> dict[str, object]:
    changed = copy.deepcopy(compile_order_workflow())
    states = changed["States"]
    del states["NotifyOrder"]["End"]
    states["NotifyOrder"]["Next"] = "Audited"
    states["Audited"] = {"Type": "Pass", "End": True}
    return changed


def test_update_publishes_a_version_moves_live_and_new_orders_take_it(
    runtime: LocalRuntime, local: Target, submit: Submit
) -> None:
    sfn = local.client("stepfunctions")
    before = plan_update(local)
    assert before.workflow_type == "STANDARD"  # compiled for the deployed type, with Standard's retry policy
    assert not before.changed, before.diff()
    assert before.live_version_arn is not None

    plan = plan_update(local, with_audit_step())
    assert plan.changed
    assert '"Audited": {' in changed_lines(plan.diff(), "+")
    assert '"Next": "Audited",' in changed_lines(plan.diff(), "+")
    assert '"End": true,' in changed_lines(plan.diff(), "-")

    result = apply_update(local, plan, "add an audit step")
    assert result.version_arn != before.live_version_arn
    routes = sfn.describe_state_machine_alias(stateMachineAliasArn=result.alias_arn)["routingConfiguration"]
    assert routes == [{"stateMachineVersionArn": result.version_arn, "weight": 100}]
    published = json.loads(sfn.describe_state_machine(stateMachineArn=result.version_arn)["definition"])
    assert published["States"]["Audited"] == {"Type": "Pass", "End": True}
    assert not plan_update(local, with_audit_step()).changed

    accepted = submit(sample_order())
    assert accepted["statusCode"] == 202
    assert runtime.wait_for_execution(runtime.execution_arn(accepted["json"]["orderId"]))["status"] == "SUCCEEDED"
    events = execution_history(runtime.sfn, runtime.execution_arn(accepted["json"]["orderId"]))
    entered = [e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e]
    assert entered[-2:] == ["NotifyOrder", "Audited"]


def test_cli_dry_run_prints_the_diff_and_changes_nothing(
    runtime: LocalRuntime, local: Target, endpoint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    apply_update(local, plan_update(local, with_audit_step()), "drift the live alias")
    live = plan_update(local).live_version_arn

    assert cli.main(["workflow", "update", "--target", "local", "--endpoint-url", endpoint, "--dry-run"]) == 0
    out = capsys.readouterr()
    assert "compiled workflow/ for its STANDARD state machine" in out.out
    assert '"Audited": {' in changed_lines(out.out, "-")
    assert "dry run" in out.err
    assert plan_update(local).live_version_arn == live

    assert cli.main(["workflow", "update", "--target", "local", "--endpoint-url", endpoint]) == 0
    assert "published" in capsys.readouterr().out
    assert not plan_update(local).changed


# moto's CloudFormation warns that it does not model the placeholder resource; the outputs are what matter here.
@pytest.mark.filterwarnings("ignore:Tried to parse AWS..CloudFormation..WaitConditionHandle")
def test_aws_target_reads_the_stack_outputs(
    runtime: LocalRuntime, local: Target, endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The AWS code path (CloudFormation outputs, not local names), served by the local system's CloudFormation."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    outputs = LocalNames().outputs()
    template = {
        "Resources": {"Nothing": {"Type": "AWS::CloudFormation::WaitConditionHandle"}},
        "Outputs": {key: {"Value": value} for key, value in outputs.items()},
    }
    local.client("cloudformation").create_stack(StackName="orderflow-outputs-test", TemplateBody=json.dumps(template))

    aws = connect("aws", stack="orderflow-outputs-test", region="us-east-1", endpoint_url=endpoint)
    assert aws.outputs == outputs
    assert not plan_update(aws).changed

    with pytest.raises(TargetError, match="make deploy"):
        connect("aws", stack="no-such-stack", region="us-east-1", endpoint_url=endpoint)
    local.client("cloudformation").delete_stack(StackName="orderflow-outputs-test")


def test_a_missing_alias_is_created_even_when_the_definition_is_current(runtime: LocalRuntime, local: Target) -> None:
    sfn = local.client("stepfunctions")
    alias_arn = runtime.names.alias_arn(runtime.manifest.live_alias)
    sfn.delete_state_machine_alias(stateMachineAliasArn=alias_arn)
    plan = plan_update(local)
    assert plan.alias_arn is None
    assert plan.changed
    result = apply_update(local, plan, "recreate the alias")
    assert result.alias_arn == alias_arn
    assert not plan_update(local).changed


def test_local_target_says_when_nothing_runs() -> None:
    with pytest.raises(TargetError, match="orderflow up"):
        connect("local", endpoint_url="http://127.0.0.1:9")


def test_status_shows_a_scripted_update_that_a_deploy_would_revert(
    local: Target, capsys: pytest.CaptureFixture[str]
) -> None:
    endpoint = ["--target", "local", "--endpoint-url", local.endpoint_url or ""]
    before = workflow_status(local)
    assert not before.differs_from_compiled
    assert before.template_version_arn is not None
    assert not before.scripted  # live runs what the template published (maybe re-published by a restore)
    assert cli.main(["workflow", "status", *endpoint]) == 0
    out = capsys.readouterr().out
    assert "is the definition compiled from workflow/ for STANDARD" in out
    assert "is the definition of the version the template published" in out

    apply_update(local, plan_update(local, with_audit_step()), "scripted: audit step")
    after = workflow_status(local)
    assert after.scripted
    assert after.differs_from_compiled  # live runs the audit step, which workflow/ does not compile
    assert after.live_description == "scripted: audit step"
    assert cli.main(["workflow", "status", *endpoint]) == 3
    out = capsys.readouterr().out
    assert "differs from the definition compiled from workflow/ for STANDARD" in out
    assert "WARNING: it is a scripted update" in out
    assert "reverts it" in out


def test_versions_are_pruned_to_the_newest_and_the_routed(local: Target, capsys: pytest.CaptureFixture[str]) -> None:
    """AWS allows 1,000 versions per state machine: pruning keeps the newest N and whatever an alias routes to.
    (Last in this module: it deletes the version the runtime provisioned, which the status test reads.)"""
    sfn = local.client("stepfunctions")
    machine = local.output("StateMachineArn")
    alias = f"{machine}:live"  # locally LiveAliasArn names the state machine (moto cannot start through an alias)
    live = plan_update(local).live_version_arn
    assert live is not None
    definition = json.loads(sfn.describe_state_machine(stateMachineArn=machine)["definition"])
    for n in range(12):
        sfn.update_state_machine(
            stateMachineArn=machine, definition=json.dumps({**definition, "Comment": f"v{n}"}), publish=True
        )
    every = versions(sfn, machine)
    assert len(every) >= 13
    assert every == sorted(every, key=lambda arn: int(arn.rsplit(":", 1)[1]), reverse=True)

    dry = prune_versions(sfn, machine, keep=3, dry_run=True)
    assert versions(sfn, machine) == every  # a dry run deletes nothing
    assert live in dry.kept  # routed to by `live`, however old

    # The versions' CLI, as `make deploy` runs it after `cdk deploy`.
    assert cli.main(["workflow", "prune", "--target", "local", "--endpoint-url", local.endpoint_url or "",
                     "--keep-versions", "3"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert f"kept 4 versions (1 routed to by an alias); deleted {len(every) - 4}" in out
    assert versions(sfn, machine) == [*every[:3], live]

    with pytest.raises(sfn.exceptions.ConflictException):
        sfn.delete_state_machine_version(stateMachineVersionArn=live)
    with pytest.raises(ValueError, match="keep at least the newest version"):
        prune_versions(sfn, machine, keep=0)
    # Numbers are not reused: the next version is newer than every one deleted.
    published = sfn.update_state_machine(
        stateMachineArn=machine, definition=json.dumps({**definition, "Comment": "after"}), publish=True
    )["stateMachineVersionArn"]
    assert int(published.rsplit(":", 1)[1]) > int(every[0].rsplit(":", 1)[1])
    assert (
        sfn.describe_state_machine_alias(stateMachineAliasArn=alias)["routingConfiguration"][0][
            "stateMachineVersionArn"
        ]
        == live
    )


def test_the_jsonpath_edition_published_to_the_running_system_carries_orders_the_same_way(
    runtime: LocalRuntime, local: Target, submit: Submit
) -> None:
    """For users who stay on JSONPath: the same workflow compiled to it runs the same orders to the same ends, its
    failure route through a <Step>Failed Pass state, and records the same failure on the order."""
    apply_update(local, plan_update(local, compile_order_workflow(query_language="JSONPath")), "JSONPath edition")
    good = submit(sample_order())["json"]["orderId"]
    bad = submit(sample_order(currency="XYZ"))["json"]["orderId"]
    assert runtime.wait_for_order(good, ["FULFILLED"])["status"] == "FULFILLED"
    assert runtime.wait_for_execution(runtime.execution_arn(bad))["status"] == "FAILED"
    events = execution_history(runtime.sfn, runtime.execution_arn(bad))
    entered = [e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e]
    assert entered == ["ValidateOrder", "ValidateOrderFailed", "RecordFailure", "PublishFailure", "OrderFailed"]
    failed = runtime.order(bad)
    assert failed is not None
    assert failed["status"] == "FAILED"
    assert failed["failure"]["state"] == "ValidateOrder"
    assert failed["failure"]["error"] == "OrderValidationError"
    # Listed by when it was accepted; JSONPath has no substring to compute the shard from the id: a random one.
    assert failed[listing.LIST_SHARD] in listing.list_shards()
    assert failed[listing.LIST_KEY] == listing.list_key(failed["history"][0]["at"], bad)
