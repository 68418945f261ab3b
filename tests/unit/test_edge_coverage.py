"""Edge coverage (workflow.graph.coverage): the edges derived from a definition, what TestState answers and histories
cover, the records merged into a report, and the drawing; on small hand-written definitions."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import pytest

from workflow.cli import coverage as cli
from workflow.graph import to_dot
from workflow.graph.coverage import Collector, Coverage, coverage_graph, edges, history_edges, signature, state_edges
from workflow.graph.model import EdgeKind, Mode

TASK: dict[str, Any] = {
    "StartAt": "Work",
    "States": {
        "Work": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Retry": [{"ErrorEquals": ["Busy", "Slow"]}, {"ErrorEquals": ["States.ALL"], "MaxAttempts": 1}],
            "Catch": [{"ErrorEquals": ["Gone"], "Next": "Done"}, {"ErrorEquals": ["States.ALL"], "Next": "Failed"}],
            "Next": "Pick",
        },
        "Pick": {
            "Type": "Choice",
            "Choices": [
                {"Condition": "{% $states.input.n > 1 %}", "Next": "Done"},
                {"Condition": "{% $states.input.n < 0 %}", "Next": "Failed"},
                {"Condition": "{% $states.input.n = 0 %}", "Next": "Done"},
            ],
            "Default": "Wait",
        },
        "Wait": {"Type": "Wait", "Seconds": 1, "Next": "Done"},
        "Failed": {"Type": "Fail", "Error": "E"},
        "Done": {"Type": "Succeed"},
    },
}
KEYS = [
    "Work.Next",
    "Work.Retry[0]",
    "Work.Retry[1]",
    "Work.Catch[0]",
    "Work.Catch[1]",
    "Pick.Choices[0]+Choices[2]",
    "Pick.Choices[1]",
    "Pick.Default",
    "Wait.Next",
]


def test_edges_are_each_next_choice_rule_default_retry_and_catch_rule() -> None:
    found = edges(TASK)
    assert [edge.key for edge in found] == KEYS
    by_key = {edge.key: edge for edge in found}
    assert by_key["Work.Retry[0]"].errors == ("Busy", "Slow")
    assert (by_key["Work.Catch[0]"].target, by_key["Work.Catch[0]"].kind) == ("Done", EdgeKind.CATCH)
    # Two rules to one state: neither a history nor TestState says which matched, so they are one edge.
    assert by_key["Pick.Choices[0]+Choices[2]"].rules == ("Choices[0]", "Choices[2]")
    assert by_key["Pick.Default"].kind is EdgeKind.DEFAULT
    assert by_key["Work.Retry[1]"].text() == "Work.Retry[1]: Work -> Work on States.ALL"


def test_edges_inside_a_parallel_branch_count() -> None:
    parallel = {
        "StartAt": "P",
        "States": {
            "P": {
                "Type": "Parallel",
                "Branches": [
                    {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Succeed"}}}
                ],
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "F"}],
                "Next": "F",
            },
            "F": {"Type": "Succeed"},
        },
    }
    assert [edge.key for edge in edges(parallel)] == ["P.Next", "P.Catch[0]", "A.Next"]


@pytest.mark.parametrize(
    ("state", "status", "next_state", "retry", "catch", "expected"),
    [
        ("Work", "SUCCEEDED", "Pick", None, None, {"Work.Next"}),
        ("Work", "RETRIABLE", None, 1, None, {"Work.Retry[1]"}),
        ("Work", "CAUGHT_ERROR", "Done", None, 0, {"Work.Catch[0]"}),
        ("Work", "FAILED", None, None, None, set()),
        ("Pick", "SUCCEEDED", "Done", None, None, {"Pick.Choices[0]+Choices[2]"}),
        ("Pick", "SUCCEEDED", "Wait", None, None, {"Pick.Default"}),
        ("Nowhere", "SUCCEEDED", "Done", None, None, set()),
    ],
)
def test_a_test_state_answer_covers_its_edge(
    state: str, status: str, next_state: str | None, retry: int | None, catch: int | None, expected: set[str]
) -> None:
    assert state_edges(TASK, state, status, next_state, retry, catch) == expected


def _events(*spec: tuple[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Events in order, each chained to the one before (as a sequential execution's are)."""
    events = []
    for number, (kind, details) in enumerate(spec, start=1):
        key = "stateEnteredEventDetails" if kind.endswith("StateEntered") else "details"
        if kind.endswith("Failed"):
            key = "taskFailedEventDetails"
        events.append({"id": number, "previousEventId": number - 1, "type": kind, key: details})
    return events


