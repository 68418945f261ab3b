"""Scripted workflow updates on an Express state machine: the operator commands compile for the deployed type, so a
freshly started Express system shows no drift, and Standard's retry policy (unbounded native Tasks, more and longer
attempts) is refused there before anything is published."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.support.derived import happy_path
from tests.support.fixtures import Runtimes
from workflow import asl, cli
from workflow.asl import DefinitionError, compile_order_workflow
from workflow.local.runtime import LocalRuntime
from workflow.ops.targets import Target, connect
from workflow.ops.update import plan_update, workflow_status


@pytest.fixture(scope="module")
def express(runtimes: Runtimes) -> LocalRuntime:
    return runtimes.get("EXPRESS")  # the running one when the previous module on this worker was Express too


@pytest.fixture(scope="module")
def local(express: LocalRuntime) -> Target:
    return connect("local", endpoint_url=express.aws_endpoint or express.serve_aws(port=0))


def arguments(local: Target) -> list[str]:
    return ["--target", "local", "--endpoint-url", local.endpoint_url or ""]


def test_a_started_express_system_runs_what_workflow_compiles_for_express(
    local: Target, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = plan_update(local)
    assert plan.workflow_type == "EXPRESS"
    assert not plan.changed, plan.diff()
    assert plan.live_version_arn is not None

    status = workflow_status(local)
    assert status.workflow_type == "EXPRESS"
    assert not status.differs_from_compiled, status.diff
    assert not status.scripted

    # What `make diff` runs against the stack: no drift reported, and the type it compiled for is shown.
    assert cli.main(["workflow", "status", *arguments(local)]) == 0
    out = capsys.readouterr().out
    assert "is the definition compiled from workflow/ for EXPRESS" in out
    assert "WARNING" not in out

    assert cli.main(["workflow", "update", "--dry-run", *arguments(local)]) == 0
    out = capsys.readouterr().out
    assert "compiled workflow/ for its EXPRESS state machine" in out
    assert "nothing to publish" in out
    assert plan_update(local).live_version_arn == plan.live_version_arn


def test_the_standard_definition_is_refused_on_an_express_machine(local: Target) -> None:
    live = plan_update(local).live_version_arn
    with pytest.raises(DefinitionError) as refused:
        plan_update(local, compile_order_workflow("STANDARD"))
    message = str(refused.value)
    assert "its state machine is EXPRESS" in message
    assert "cut off at 300 s" in message
    steps = happy_path()  # the worst path runs along it to EnqueueOrder, Standard's first unbounded Task
    assert f"worst path is {' -> '.join(steps[: steps.index('EnqueueOrder') + 1])}" in message
    assert "(unbounded)" in message
    assert "is a Task without TimeoutSeconds" in message  # why: Standard leaves its native Tasks unbounded
    assert plan_update(local).live_version_arn == live


def test_a_hand_edit_is_held_to_the_express_budget(local: Target) -> None:
    """Bounded but past five minutes is refused as well; within them, a hand edit is planned like any other."""
    slow: dict[str, Any] = copy.deepcopy(compile_order_workflow("EXPRESS"))
    slow["States"]["CreateOrder"]["TimeoutSeconds"] = 600
    with pytest.raises(DefinitionError, match=r"cut off at 300 s .* worst path is ValidateOrder -> CreateOrder -> "):
        plan_update(local, slow)

    audited: dict[str, Any] = copy.deepcopy(compile_order_workflow("EXPRESS"))
    del audited["States"]["NotifyOrder"]["End"]
    audited["States"]["NotifyOrder"]["Next"] = "Audited"
    audited["States"]["Audited"] = {"Type": "Pass", "End": True}
    plan = plan_update(local, audited)
    assert plan.changed
    assert plan.workflow_type == "EXPRESS"


def test_the_commands_refuse_when_workflow_does_not_compile_for_express(
    local: Target, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """As if the retry policy had been edited past Express's limit after an Express stack was deployed: the operator
    reads why, and nothing is published (exit 2, as for a target the CLI cannot use)."""
    live = plan_update(local).live_version_arn
    monkeypatch.setitem(asl.TIME_LIMITS, "EXPRESS", 60)  # below the compiled Express worst path
    for command in (["status"], ["update"]):
        assert cli.main(["workflow", *command, *arguments(local)]) == 2
        err = capsys.readouterr().err
        assert "orderflow: the EXPRESS retry budget passes 60 s" in err
    monkeypatch.undo()
    assert plan_update(local).live_version_arn == live
