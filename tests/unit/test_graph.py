"""State graphs: the model from the real definition, its DOT and Mermaid text, overlays and diffs. No `dot` needed."""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from workflow import graph as g
from workflow.asl import compile_order_workflow, happy_path
from workflow.cli import main

DOCS_MERMAID = Path(__file__).parents[2] / "docs" / "order_workflow.md"
X = g.TIMES


@pytest.fixture(scope="module")
def definition() -> dict[str, Any]:
    return compile_order_workflow()


@pytest.fixture(scope="module")
def graph(definition: dict[str, Any]) -> g.Graph:
    return g.state_graph(definition)


def mermaid_ids(text: str) -> dict[str, str]:
    """Mermaid node id -> its label's bold name, from the node lines."""
    return dict(re.findall(r"^\s+(\w+)\W+(?:<s>)?<b>(.*?)</b>", text, flags=re.MULTILINE))


def test_every_state_is_a_node_between_start_and_end(definition: dict[str, Any], graph: g.Graph) -> None:
    states = set(definition["States"])
    assert {n.name for n in graph.nodes if n.kind not in {g.Kind.START, g.Kind.END}} == states
    assert [e.target for e in graph.edges_from(g.START)] == [definition["StartAt"]]
    steps = happy_path(definition)
    assert {"ValidateOrder", "NotifyOrder"} <= set(steps)
    ends = {steps[-1], "HandledElsewhere", "OrderFailed", "AlertNotPublished"}
    assert {e.source for e in graph.edges if e.target == g.END} == ends
    dot, mermaid = g.to_dot(graph), g.to_mermaid(graph)
    for name in states:
        assert f'"{name}" [' in dot
        assert f"<B>{name}</B>" in dot
    assert set(mermaid_ids(mermaid).values()) == states
    assert mermaid.startswith("---\ntitle: ")
    assert "\nflowchart TD\n" in mermaid


def test_catch_edges_are_labelled_with_their_errors(definition: dict[str, Any], graph: g.Graph) -> None:
    dot, mermaid = g.to_dot(graph), g.to_mermaid(graph)
    ids = {name: mermaid_id for mermaid_id, name in mermaid_ids(mermaid).items()}
    catches = [(name, c) for name, state in definition["States"].items() for c in state.get("Catch", [])]
    # A States.ALL route from every task of the happy path and from the failure route's two (PublishFailure's to
    # AlertNotPublished), and the two to HandledElsewhere: derived from the definition, each a labelled edge below.
    steps = happy_path(definition)
    assert {"ValidateOrder", "CreateOrder", "EnqueueOrder", "NotifyOrder"} <= set(steps)
    assert sorted(n for n, c in catches if c["ErrorEquals"] == ["States.ALL"]) == sorted(
        [*steps, "RecordFailure", "PublishFailure"]
    )
    assert sorted(n for n, c in catches if c["Next"] == "HandledElsewhere") == ["CreateOrder", "RecordFailure"]
    assert len(catches) == len(steps) + 2 + 2
    for name, catcher in catches:
        caught = label = "catch " + ", ".join(catcher["ErrorEquals"])
        if "Output" in catcher:  # what the route gets, shown on the edge: the failure document's fields
            label += "\noutput " + ("{orderId, owner, +7}" if isinstance(catcher["Output"], dict) else "$merge([")
        (edge,) = [e for e in graph.edges_from(name) if e.kind is g.EdgeKind.CATCH and e.label.startswith(label)]
        assert edge.target == catcher["Next"]
        lines = [line for line in dot.splitlines() if f'"{name}" -> "{catcher["Next"]}" [' in line]
        (line,) = [line for line in lines if f"label=<{caught}" in line]  # RecordFailure also has a Next there
        assert 'style="dashed"' in line
        assert re.search(
            rf'^  {ids[name]} -\.->\|"{re.escape(caught)}[^"]*"\| {ids[catcher["Next"]]}$', mermaid, flags=re.MULTILINE
        )


def test_retry_policies_are_shown_on_their_states(definition: dict[str, Any], graph: g.Graph) -> None:
    validate = graph.named("ValidateOrder")
    assert validate.retry == (
        f"retry {X}3: Lambda.ClientExecutionTimeoutException +4",
        f"retry {X}4: OrderStoreUnavailable, NotificationUnavailable",
        f"backoff 1 s {X}2, ≤10 s, jitter",
    )
    assert "Lambda.TooManyRequestsException" in validate.tooltip  # every error name, for the SVG's hover
    assert graph.named("PublishFailure").retry[0] == f"retry {X}6: SNS.SdkClientException +3"
    retried = {name for name, state in definition["States"].items() if state.get("Retry")}
    loops = {e.source for e in graph.edges if e.kind is g.EdgeKind.RETRY}
    assert loops == retried
    assert {n.name for n in graph.nodes if n.retry} == retried
    dot, mermaid = g.to_dot(graph), g.to_mermaid(graph)
    assert '"ValidateOrder" -> "ValidateOrder" [' in dot
    assert f"retry {X}4: OrderStoreUnavailable, NotificationUnavailable" in dot
    assert f"<i>retry {X}4: OrderStoreUnavailable, NotificationUnavailable</i>" in mermaid
    assert "s_ValidateOrder -.-> s_ValidateOrder" in mermaid