def test_a_history_covers_retries_by_the_first_matching_rule_and_the_catch_taken() -> None:
    events = _events(
        ("TaskStateEntered", {"name": "Work"}),
        ("TaskScheduled", {}),
        ("TaskFailed", {"error": "Slow"}),
        ("TaskScheduled", {}),  # retried by Retry[0]: the first rule naming Slow
        ("TaskFailed", {"error": "Other"}),
        ("TaskScheduled", {}),  # retried by Retry[1] (States.ALL)
        ("TaskFailed", {"error": "Gone"}),
        ("TaskStateExited", {"name": "Work"}),  # moto writes it after a caught failure; AWS does not
        ("SucceedStateEntered", {"name": "Done"}),
        ("ExecutionSucceeded", {}),
    )
    assert history_edges(TASK, events) == {"Work.Retry[0]", "Work.Retry[1]", "Work.Catch[0]"}


def test_a_history_covers_next_and_choice_edges_and_not_a_catch_that_shares_a_target() -> None:
    events = _events(
        ("TaskStateEntered", {"name": "Work"}),
        ("TaskScheduled", {}),
        ("TaskSucceeded", {}),
        ("TaskStateExited", {"name": "Work"}),
        ("ChoiceStateEntered", {"name": "Pick"}),
        ("ChoiceStateExited", {"name": "Pick"}),
        ("WaitStateEntered", {"name": "Wait"}),
        ("WaitStateExited", {"name": "Wait"}),
        ("SucceedStateEntered", {"name": "Done"}),
    )
    assert history_edges(TASK, events) == {"Work.Next", "Pick.Default", "Wait.Next"}


class _Kind:
    """The engine's event types are enums, not strings."""

    def __init__(self, value: str) -> None:
        self.value = value


def test_a_history_of_engine_events_reads_the_same() -> None:
    events = _events(("TaskStateEntered", {"name": "Work"}), ("TaskScheduled", {}), ("TaskFailed", {"error": "X"}))
    events += [
        {
            "id": 4,
            "previousEventId": 3,
            "type": _Kind("FailStateEntered"),
            "stateEnteredEventDetails": {"name": "Failed"},
        }
    ]
    assert history_edges(TASK, events) == {"Work.Catch[1]"}


def _express() -> dict[str, Any]:
    express: dict[str, Any] = json.loads(json.dumps(TASK))
    express["States"]["Work"]["Retry"][0]["MaxAttempts"] = 2  # differs as the order workflow's types differ
    return express


def test_the_signature_ignores_resources_and_tells_the_types_apart() -> None:
    renamed = json.loads(json.dumps(TASK))
    renamed["States"]["Work"]["Resource"] = "arn:aws:states:::sqs:sendMessage"
    assert signature(renamed) == signature(TASK) == signature(json.dumps(TASK))
    assert signature(_express()) != signature(TASK)


def test_the_collector_credits_each_type_by_its_own_definition_only() -> None:
    collector = Collector({"STANDARD": TASK, "EXPRESS": _express()})
    collector.heard_test_state(TASK, "Work", "RETRIABLE", None, 0, None)
    collector.heard_test_state(json.dumps(_express()), "Work", "SUCCEEDED", "Pick")
    collector.heard_test_state({"StartAt": "X", "States": {"X": {"Type": "Succeed"}}}, "X", "SUCCEEDED")
    collector.heard_test_state(TASK, None, "SUCCEEDED", "Pick")  # one state alone: not the workflow
    failed = _events(("TaskStateEntered", {"name": "Work"}), ("TaskFailed", {"error": "X"}))
    failed.append(
        {"id": 3, "previousEventId": 2, "type": "FailStateEntered", "stateEnteredEventDetails": {"name": "Failed"}}
    )
    collector.heard_execution(TASK, failed, "EXPRESS")  # a Standard definition on an Express machine: neither
    collector.heard_execution(TASK, failed, "STANDARD")
    assert collector.covered == {
        "STANDARD": {"Work.Retry[0]": {"test_state": 1}, "Work.Catch[1]": {"execution": 1}},
        "EXPRESS": {"Work.Next": {"test_state": 1}},
    }


