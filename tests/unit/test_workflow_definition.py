from __future__ import annotations

import inspect
import json
from typing import Any

import pytest
from stepfunctions.steps import Chain, Pass, Succeed

from handlers.domain import errors
from workflow import asl
from workflow.cli import main
from workflow.local import moto_hooks
from workflow.manifest import MANIFEST


def test_compiled_asl_matches_the_golden_file() -> None:
    """A drift in the DSL's output (or an unreviewed change) fails here; `make golden` rewrites it."""
    assert asl.to_json(asl.compile_order_workflow()) == asl.golden_text()


def test_cli_prints_the_same_asl(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["asl"]) == 0
    assert json.loads(capsys.readouterr().out) == asl.compile_order_workflow()


def test_every_next_target_exists_and_every_state_is_reachable() -> None:
    compiled = asl.compile_order_workflow()
    states = compiled["States"]
    targets = {t for state in states.values() for _, t in asl._targets(state)}
    assert targets <= set(states)
    assert set(states) - targets == {compiled["StartAt"]}


def test_dangling_next_is_refused() -> None:
    compiled: dict[str, Any] = asl.compile_chain(Chain([Pass("A"), Succeed("B")]))
    compiled["States"]["A"]["Next"] = "Missing"
    with pytest.raises(asl.DefinitionError, match="'Missing', which is not a state"):
        asl.check(compiled)


def test_placeholders_are_exactly_the_manifest_substitutions() -> None:
    compiled = asl.compile_order_workflow()
    assert asl.placeholders(compiled) == set(MANIFEST.substitutions)
    with pytest.raises(asl.DefinitionError, match="no value for placeholders"):
        asl.substitute(compiled, {"Partition": "aws"})


def test_every_transient_error_a_lambda_raises_is_retried() -> None:
    transient = {cls.__name__ for cls in vars(errors).values() if inspect.isclass(cls)}
    transient = {
        name
        for name in transient
        if issubclass(getattr(errors, name), errors.TransientError) and name != "TransientError"
    }
    # AlertHandler is not a workflow task: SQS redelivers its failed alerts (the alert queue, then its DLQ), not Retry.
    transient.discard(errors.AlertDeliveryError.__name__)
    states = asl.compile_order_workflow()["States"]
    for name in ("ValidateOrder", "CreateOrder", "NotifyOrder"):
        retried = {e for retrier in states[name]["Retry"] for e in retrier["ErrorEquals"]}
        assert transient <= retried, name
        for retrier in states[name]["Retry"]:
            assert retrier["JitterStrategy"] == "FULL"
            assert retrier["MaxDelaySeconds"] >= retrier["IntervalSeconds"]


def test_every_task_is_caught_and_failures_are_published() -> None:
    states = asl.compile_order_workflow()["States"]
    tasks = [n for n, s in states.items() if s["Type"] == "Task" and n not in {"RecordFailure", "PublishFailure"}]
    assert tasks == ["ValidateOrder", "CreateOrder", "EnqueueOrder", "NotifyOrder"]
    for name in tasks:
        catcher = states[name]["Catch"][-1]  # the last catcher takes whatever the ones before did not
        assert catcher["ErrorEquals"] == ["States.ALL"]
        assert states[catcher["Next"]]["Parameters"]["failure"] == {"state": name, "error.$": catcher["ResultPath"]}
    # A CreateOrder that finds the order written by another execution ends this one; the specific catcher first.
    (handled_elsewhere, _) = states["CreateOrder"]["Catch"]
    assert handled_elsewhere == {
        "ErrorEquals": [errors.OrderHandledElsewhere.__name__],
        "Next": "HandledElsewhere",
        "ResultPath": None,
    }
    assert states["HandledElsewhere"]["Type"] == "Succeed"
    assert states["PublishFailure"]["Next"] == "OrderFailed"
    assert states["NotifyOrderFailed"]["Next"] == "PublishFailure"


def test_the_failure_route_drops_the_order_s_personal_data() -> None:
    """Every state a Catch leads to works from the failure document, which holds no email or address: Express logs
    ERROR with data, and FailStateEntered carries its input."""
    states = asl.compile_order_workflow()["States"]
    caught = {c["Next"] for s in states.values() for c in s.get("Catch", []) if c["ErrorEquals"] == ["States.ALL"]}
    for name in caught - {"PublishFailure"}:  # RecordFailure's own Catch goes on with the failure document
        parameters = json.dumps(states[name]["Parameters"])
        assert '"$.order"' not in parameters, name
        assert "shippingAddress" not in parameters, name
        assert "email" not in parameters, name


def test_definition_uses_no_partition_lookup() -> None:
    """Resources carry ${Partition}: the DSL's own lookup is a slow boto call baked into the ASL."""
    resources = {s["Resource"] for s in asl.compile_order_workflow()["States"].values() if "Resource" in s}
    assert all(r.startswith("arn:${Partition}:states:::") for r in resources)


def test_moto_hooks_still_fit_the_pinned_moto() -> None:
    """moto's Lambda hook patches a private method: this fails loudly when a moto upgrade changes it."""
    moto_hooks.check_moto_compatible()


def test_the_express_contract_still_fits_the_pinned_moto() -> None:
    """The Express start replaces moto's start_execution and wires its unused logging session: this fails loudly
    when a moto upgrade moves what it follows."""
    from workflow.local import express

    express.check_moto_compatible()