def test_diff_marks_added_removed_and_changed_states(definition: dict[str, Any]) -> None:
    new = copy.deepcopy(definition)
    states = new["States"]
    states["NotifyOrder"]["Retry"][1]["MaxAttempts"] = 6
    del states["OrderFailed"]
    del states["PublishFailure"]["Next"]
    states["PublishFailure"]["End"] = True
    states["EnqueueOrder"]["Catch"][0]["Next"] = "PublishFailure"
    after = states["CreateOrder"]["Next"]  # CheckStock goes in between, whichever step follows CreateOrder
    states["CheckStock"] = {"Type": "Pass", "Next": after}
    states["CreateOrder"]["Next"] = "CheckStock"

    changes = g.diff(definition, new)
    marked = {n.name: n.change for n in changes.nodes if n.change is not g.Change.UNCHANGED}
    assert marked == {
        "CheckStock": g.Change.ADDED,
        "OrderFailed": g.Change.REMOVED,
        "NotifyOrder": g.Change.CHANGED,
        "EnqueueOrder": g.Change.CHANGED,
        "CreateOrder": g.Change.CHANGED,
        "PublishFailure": g.Change.CHANGED,
    }
    assert changes.named("NotifyOrder").change_note == "Retry[1].MaxAttempts 4 → 6"
    assert changes.named("CreateOrder").change_note == f'Next "{after}" → "CheckStock"'
    edges = {(e.source, e.target, e.kind): e.change for e in changes.edges if e.change is not g.Change.UNCHANGED}
    assert edges == {
        ("CreateOrder", "CheckStock", g.EdgeKind.NEXT): g.Change.ADDED,
        ("CheckStock", after, g.EdgeKind.NEXT): g.Change.ADDED,
        ("EnqueueOrder", "PublishFailure", g.EdgeKind.CATCH): g.Change.ADDED,
        ("PublishFailure", g.END, g.EdgeKind.NEXT): g.Change.ADDED,
        ("CreateOrder", after, g.EdgeKind.NEXT): g.Change.REMOVED,
        ("EnqueueOrder", "RecordFailure", g.EdgeKind.CATCH): g.Change.REMOVED,
        ("PublishFailure", "OrderFailed", g.EdgeKind.NEXT): g.Change.REMOVED,
        ("OrderFailed", g.END, g.EdgeKind.NEXT): g.Change.REMOVED,
    }
    assert changes.subtitle == "1 added, 1 removed, 4 changed"

    dot, mermaid = g.to_dot(changes), g.to_mermaid(changes)
    assert "<S>OrderFailed</S>" in dot  # struck through, still drawn
    assert "changed: Retry[1].MaxAttempts 4 → 6" in dot
    ids = {name: mermaid_id for mermaid_id, name in mermaid_ids(mermaid).items()}
    assert re.search(rf"^  class [\w,]*\b{ids['CheckStock']}\b[\w,]* added$", mermaid, flags=re.MULTILINE)
    assert re.search(rf"^  class [\w,]*\b{ids['OrderFailed']}\b[\w,]* removed$", mermaid, flags=re.MULTILINE)
    assert re.search(rf"^  class [\w,]*\b{ids['NotifyOrder']}\b[\w,]* changed$", mermaid, flags=re.MULTILINE)
    for text in ("added", "removed", "changed", "unchanged", "removed transition"):
        assert f'["{text}"]' in mermaid or f'["arrows: {text}"]' in mermaid  # the legend
    assert "Legend" in dot


def test_unchanged_definition_diffs_to_nothing(definition: dict[str, Any]) -> None:
    same = g.diff(definition, copy.deepcopy(definition))
    assert all(n.change is g.Change.UNCHANGED for n in same.nodes)
    assert all(e.change is g.Change.UNCHANGED for e in same.edges)


