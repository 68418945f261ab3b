"""Behaviour checks of the interpreter's rows: each runs a tiny definition on a probe system
(workflow.emulator.probe_system) and holds its outcome to what AWS answers for it."""

from __future__ import annotations

import re
from typing import Any

from botocore.exceptions import ClientError
from moto.stepfunctions.parser.asl.component.common.path import result_path
from moto.stepfunctions.parser.asl.utils import json_path

from workflow.emulator import interpreter
from workflow.emulator.patches import Check
from workflow.emulator.probe_system import ProbeSystem, expect

JSONATA = {"QueryLanguage": "JSONata"}
AWS_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


def _pass(**fields: Any) -> dict[str, Any]:
    return {"Type": "Pass", **fields}


def _one_parse(system: ProbeSystem) -> None:
    definition = {"StartAt": "P", "States": {"P": _pass(End=True)}}
    machine = system.machine(definition)
    system.run({}, machine=machine)
    text = system.client("stepfunctions").describe_state_machine(stateMachineArn=machine)["definition"]
    program = interpreter.parsed_program(text)
    system.run({}, machine=machine)
    expect(
        program is not None and interpreter.parsed_program(text) is program,
        "ExecutionWorker._get_evaluation_entrypoint no longer gives the program of each execution",
    )


def _parsed_paths() -> tuple[int, int]:
    """How many paths the cached parsers have parsed (ResultPath's, and everything else's)."""
    caches = [getattr(json_path.parse, "cache_info", None), getattr(result_path.parse, "cache_info", None)]
    expect(all(caches), "moto's JSONPath parsers are not the cached ones")
    return caches[0]().misses, caches[1]().misses  # type: ignore[misc]


def _json_paths(system: ProbeSystem) -> None:
    before = _parsed_paths()
    definition = {"StartAt": "P", "States": {"P": _pass(InputPath="$.probeIn", ResultPath="$.probeOut", End=True)}}
    run = system.run(definition, {"probeIn": {"a": 1}})
    after = _parsed_paths()
    expect(run.output == {"probeIn": {"a": 1}, "probeOut": {"a": 1}}, f"InputPath/ResultPath gave {run.output}")
    expect(
        after[0] > before[0] and after[1] > before[1],
        "moto no longer parses JSONPaths through json_path.parse and ResultPath's parse",
    )


def _entered_time(system: ProbeSystem) -> None:
    jsonpath = system.run(
        {"StartAt": "P", "States": {"P": _pass(Parameters={"t.$": "$$.State.EnteredTime"}, End=True)}}
    )
    jsonata = system.run(
        {**JSONATA, "StartAt": "P", "States": {"P": _pass(Output="{% $states.context.State.EnteredTime %}", End=True)}}
    )
    seen = [(jsonpath.output or {}).get("t"), jsonata.output]
    expect(
        all(isinstance(t, str) and AWS_TIMESTAMP.fullmatch(t) for t in seen),
        f"State.EnteredTime is not written in AWS's form (…09.827Z): {seen}",
    )


def _context_fields(system: ProbeSystem) -> None:
    jsonpath = system.run({"StartAt": "P", "States": {"P": _pass(Parameters={"c.$": "$$"}, End=True)}})
    jsonata = system.run({**JSONATA, "StartAt": "P", "States": {"P": _pass(Output="{% $states.context %}", End=True)}})
    for run in (jsonpath, jsonata):
        execution = ((run.output or {}).get("c", run.output) or {}).get("Execution", {})
        started = execution.get("StartTime")
        expect(
            isinstance(started, str) and AWS_TIMESTAMP.fullmatch(started) is not None,
            f"Execution.StartTime is not written in AWS's form (…24.539Z): {started!r}",
        )
        expect(execution.get("RedriveCount") == 0, f"Execution.RedriveCount is {execution.get('RedriveCount')!r}")
        state = ((run.output or {}).get("c", run.output) or {}).get("State", {})
        # Recorded on AWS (a Pass state's context, 2024-07 to 2026-02): State is {Name, EnteredTime}; only a state
        # that retries (Task, Map, Parallel) has RetryCount.
        expect(
            sorted(state) == ["EnteredTime", "Name"], f"a Pass state's State is {state!r}, not {{Name, EnteredTime}}"
        )


