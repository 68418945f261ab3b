"""Fault plans: parsed strictly, drawn reproducibly, and off until the runtime is up."""

from __future__ import annotations

import pytest

from tests.support.derived import invoked_functions
from workflow.harness.chaos import DEFAULT_PLAN
from workflow.local.faults import FaultInjector, FaultPlan, FunctionFaults


def test_a_plan_round_trips_through_its_json_shape() -> None:
    plan = FaultPlan.from_dict(DEFAULT_PLAN.to_dict())
    assert plan == DEFAULT_PLAN
    assert plan.functions["CreateOrder"] == FunctionFaults(transient=0.05, permanent=0.01, latency_ms=2)


def test_nonsense_is_refused_with_the_reason() -> None:
    with pytest.raises(ValueError, match="unknown fault settings"):
        FaultPlan.from_dict({"dynamo_throttle": 0.1})
    with pytest.raises(ValueError, match=r"within 0\.\.1"):
        FaultPlan(sqs_send_failure=1.5)
    with pytest.raises(ValueError, match=r"functions\.CreateOrder\.transient"):
        FaultPlan.from_dict({"functions": {"CreateOrder": {"transient": -0.1}}})


def test_the_same_seed_draws_the_same_faults() -> None:
    def draws(seed: int) -> list[bool]:
        injector = FaultInjector(FaultPlan(dynamodb_throttle=0.3), seed)
        injector.armed = True
        return [injector.roll(0.3, "x") for _ in range(200)]

    assert draws(4) == draws(4)
    assert draws(4) != draws(5)
    assert 30 < sum(draws(4)) < 90


def test_nothing_is_injected_before_the_runtime_arms_it() -> None:
    injector = FaultInjector(FaultPlan(dynamodb_throttle=1.0), 0)
    assert not injector.roll(1.0, "x")
    injector.armed = True
    assert injector.roll(1.0, "x")
    assert injector.injected == {"x": 1}


def test_chaos_s_default_plan_injects_faults_into_every_function_an_order_runs() -> None:
    """A step the plan leaves out would be run by chaos without a fault, and so never tested under one: every
    function the workflow invokes (from the compiled definition), the API's and the worker's are in it."""
    expected = {"StartWorkflow", *invoked_functions(), "ProcessOrderWorker", "AlertHandler"}
    missing = expected - set(DEFAULT_PLAN.functions)
    assert not missing, f"workflow/harness/chaos.py DEFAULT_PLAN has no faults for {sorted(missing)}"