def test_labels_are_escaped_for_mermaid_and_dot() -> None:
    awkward = 'Say "hi" [now] {x} (y) | <b>#1</b> & end'
    definition = {
        "StartAt": awkward,
        "States": {
            awkward: {"Type": "Pass", "Next": "end"},
            "end": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.a", "StringEquals": 'x"]', "Next": awkward}],
                "Default": "Stop",
            },
            "Stop": {"Type": "Succeed"},
        },
    }
    graph = g.state_graph(definition, title='A "title" <with> markup')
    mermaid = g.to_mermaid(graph)
    for line in mermaid.splitlines():
        if re.match(r"^  s_\w+[\[({]", line):
            label = line.split('"', 1)[1].rsplit('"', 1)[0]
            assert not set(label) & set('"[]{}()|'), line
            assert re.sub(r"</?(b|i|s|br/)>", "", label).count("<") == 0, line
    assert "Say #quot;hi#quot; #91;now#93; #123;x#125; #40;y#41; #124; #lt;b#gt;#35;1#lt;/b#gt; #amp; end" in mermaid
    assert re.search(r'\|"\$\.a == #quot;x\\#quot;#93;#quot;"\|', mermaid)
    ids = re.findall(r"^\s+(\w+)[(\[{]", mermaid, flags=re.MULTILINE)
    assert len(ids) == len(set(ids)) == 5
    assert "end" not in ids  # a Mermaid keyword
    assert 'title: "A \\"title\\" \N{SINGLE LEFT-POINTING ANGLE QUOTATION MARK}with' in mermaid  # tags are stripped
    dot = g.to_dot(graph)
    assert "Say &quot;hi&quot; [now] {x} (y) | &lt;b&gt;#1&lt;/b&gt; &amp; end" in dot
    assert '"Say \\"hi\\" [now] {x} (y) | <b>#1</b> & end" -> "end"' in dot


def test_choice_wait_parallel_and_map_are_drawn() -> None:
    definition = {
        "StartAt": "Route",
        "States": {
            "Route": {
                "Type": "Choice",
                "Choices": [
                    {"Variable": "$.n", "NumericGreaterThan": 100, "Next": "Fan"},
                    {"Not": {"Variable": "$.vip", "IsPresent": True}, "Next": "Pause"},
                ],
                "Default": "Each",
            },
            "Pause": {"Type": "Wait", "Seconds": 10, "Next": "Each"},
            "Fan": {
                "Type": "Parallel",
                "Branches": [
                    {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}},
                    {"StartAt": "B", "States": {"B": {"Type": "Succeed"}}},
                ],
                "Next": "Each",
            },
            "Each": {
                "Type": "Map",
                "ItemProcessor": {"StartAt": "Item", "States": {"Item": {"Type": "Pass", "End": True}}},
                "End": True,
            },
        },
    }
    graph = g.state_graph(definition)
    labels = {e.label for e in graph.edges_from("Route")}
    assert labels == {"$.n > 100", "not ($.vip is present)", "default"}
    assert graph.named("Pause").detail == "10 s"
    assert [c.label for c in graph.clusters] == ["Fan: branch 1 of 2", "Fan: branch 2 of 2", "Each: for each item"]
    assert {e.target for e in graph.edges_from("Fan")} == {"Fan/0/A", "Fan/1/B"}
    assert {e.source for e in graph.edges if e.target == "Fan/join"} == {"Fan/0/A", "Fan/1/B"}
    assert [e.target for e in graph.edges_from("Fan/join")] == ["Each"]
    assert [e.target for e in graph.edges_from("Each/join")] == [g.END]
    assert "subgraph cluster_Fan/0" in g.to_dot(graph).replace('"', "")
    assert 'subgraph c_Fan_0 ["Fan: branch 1 of 2"]' in g.to_mermaid(graph)