def _jsonata(system: ProbeSystem) -> None:
    summed = system.run(
        {**JSONATA, "StartAt": "P", "States": {"P": _pass(Output="{% $states.input.n + 1 %}", End=True)}}, {"n": 1}
    )
    expect(summed.output == 2, f"a JSONata expression gave {summed.status} {summed.output}, not 2")
    missing = system.run(
        {**JSONATA, "StartAt": "P", "States": {"P": _pass(Output="{% $states.input.nope %}", End=True)}}
    )
    expect(
        missing.error == "States.QueryEvaluationError",
        f"an expression that evaluates to nothing failed with {missing.error}, not States.QueryEvaluationError",
    )
    cause = system.client("stepfunctions").describe_execution(executionArn=missing.arn).get("cause", "")
    expect(
        cause.count("An error occurred while executing the state") == 1
        and "specified for the field 'Output' returned nothing (undefined)." in cause,
        f"a QueryEvaluationError's cause is not AWS's (its prefix once, the field named): {cause!r}",
    )


def _variable_reads(system: ProbeSystem) -> None:
    definition = {
        "StartAt": "A",
        "States": {"A": _pass(Assign={"counter": 5}, Next="B"), "B": _pass(Parameters={"v.$": "$counter"}, End=True)},
    }
    run = system.run(definition)
    expect(run.output == {"v": 5}, f"a JSONPath read of a variable gave {run.output}, not 5")


def _assign_after_output(system: ProbeSystem) -> None:
    definition = {
        **JSONATA,
        "StartAt": "A",
        "States": {
            "A": _pass(Assign={"x": 1}, Next="B"),
            "B": _pass(Assign={"x": "{% $x + 1 %}"}, Output="{% {'seen': $x} %}", Next="C"),
            "C": {
                "Type": "Choice",
                "Choices": [{"Condition": "{% true %}", "Assign": {"x": "{% $x + 10 %}"}, "Next": "D"}],
                "Default": "D",
            },
            "D": _pass(Output="{% {'seen': $states.input.seen, 'x': $x} %}", End=True),
        },
    }
    run = system.run(definition)
    expect(run.output == {"seen": 1, "x": 12}, f"Assign took effect at the wrong time: {run.output}")


def _choice_rules(system: ProbeSystem) -> None:
    rule = {"Condition": "{% true %}", "Output": {"from": "rule"}, "Assign": {"by": "rule"}, "Next": "D"}
    definition = {
        **JSONATA,
        "StartAt": "C",
        "States": {
            "C": {
                "Type": "Choice",
                "Choices": [rule],
                "Default": "D",
                "Output": {"from": "default"},
                "Assign": {"by": "default"},
            },
            "D": _pass(Output="{% {'from': $states.input.from, 'by': $by} %}", End=True),
        },
    }
    run = system.run(definition)
    expect(
        run.output == {"from": "rule", "by": "rule"}, f"a matched rule's Output and Assign were not taken: {run.output}"
    )


def _task_arguments(system: ProbeSystem) -> None:
    task = {
        "Type": "Task",
        "Resource": "arn:aws:states:::dynamodb:getItem",
        "Arguments": {"TableName": "{% $states.input.nope %}", "Key": {"k": {"S": "1"}}},
        "Catch": [{"ErrorEquals": ["States.QueryEvaluationError"], "Next": "Caught"}],
        "End": True,
    }
    run = system.run({**JSONATA, "StartAt": "T", "States": {"T": task, "Caught": _pass(Output="caught", End=True)}})
    expect(run.output == "caught", f"a failing Arguments expression is not caught as itself ({run.status} {run.error})")


def _task_evaluation_events(system: ProbeSystem) -> None:
    task = {
        "Type": "Task",
        "Resource": "arn:aws:states:::dynamodb:getItem",
        "Arguments": {"TableName": "{% $states.input.nope %}", "Key": {"k": {"S": "1"}}},
        "End": True,
    }
    run = system.run({**JSONATA, "StartAt": "T", "States": {"T": task}})
    failed = [e["evaluationFailedEventDetails"] for e in run.events if e.get("type") == "EvaluationFailed"]
    cause = system.client("stepfunctions").describe_execution(executionArn=run.arn).get("cause", "")
    prefix = "An error occurred while executing the state 'T' (entered at the event id #2). "
    expect(
        len(failed) == 1
        and failed[0].get("location") == "Arguments/TableName"
        and str(failed[0].get("cause", "")).startswith(prefix)
        and cause.startswith(prefix)
        and cause.count("An error occurred") == 1,
        f"a Task's failing Arguments did not write AWS's EvaluationFailed event and cause: {failed}, {cause!r}",
    )