def test_records_merge_into_a_report_per_type() -> None:
    tracked = {"STANDARD": TASK, "EXPRESS": _express()}
    first, second = Collector(tracked), Collector(tracked)
    for key_state, status, nxt, retry, catch in [
        ("Work", "SUCCEEDED", "Pick", None, None),
        ("Work", "RETRIABLE", None, 0, None),
        ("Work", "RETRIABLE", None, 1, None),
        ("Work", "CAUGHT_ERROR", "Done", None, 0),
    ]:
        first.heard_test_state(TASK, key_state, status, nxt, retry, catch)
    for nxt in ("Done", "Failed", "Wait"):
        second.heard_test_state(TASK, "Pick", "SUCCEEDED", nxt)
    second.heard_test_state(TASK, "Work", "SUCCEEDED", "Pick")
    stale = Collector({"STANDARD": _express()}).record("old")  # collected against another definition
    report = Coverage.of(tracked, [first.record("gw0"), second.record("gw1"), stale])
    standard = report.of_type("STANDARD")
    assert [edge.key for edge in standard.uncovered] == ["Work.Catch[1]", "Wait.Next"]
    assert standard.percent == pytest.approx(100 * 7 / 9)
    assert standard.covered["Work.Next"] == {"test_state": 2}
    assert report.of_type("EXPRESS").percent == 0
    assert report.stale == ("old (STANDARD)",)
    assert not report.ok(100)
    assert report.ok(0)
    text = report.text()
    assert "STANDARD    7 of   9 edges   77.8 %" in text
    assert "  STANDARD  Work.Catch[1]: Work -> Failed on States.ALL" in text
    assert report.to_dict()["types"]["STANDARD"]["uncovered"] == ["Work.Catch[1]", "Wait.Next"]


def test_the_graph_marks_each_edge_covered_or_not() -> None:
    graph = coverage_graph(TASK, {"Work.Next", "Work.Retry[1]", "Pick.Choices[0]+Choices[2]"})
    assert graph.mode is Mode.COVERAGE
    assert graph.subtitle == "edge coverage: 3 of 9 (33.3 %)"
    counted = [(e.source, e.target, e.kind, e.taken) for e in graph.edges if e.counted]
    assert ("Work", "Work", EdgeKind.RETRY, False) in counted  # one loop per Retry rule
    assert ("Work", "Work", EdgeKind.RETRY, True) in counted
    assert ("Work", "Pick", EdgeKind.NEXT, True) in counted
    assert ("Pick", "Done", EdgeKind.CHOICE, True) in counted
    assert ("Pick", "Failed", EdgeKind.CHOICE, False) in counted
    assert len(counted) == 10  # 9 edges, one of them drawn twice (two Choice rules to Done)
    assert not [e for e in graph.edges if not e.counted and e.source not in ("__start__",) and e.target != "__end__"]
    dot = to_dot(graph)
    assert '"Work" -> "Pick" [color="#188038"' in dot  # covered: green
    assert '"Work" -> "Done" [color="#D93025"' in dot  # uncovered: red, and dashed
    assert 'style="dashed"' in dot
    # The state's two Retry loops lie on either side of it, so their labels do not overlap.
    loops = [line for line in dot.splitlines() if line.startswith('  "Work" -> "Work"')]
    assert [('headport="e"' in loop, 'headport="w"' in loop) for loop in loops] == [(True, False), (False, True)]


def _args(records: Path, *more: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers())
    return parser.parse_args(["coverage", "--records", str(records), *more])


def test_the_command_reports_and_fails_under(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = _args(tmp_path, "--fail-under", "100")
    assert args.run(args) == 2  # no records: the tests did not run
    assert "run the tests first" in capsys.readouterr().err
    from workflow.asl import compile_order_workflow

    tracked = {kind: compile_order_workflow(kind) for kind in ("STANDARD", "EXPRESS")}
    collector = Collector(tracked)
    collector.heard_test_state(tracked["STANDARD"], "ValidateOrder", "SUCCEEDED", "CreateOrder")
    (tmp_path / "gw0-1.json").write_text(json.dumps(collector.record("gw0")), encoding="utf-8")
    assert args.run(args) == 1
    out = capsys.readouterr().out
    assert "STANDARD    1 of  22 edges    4.5 %" in out
    assert "EXPRESS     0 of  22 edges    0.0 %" in out
    assert "STANDARD  ValidateOrder.Next" not in out
    assert "EXPRESS   ValidateOrder.Next: ValidateOrder -> CreateOrder" in out
    args = _args(tmp_path, "--graph", str(tmp_path / "cov.dot"))
    assert args.run(args) == 0
    assert (tmp_path / "cov.dot").exists()
    assert (tmp_path / "cov.express.dot").exists()