def test_a_dangling_next_is_an_error_not_a_drawing() -> None:
    with pytest.raises(g.GraphError, match=r"A\.Next names 'Missing'"):
        g.state_graph({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Missing"}}})


class Events:
    """An execution history in the shape AWS returns (which differs from moto's in places, e.g. a caught failure
    has no TaskStateExited on AWS)."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.at = datetime(2026, 1, 1, tzinfo=UTC)

    def add(self, kind: str, previous: int | None = None, ms: int = 10, **details: Any) -> int:
        self.at += timedelta(milliseconds=ms)
        event_id = len(self.events) + 1
        event: dict[str, Any] = {
            "id": event_id,
            "previousEventId": event_id - 1 if previous is None else previous,
            "timestamp": self.at,
            "type": kind,
        }
        if details:
            key = kind[0].lower() + kind[1:]
            key = re.sub(r"^\w+State(Entered|Exited)$", r"state\1", key)
            event[f"{key}EventDetails"] = details
        self.events.append(event)
        return event_id


def test_overlay_reads_retries_and_a_caught_failure_in_the_aws_shape(graph: g.Graph) -> None:
    h = Events()
    h.add("ExecutionStarted", 0)
    h.add("TaskStateEntered", 0, name="ValidateOrder")
    h.add("TaskScheduled")
    h.add("TaskStarted")
    h.add("TaskFailed", ms=20, error="OrderStoreUnavailable", cause="throttled")
    h.add("TaskScheduled", ms=1000)
    h.add("TaskStarted")
    h.add("TaskFailed", error="OrderValidationError", cause="currency: XYZ")
    failed = len(h.events)
    h.add("TaskStateEntered", failed, name="RecordFailure")  # straight from TaskFailed, through the Catch
    h.add("TaskScheduled")
    h.add("TaskStarted")
    h.add("TaskSucceeded")
    h.add("TaskStateExited", name="RecordFailure")
    h.add("TaskStateEntered", name="PublishFailure")
    h.add("TaskScheduled")
    h.add("TaskStarted")
    h.add("TaskSucceeded")
    h.add("TaskStateExited", name="PublishFailure")
    h.add("FailStateEntered", name="OrderFailed")
    h.add("ExecutionFailed", error="OrderFailed", cause="The order failed")

    run = g.overlay(graph, list(reversed(h.events)), title="Execution ord_1")  # any order
    runs = {n.name: n.run for n in run.nodes if n.run is not None}
    assert runs["ValidateOrder"] == g.Run(
        g.Status.CAUGHT, retries=1, seconds=1.07, error="OrderValidationError", cause="currency: XYZ"
    )
    assert runs["RecordFailure"] == g.Run(g.Status.SUCCEEDED, seconds=0.04)
    assert runs["OrderFailed"].status is g.Status.FAILED
    assert run.named("CreateOrder").run == g.Run(g.Status.NOT_REACHED, visits=0)
    taken = {(e.source, e.target, e.kind) for e in run.edges if e.taken}
    assert taken == {
        (g.START, "ValidateOrder", g.EdgeKind.NEXT),
        ("ValidateOrder", "ValidateOrder", g.EdgeKind.RETRY),
        ("ValidateOrder", "RecordFailure", g.EdgeKind.CATCH),
        ("RecordFailure", "PublishFailure", g.EdgeKind.NEXT),  # not its Catch, which joins the same states
        ("PublishFailure", "OrderFailed", g.EdgeKind.NEXT),
        ("OrderFailed", g.END, g.EdgeKind.NEXT),
    }
    assert run.subtitle == "execution FAILED (OrderFailed) in 1.19 s"
    dot = g.to_dot(run)
    assert f"retried 1{X} · caught · OrderValidationError · 1.07 s" in dot
    assert f"label=<retried 1{X}>" in dot
    mermaid = g.to_mermaid(run)
    assert "s_CreateOrder" in mermaid
    assert re.search(r"^  class [\w,]*\bs_CreateOrder\b[\w,]* notreached$", mermaid, flags=re.MULTILINE)
    assert re.search(r"^  class [\w,]*\bs_ValidateOrder\b[\w,]* caught$", mermaid, flags=re.MULTILINE)


def test_overlay_of_a_running_execution(graph: g.Graph) -> None:
    h = Events()
    h.add("ExecutionStarted", 0)
    h.add("TaskStateEntered", 0, name="ValidateOrder")
    h.add("TaskScheduled")
    run = g.overlay(graph, h.events)
    assert run.named("ValidateOrder").run == g.Run(g.Status.RUNNING)
    assert run.subtitle == "execution RUNNING"
    assert any(text == "running" for _, text in g.legend(run))


def test_overlay_of_a_parallel_whose_branch_fails_and_is_caught() -> None:
    definition = {
        "StartAt": "Fan",
        "States": {
            "Fan": {
                "Type": "Parallel",
                "Branches": [
                    {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}},
                    {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Bad"}}},
                ],
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}],
                "End": True,
            },
            "Caught": {"Type": "Pass", "End": True},
        },
    }
    h = Events()  # ids and previousEventIds as moto's interpreter writes them
    h.add("ExecutionStarted", 0)
    h.add("ParallelStateEntered", 0, name="Fan")
    fork = h.add("ParallelStateStarted")
    h.add("PassStateEntered", fork, name="A")
    h.add("PassStateExited", name="A")
    branch_failed = h.add("FailStateEntered", fork, name="F")
    h.add("ParallelStateFailed", branch_failed)  # chains back to F, but is Fan's
    h.add("ParallelStateExited", name="Fan")
    h.add("PassStateEntered", name="Caught")
    h.add("PassStateExited", name="Caught")
    h.add("ExecutionSucceeded")

    run = g.overlay(g.state_graph(definition), h.events)
    assert {n.id: n.run.status for n in run.nodes if n.run} == {
        "Fan": g.Status.CAUGHT,
        "Fan/0/A": g.Status.SUCCEEDED,
        "Fan/1/F": g.Status.FAILED,
        "Fan/join": g.Status.NOT_REACHED,
        "Caught": g.Status.SUCCEEDED,
    }
    assert run.named("Fan").run == g.Run(g.Status.CAUGHT, seconds=0.06, error="ParallelStateFailed")
    assert {(e.source, e.target, e.kind) for e in run.edges if e.taken} == {
        (g.START, "Fan", g.EdgeKind.NEXT),
        ("Fan", "Fan/0/A", g.EdgeKind.BRANCH),
        ("Fan", "Fan/1/F", g.EdgeKind.BRANCH),
        ("Fan/0/A", "Fan/join", g.EdgeKind.NEXT),
        ("Fan", "Caught", g.EdgeKind.CATCH),
        ("Caught", g.END, g.EdgeKind.NEXT),
    }
    assert not [e for e in run.edges if e.source == "Fan/1/F"]  # a Fail in a branch does not flow to the join


def test_mermaid_and_dot_need_no_graphviz(graph: g.Graph, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` here
    assert g.render(graph, tmp_path / "g.md").read_text(encoding="utf-8") == g.to_markdown(graph)
    assert g.render(graph, tmp_path / "g.mmd").read_text(encoding="utf-8") == g.to_mermaid(graph)
    assert g.render(graph, tmp_path / "g.dot").read_text(encoding="utf-8").startswith("digraph ")
    with pytest.raises(g.GraphvizNotFound, match=r"apt-get install graphviz.*brew install graphviz"):
        g.render(graph, tmp_path / "g.svg")
    with pytest.raises(g.GraphError, match=re.escape("use one of .svg, .png, .md, .mmd, .dot")):
        g.render(graph, tmp_path / "g.pdf")


def test_markdown_is_a_mermaid_fence(graph: g.Graph) -> None:
    text = g.to_markdown(graph)
    assert "\n```mermaid\n---\n" in text
    assert text.endswith("\n```\n")


def test_docs_mermaid_is_current() -> None:
    current = g.to_markdown(g.state_graph(compile_order_workflow()))
    assert DOCS_MERMAID.read_text(encoding="utf-8") == current, "docs/order_workflow.md is stale: run `make graph`"


def test_cli_draws_the_workflow_and_a_diff(
    definition: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "order.md"
    assert main(["graph", "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == g.to_markdown(g.state_graph(definition))

    old = copy.deepcopy(definition)
    del old["States"]["ValidateOrder"]["Retry"]
    (tmp_path / "old.asl.json").write_text(json.dumps(old), encoding="utf-8")
    assert main(["graph", "--diff", str(tmp_path / "old.asl.json"), "--out", str(tmp_path / "d.mmd")]) == 0
    assert "changed: +Retry" in (tmp_path / "d.mmd").read_text(encoding="utf-8")

    assert main(["graph", "--diff", str(tmp_path / "old.asl.json"), "--order", "o", "--out", str(out)]) == 2
    assert "does not take --execution or --order" in capsys.readouterr().err
    assert main(["graph", "--out", str(tmp_path / "x.txt")]) == 2
    assert "use one of .svg" in capsys.readouterr().err


def test_execution_arn_follows_the_order_id_whichever_way_the_execution_was_started() -> None:
    from workflow.ops.history import HistoryError, execution_arn

    machine = "arn:aws:states:eu-west-1:1:stateMachine:orderflow-orders"
    for started_through in (machine, f"{machine}:live", f"{machine}:7"):
        assert execution_arn(started_through, "ord_1") == "arn:aws:states:eu-west-1:1:execution:orderflow-orders:ord_1"
    with pytest.raises(HistoryError):
        execution_arn("arn:aws:sqs:eu-west-1:1:orders", "ord_1")


def test_the_graph_package_loads_no_aws_library_and_not_the_local_runtime() -> None:
    """workflow.graph is pure (its docstring says what it may import): events come to it as data."""
    loaded = (
        "import sys, workflow.graph; "
        "print(sorted(m for m in sys.modules if m.partition('.')[0] in {'boto3', 'botocore', 'moto'} "
        "or m.startswith('workflow.local')))"
    )
    done = subprocess.run([sys.executable, "-c", loaded], capture_output=True, text=True, check=True, timeout=60)
    assert done.stdout.strip() == "[]"