def _creation_checks(system: ProbeSystem) -> None:
    definition = {**JSONATA, "StartAt": "P", "States": {"P": _pass(Output="{% $eval('1') %}", End=True)}}
    try:
        system.machine(definition)
    except ClientError as error:
        code = error.response["Error"]["Code"]
        expect(code == "InvalidDefinition", f"a definition calling $eval is refused with {code}")
    else:
        expect(False, "CreateStateMachine accepts a definition calling $eval")
    unassigned = {**JSONATA, "StartAt": "P", "States": {"P": _pass(Output={"r": "{% $nobody %}"}, End=True)}}
    run = system.run(unassigned)  # AWS accepts the definition; the read fails when it runs
    expect(run.error == "States.QueryEvaluationError", f"a read of an unassigned variable ended {run.error}")


def _assign_literals(system: ProbeSystem) -> None:
    definition = {
        **JSONATA,
        "StartAt": "A",
        "States": {"A": _pass(Assign={"s": 'say "hi"'}, Next="B"), "B": _pass(Output="{% $s %}", End=True)},
    }
    run = system.run(definition)
    expect(run.output == 'say "hi"', f"an Assign's string literal kept its escapes: {run.output!r}")


def _string_outputs(system: ProbeSystem) -> None:
    run = system.run({**JSONATA, "StartAt": "P", "States": {"P": _pass(Output="ok", End=True)}})
    expect(run.answered == '"ok"', f"DescribeExecution answered a string output as {run.answered!r}, not as JSON")


def _null_outputs(system: ProbeSystem) -> None:
    run = system.run({**JSONATA, "StartAt": "P", "States": {"P": _pass(Output=None, End=True)}})
    expect(run.answered == "null", f"DescribeExecution answered a null output as {run.answered!r}, not null")


def _evaluation_events(system: ProbeSystem) -> None:
    run = system.run({**JSONATA, "StartAt": "P", "States": {"P": _pass(Output={"r": "{% $nobody %}"}, End=True)}})
    failed = [e["evaluationFailedEventDetails"] for e in run.events if e.get("type") == "EvaluationFailed"]
    expect(
        len(failed) == 1
        and failed[0].get("location") == "Output/r"
        and failed[0].get("state") == "P"
        and str(failed[0].get("cause", "")).startswith("An error occurred while executing the state 'P'"),
        f"a Pass state's failing expression did not write AWS's EvaluationFailed event: {failed}",
    )


def _map_input(system: ProbeSystem) -> None:
    inner = {"StartAt": "I", "States": {"I": _pass(End=True)}}
    definition = {**JSONATA, "StartAt": "M", "States": {"M": {"Type": "Map", "ItemProcessor": inner, "End": True}}}
    run = system.run(definition, {"foo": "bar"})
    cause = system.client("stepfunctions").describe_execution(executionArn=run.arn).get("cause", "")
    expect(
        cause.endswith('Map state input must be an array but was: {"foo":"bar"}'),
        f"a Map's input that is not an array is not written as JSON in the cause: {cause!r}",
    )


def _inner_errors(system: ProbeSystem) -> None:
    failing = {"StartAt": "F", "States": {"F": _pass(Output="{% $states.input.nope %}", End=True)}}
    caught = [{"ErrorEquals": ["States.QueryEvaluationError"], "Next": "Caught"}]
    definition = {
        **JSONATA,
        "StartAt": "Parallel",
        "States": {
            "Parallel": {"Type": "Parallel", "Branches": [failing], "Catch": caught, "Next": "Map"},
            "Map": {"Type": "Map", "Items": "{% [1] %}", "ItemProcessor": failing, "Catch": caught, "End": True},
            "Caught": _pass(Output="{% $exists($states.input.Error) ? $states.input.Error : 'none' %}", End=True),
        },
    }
    run = system.run(definition)
    entered = [e["stateEnteredEventDetails"]["name"] for e in run.events if "stateEnteredEventDetails" in e]
    expect(
        run.output == "States.QueryEvaluationError" and entered.count("Caught") == 1,
        f"an inner state's States.* error does not reach the Parallel's Catch as itself ({run.status}, {run.output})",
    )
    mapped = {**definition, "StartAt": "Map"}
    run = system.run(mapped)
    expect(
        run.output == "States.QueryEvaluationError",
        f"an inner state's States.* error does not reach the Map's Catch as itself ({run.status}, {run.output})",
    )


