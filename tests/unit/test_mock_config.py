"""Step Functions Local's mock configuration, read as AWS documents it
(https://docs.aws.amazon.com/step-functions/latest/dg/sfn-local-mock-cfg-file.html): invocation numbers and ranges
consecutive from 0, exactly one of Return and Throw, every named response defined; where the file comes from."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from workflow.emulator import mock_config
from workflow.emulator.mock_config import MockConfigError, Return, Throw

DOCUMENTED: dict[str, Any] = {  # the documented example's shape
    "StateMachines": {
        "LambdaSQSIntegration": {
            "TestCases": {
                "HappyPath": {"LambdaState": "MockedLambdaSuccess", "SQSState": "MockedSQSSuccess"},
                "RetryPath": {"LambdaState": "MockedLambdaRetry", "SQSState": "MockedSQSSuccess"},
            }
        }
    },
    "MockedResponses": {
        "MockedLambdaSuccess": {"0": {"Return": {"StatusCode": 200, "Payload": {"body": "hi"}}}},
        "MockedSQSSuccess": {"0": {"Return": {"MessageId": "m-1"}}},
        "MockedLambdaRetry": {
            "0": {"Throw": {"Error": "Lambda.ResourceNotReadyException", "Cause": "not ready"}},
            "1-2": {"Throw": {"Error": "Lambda.TimeoutException", "Cause": "timed out"}},
            "3": {"Return": {"StatusCode": 200, "Payload": {"body": "hi"}}},
        },
    },
}


def _spelled(invocations: mock_config.Invocations) -> tuple[mock_config.Response, ...]:
    return tuple(invocations[n] for n in range(len(invocations)))


def _with_responses(responses: dict[str, Any]) -> dict[str, Any]:
    return {"StateMachines": {"M": {"TestCases": {"C": {"S": "R"}}}}, "MockedResponses": {"R": responses}}


def test_the_documented_example_reads_with_ranges_spelled_out() -> None:
    config = mock_config.parse(DOCUMENTED)
    retry = config.test_case("LambdaSQSIntegration", "RetryPath")["LambdaState"]
    assert retry[0] == "MockedLambdaRetry"
    assert _spelled(retry[1]) == (
        Throw("Lambda.ResourceNotReadyException", "not ready"),
        Throw("Lambda.TimeoutException", "timed out"),
        Throw("Lambda.TimeoutException", "timed out"),
        Return({"StatusCode": 200, "Payload": {"body": "hi"}}),
    )


def test_keys_are_read_in_number_order_whatever_order_they_are_written_in() -> None:
    config = mock_config.parse(_with_responses({"2": {"Return": 2}, "0-1": {"Return": 0}}))
    assert _spelled(config.responses["R"]) == (Return(0), Return(0), Return(2))


def test_a_return_may_be_any_json_value() -> None:
    config = mock_config.parse(_with_responses({"0": {"Return": None}, "1": {"Return": "text"}, "2": {"Return": []}}))
    assert _spelled(config.responses["R"]) == (Return(None), Return("text"), Return([]))


def test_a_wide_range_is_one_range_not_its_copies() -> None:
    config = mock_config.parse(_with_responses({"0": {"Return": 0}, "1-999999999999": {"Return": 1}}))
    invocations = config.responses["R"]
    assert len(invocations) == 1_000_000_000_000
    assert (invocations[0], invocations[999_999_999_999]) == (Return(0), Return(1))
    with pytest.raises(IndexError):
        invocations[1_000_000_000_000]


@pytest.mark.parametrize(
    ("responses", "said"),
    [
        ({"1": {"Return": 1}}, "consecutively from 0; after -1 comes 1"),
        ({"0": {"Return": 0}, "2": {"Return": 2}}, "after 0 comes 2"),
        ({"0-2": {"Return": 0}, "2": {"Return": 2}}, "after 2 comes 2"),
        ({"0": {"Return": 0}, "00": {"Return": 0}}, "after 0 comes 0"),
        ({"x": {"Return": 0}}, '"x" is not an invocation number'),
        ({"-1": {"Return": 0}}, '"-1" is not an invocation number'),
        ({"0-1-2": {"Return": 0}}, "is not an invocation number"),
        ({"2-1": {"Return": 0}}, "ends before it starts"),
        ({"0": {}}, "exactly one field, Return or Throw (it holds [])"),
        ({"0": {"Return": 1, "Throw": {"Error": "E", "Cause": "C"}}}, "exactly one field"),
        ({"0": {"Throw": {"Error": "E"}}}, "MockedResponses.R.0.Throw.Cause must be a string"),
        ({"0": {"Throw": {"Error": 1, "Cause": "C"}}}, "Throw.Error must be a string"),
        ({"0": {"Throw": "E"}}, "MockedResponses.R.0.Throw must be a JSON object"),
        ({"0": "Return"}, "MockedResponses.R.0 must be a JSON object, not str"),
        ({}, "MockedResponses.R defines no invocation"),
    ],
)
def test_a_broken_response_is_refused_naming_where(responses: dict[str, Any], said: str) -> None:
    with pytest.raises(MockConfigError) as refused:
        mock_config.parse(_with_responses(responses))
    assert said in str(refused.value)


@pytest.mark.parametrize(
    ("document", "said"),
    [
        ([], "the mock configuration must be a JSON object, not list"),
        ({"StateMachines": []}, "StateMachines must be a JSON object"),
        ({"StateMachines": {"M": {"TestCases": {"C": {"S": "Nope"}}}}}, "names 'Nope', which MockedResponses does"),
        (
            {"StateMachines": {"M": {"TestCases": {"C": {"S": 3}}}}},
            "StateMachines.M.TestCases.C.S must name a response",
        ),
        ({"StateMachines": {"M": {"TestCases": {"C": []}}}}, "StateMachines.M.TestCases.C must be a JSON object"),
        ({"StateMachines": {"M": "x"}}, "StateMachines.M must be a JSON object"),
    ],
)
def test_a_broken_file_is_refused_naming_where(document: Any, said: str) -> None:
    with pytest.raises(MockConfigError) as refused:
        mock_config.parse(document)
    assert said in str(refused.value)


def test_a_missing_machine_or_case_says_what_is_defined() -> None:
    config = mock_config.parse(DOCUMENTED)
    with pytest.raises(KeyError, match="'Other' has no test cases"):
        config.test_case("Other", "HappyPath")
    with pytest.raises(KeyError, match="its cases: HappyPath, RetryPath"):
        config.test_case("LambdaSQSIntegration", "SadPath")


def test_load_names_the_file(tmp_path: Path) -> None:
    broken = tmp_path / "mocks.json"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(MockConfigError, match=rf"^{broken}: not JSON"):
        mock_config.load(broken)
    broken.write_text(json.dumps(_with_responses({"1": {"Return": 1}})), encoding="utf-8")
    with pytest.raises(MockConfigError, match=rf"^{broken}: MockedResponses.R"):
        mock_config.load(broken)


def test_current_follows_the_variable_then_the_working_directory_and_rereads_a_changed_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(mock_config.ENVIRONMENT_VARIABLE, raising=False)
    monkeypatch.chdir(tmp_path)
    assert mock_config.current() is None
    (tmp_path / "MockConfigFile.json").write_text(json.dumps(DOCUMENTED), encoding="utf-8")
    found = mock_config.current()
    assert found is not None
    assert set(found.state_machines) == {"LambdaSQSIntegration"}
    named = tmp_path / "elsewhere.json"
    named.write_text(json.dumps(_with_responses({"0": {"Return": 1}})), encoding="utf-8")
    monkeypatch.setenv(mock_config.ENVIRONMENT_VARIABLE, str(named))
    first = mock_config.current()
    assert first is not None
    assert set(first.state_machines) == {"M"}
    assert mock_config.current() is first  # read once while unchanged
    named.write_text(json.dumps(_with_responses({"0-1": {"Return": 1}})), encoding="utf-8")
    stat = named.stat()
    os.utime(named, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    again = mock_config.current()
    assert again is not None
    assert len(again.responses["R"]) == 2


def test_a_missing_file_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(mock_config.ENVIRONMENT_VARIABLE, str(tmp_path / "gone.json"))
    with pytest.raises(MockConfigError, match=r"SFN_MOCK_CONFIG=.*gone\.json"):
        mock_config.current()


def test_using_puts_a_configuration_in_place_for_the_block(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(mock_config.ENVIRONMENT_VARIABLE, raising=False)
    monkeypatch.chdir(tmp_path)
    given = mock_config.parse(DOCUMENTED)
    with mock_config.using(given):
        assert mock_config.current() is given
    assert mock_config.current() is None


def test_up_refuses_a_broken_file_before_it_starts_anything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from workflow.cli import main

    monkeypatch.setenv(mock_config.ENVIRONMENT_VARIABLE, "restored after the test")  # `up` sets it
    broken = tmp_path / "mocks.json"
    broken.write_text(json.dumps(_with_responses({"1": {"Return": 1}})), encoding="utf-8")
    assert main(["up", "--mock-config", str(broken), "--console-port", "0"]) == 2
    said = capsys.readouterr().err
    assert f"the mock configuration cannot be used: {broken}: MockedResponses.R: invocations must be" in said


def test_a_case_is_looked_for_in_every_configuration_in_place_newest_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two run_case calls at once each put their own in place; a local system's file stays readable beside them.
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(mock_config.ENVIRONMENT_VARIABLE, str(tmp_path / "file.json"))
    (tmp_path / "file.json").write_text(json.dumps(DOCUMENTED), encoding="utf-8")
    first = mock_config.parse(_with_responses({"0": {"Return": "first"}}))
    second = mock_config.parse(
        {**_with_responses({"0": {"Return": "second"}}), "StateMachines": {"N": {"TestCases": {"C": {"S": "R"}}}}}
    )
    with mock_config.using(first), mock_config.using(second):
        assert mock_config.test_case("M", "C")[0] is first
        assert mock_config.test_case("N", "C")[0] is second
        assert mock_config.test_case("LambdaSQSIntegration", "HappyPath")[0].source.endswith("file.json")
        with pytest.raises(KeyError, match="test case 'Nope' is not defined for state machine 'M'"):
            mock_config.test_case("M", "Nope")
    monkeypatch.delenv(mock_config.ENVIRONMENT_VARIABLE)
    with pytest.raises(LookupError, match="no mock configuration"):
        mock_config.test_case("M", "C")
