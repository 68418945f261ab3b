"""The local AWS endpoint against executions recorded on AWS (issue 24): one case per recorded execution.

The cases are data (`recorded_aws/cases.json`): each is a state machine definition, the input it was started with,
and what AWS answered, read from an AWS-validated snapshot of LocalStack's test suite (the source of each is named
beside it, with its snapshot key and recorded date). Each runs here through `orderflow up`'s endpoint with plain
boto3, as tests/integration/test_recorded_behaviour.py runs its own, and is compared with the recording:

- the status; a success's output, JSON-equal; a failure's error and cause, exactly (an absent one stays absent);
- where AWS recorded an `EvaluationFailed` event, its error, cause, location and state.

A case with `normalise` compares values that differ per execution (ARNs, names, the role, timestamps, UUIDs) as
placeholders (`<execution-arn>`, `<timestamp>`, `<uuid>`, ...), as the case's note says. A case AWS answers
differently from the local engine, when it cannot be fixed, is marked `xfail` with its reason in the data, and must
be listed in docs/local-aws.md's differences.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mypy_boto3_stepfunctions import SFNClient

from tests.support.executions import ROLE, execute, history
from tests.support.fixtures import local_sfn
from workflow.local.runtime import LocalRuntime

HERE = Path(__file__).parent
CORPUS = json.loads((HERE / "recorded_aws" / "cases.json").read_text(encoding="utf-8"))
CASES: list[dict[str, Any]] = CORPUS["cases"]
DIFFERENCES = HERE.parents[1] / "docs" / "local-aws.md"

AWS_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
UUID4 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
DATE = re.compile(r"\d\d-\d\d-\d{4}, \d\d:\d\d:\d\d")  # LocalStack's recorded-date: day-month-year


@pytest.fixture(scope="module")
def sfn(runtime: LocalRuntime) -> SFNClient:
    return local_sfn(runtime)


@pytest.fixture(scope="module")
def machines(sfn: SFNClient) -> Iterator[list[str]]:
    made: list[str] = []
    yield made
    for arn in made:
        sfn.delete_state_machine(stateMachineArn=arn)


def _placeholders(execution: str) -> dict[str, str]:
    machine = execution.replace(":execution:", ":stateMachine:").rsplit(":", 1)[0]
    return {
        execution: "<execution-arn>",
        execution.rsplit(":", 1)[1]: "<execution-name>",
        machine: "<state-machine-arn>",
        machine.rsplit(":", 1)[1]: "<state-machine-name>",
        ROLE: "<role-arn>",
    }


def normalised(value: Any, placeholders: dict[str, str]) -> Any:
    """Per-execution values as the placeholders the cases are written with."""
    if isinstance(value, dict):
        return {key: normalised(item, placeholders) for key, item in value.items()}
    if isinstance(value, list):
        return [normalised(item, placeholders) for item in value]
    if isinstance(value, str):
        if value in placeholders:
            return placeholders[value]
        if AWS_TIMESTAMP.fullmatch(value):
            return "<timestamp>"
        if UUID4.fullmatch(value):
            return "<uuid>"
    return value


def _param(case: dict[str, Any]) -> Any:
    marks = [pytest.mark.xfail(reason=case["xfail"], strict=True)] if "xfail" in case else []
    return pytest.param(case, id=case["id"], marks=marks)


@pytest.mark.parametrize("case", [_param(case) for case in CASES])
def test_recorded_execution(sfn: SFNClient, machines: list[str], case: dict[str, Any]) -> None:
    expect = case["expect"]
    arn, described = execute(sfn, machines, case["definition"], case["input"])
    assert described["status"] == expect["status"], (
        described["status"],
        described.get("error"),
        described.get("cause"),
    )
    if expect["status"] == "SUCCEEDED":
        output = json.loads(described["output"])
        if "normalise" in case:
            output = normalised(output, _placeholders(arn))
        assert output == expect["output"]
        return
    assert (described.get("error"), described.get("cause")) == (expect["error"], expect["cause"])
    for recorded in expect.get("events", []):
        found = [event for event in history(sfn, arn) if event["type"] == recorded["type"]]
        assert found, f"no {recorded['type']} event"
        details = found[0][recorded["type"][0].lower() + recorded["type"][1:] + "EventDetails"]
        assert details == recorded["details"]


def test_the_corpus_is_recorded_and_sourced() -> None:
    """At least 60 cases, each with a unique id, its source (repository, file, snapshot key, recorded and validated
    dates) and an expected outcome."""
    assert len(CASES) >= 60, len(CASES)
    assert len({case["id"] for case in CASES}) == len(CASES)
    for case in CASES:
        source = case["source"]
        assert source["repo"], case["id"]
        assert source["path"].endswith(".snapshot.json"), case["id"]
        assert source["snapshot"], case["id"]
        assert DATE.fullmatch(source["recorded"]), (case["id"], source["recorded"])
        assert source["validated"], case["id"]  # the snapshot's *.validation.json: it was run against AWS
        assert case["expect"]["status"] in ("SUCCEEDED", "FAILED"), case["id"]
        assert ("output" in case["expect"]) == (case["expect"]["status"] == "SUCCEEDED"), case["id"]


def test_every_xfail_is_a_listed_difference() -> None:
    """A recorded answer the local engine does not give is a known difference: docs/local-aws.md names its case."""
    listed = DIFFERENCES.read_text(encoding="utf-8")
    missing = [case["id"] for case in CASES if "xfail" in case and f"`{case['id']}`" not in listed]
    assert not missing, f"xfail cases not listed in docs/local-aws.md: {missing}"