ONE_PARSE = Check("one parse serves every execution of a definition", "behaviour", _one_parse)
JSON_PATHS = Check("JSONPaths are parsed through the cached parsers", "behaviour", _json_paths)
ENTERED_TIME = Check("State.EnteredTime is in AWS's form", "behaviour", _entered_time)
CONTEXT_FIELDS = Check("the context object's fields are typed as AWS types them", "behaviour", _context_fields)
JSONATA_EXPRESSIONS = Check(
    "JSONata expressions evaluate; nothing is States.QueryEvaluationError", "behaviour", _jsonata
)
VARIABLE_READS = Check("a JSONPath field reads a variable", "behaviour", _variable_reads)
ASSIGN_AFTER_OUTPUT = Check("Assign takes effect when the state is left", "behaviour", _assign_after_output)
CHOICE_RULES = Check("a matched Choice rule's Output and Assign are taken", "behaviour", _choice_rules)
TASK_ARGUMENTS = Check("a failing Arguments expression is caught as itself", "behaviour", _task_arguments)
CREATION_CHECKS = Check(
    "CreateStateMachine refuses what AWS refuses, and accepts an unassigned variable", "behaviour", _creation_checks
)
ASSIGN_LITERALS = Check("an Assign's string literal is the JSON string's value", "behaviour", _assign_literals)
STRING_OUTPUTS = Check("a string output is answered as JSON", "behaviour", _string_outputs)
TASK_EVALUATION_EVENTS = Check(
    "a Task's failing expression writes AWS's EvaluationFailed event, its cause prefixed once",
    "behaviour",
    _task_evaluation_events,
)
NULL_OUTPUTS = Check("a null output is answered as JSON null", "behaviour", _null_outputs)
EVALUATION_EVENTS = Check(
    "a failing expression in a Pass, Choice, Wait or Fail state writes an EvaluationFailed event",
    "behaviour",
    _evaluation_events,
)


def _error_matching(system: ProbeSystem) -> None:
    # A JSONPath that finds nothing is States.Runtime, which States.ALL does not catch; States.TaskFailed catches any
    # error but States.Timeout (a failing JSONata Arguments expression's States.QueryEvaluationError here).
    missing = {"FunctionName": system.function_arn(), "Payload": {"m.$": "$.missing"}}
    task = {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": missing, "End": True}
    caught = {"Type": "Pass", "End": True}
    run = system.run(
        {
            "StartAt": "T",
            "States": {"T": {**task, "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "C"}]}, "C": caught},
        }
    )
    expect(
        (run.status, run.error) == ("FAILED", "States.Runtime"),
        f"States.ALL caught States.Runtime ({run.status}, {run.error})",
    )
    failing = {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "QueryLanguage": "JSONata",
        "Arguments": {"FunctionName": "{% $states.input.nope %}"},
        "Catch": [{"ErrorEquals": ["States.TaskFailed"], "Next": "C"}],
        "End": True,
    }
    run = system.run({"StartAt": "T", "States": {"T": failing, "C": caught}})
    expect(
        run.status == "SUCCEEDED",
        f"States.TaskFailed did not catch States.QueryEvaluationError ({run.status}, {run.error})",
    )


MAP_INPUT = Check("a Map's input that is not an array is named as JSON", "behaviour", _map_input)
INNER_ERRORS = Check("Map and Parallel catch an inner States.* error as itself", "behaviour", _inner_errors)
ERROR_MATCHING = Check(
    "Retry and Catch match errors as AWS does (States.ALL takes no States.Runtime)", "behaviour", _error_matching
)
