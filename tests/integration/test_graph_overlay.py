"""Execution overlays from real histories (moto's interpreter, our handlers), rendered through Graphviz.

`make test` installs Graphviz when `dot` is missing, so these run on every machine the suite runs on."""

from __future__ import annotations

import itertools
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.derived import happy_path
from tests.support.fixtures import Submit
from workflow import graph as g
from workflow.cli import graph as graph_command
from workflow.cli import main
from workflow.local.runtime import LocalRuntime
from workflow.local.samples import sample_order
from workflow.ops.history import execution_definition, execution_history

HAPPY_PATH = happy_path()
FAILURE_PATH = ["ValidateOrder", "RecordFailure", "PublishFailure", "OrderFailed"]


def statuses(graph: g.Graph) -> dict[str, g.Status]:
    return {n.name: n.run.status for n in graph.nodes if n.run is not None and n.kind is not g.Kind.JOIN}


def taken(graph: g.Graph) -> set[tuple[str, str, g.EdgeKind]]:
    return {(e.source, e.target, e.kind) for e in graph.edges if e.taken}


def path_edges(path: list[str]) -> set[tuple[str, str, g.EdgeKind]]:
    states = [g.START, *path, g.END]
    return {(a, b, g.EdgeKind.NEXT) for a, b in itertools.pairwise(states)}


def executed(runtime: LocalRuntime, submit: Submit, order: dict[str, Any]) -> tuple[str, g.Graph]:
    arn = runtime.execution_arn(submit(order)["json"]["orderId"])
    runtime.wait_for_execution(arn)
    ran = g.state_graph(execution_definition(runtime.sfn, arn))
    return arn, g.overlay(ran, execution_history(runtime.sfn, arn), title=f"Execution {arn.rsplit(':', 1)[-1]}")


def test_a_good_order_succeeds_along_the_main_path(runtime: LocalRuntime, submit: Submit, tmp_path: Path) -> None:
    _, good = executed(runtime, submit, sample_order())
    assert good.subtitle.startswith("execution SUCCEEDED in ")
    seen = statuses(good)
    assert {name for name, status in seen.items() if status is g.Status.SUCCEEDED} == set(HAPPY_PATH)
    assert {name for name, status in seen.items() if status is g.Status.NOT_REACHED} == set(seen) - set(HAPPY_PATH)
    assert taken(good) == path_edges(HAPPY_PATH)
    assert all(n.run.seconds is not None for n in good.nodes if n.name in HAPPY_PATH and n.run)

    png = g.render(good, tmp_path / "good.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")


def test_a_failing_order_is_caught_and_drawn(runtime: LocalRuntime, submit: Submit, tmp_path: Path) -> None:
    _, bad = executed(runtime, submit, sample_order(currency="XYZ"))
    assert bad.subtitle.startswith("execution FAILED (OrderFailed) in ")
    validate = bad.named("ValidateOrder").run
    assert validate is not None
    assert (validate.status, validate.error, validate.retries) == (g.Status.CAUGHT, "OrderValidationError", 0)
    assert "XYZ is not an ISO 4217 currency code" in validate.cause
    seen = statuses(bad)
    assert seen["CreateOrder"] is g.Status.NOT_REACHED
    assert seen["OrderFailed"] is g.Status.FAILED
    assert {name for name, status in seen.items() if status is g.Status.SUCCEEDED} == set(FAILURE_PATH[1:-1])
    catch = ("ValidateOrder", "RecordFailure", g.EdgeKind.CATCH)
    assert taken(bad) == (path_edges(FAILURE_PATH) - {("ValidateOrder", "RecordFailure", g.EdgeKind.NEXT)}) | {catch}

    svg = g.render(bad, tmp_path / "bad.svg").read_text(encoding="utf-8")
    assert svg.startswith(("<?xml", "<svg"))
    root = ET.fromstring(svg)  # well-formed
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    text = " ".join(t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text"))
    for name in (*FAILURE_PATH, "CreateOrder", "Legend"):
        assert name in text
    assert "caught · OrderValidationError" in text
    assert "not reached" in text
    assert g.render(bad, tmp_path / "bad.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_a_retried_step_shows_its_retries(runtime: LocalRuntime, submit: Submit) -> None:
    runtime.dynamodb_faults.throttle("PutItem", times=2, table=runtime.table_name("orders"))  # CreateOrder's put
    _, retried = executed(runtime, submit, sample_order())
    create = retried.named("CreateOrder").run
    assert create is not None
    assert (create.status, create.retries) == (g.Status.RETRIED, 2)
    assert ("CreateOrder", "CreateOrder", g.EdgeKind.RETRY) in taken(retried)
    assert f"retried 2{g.TIMES} · succeeded" in g.to_dot(retried)


@dataclass(frozen=True)
class RuntimeTarget:
    """What `workflow.ops.targets.connect("local")` gives, served by the test's in-process runtime."""

    runtime: LocalRuntime

    def client(self, service: str) -> Any:
        assert service == "stepfunctions"
        return self.runtime.sfn

    def output(self, key: str) -> str:
        assert key == "StateMachineArn"
        return self.runtime.state_machine_arn


def test_cli_draws_an_order_by_its_id(
    runtime: LocalRuntime, submit: Submit, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(graph_command, "connect", lambda args: RuntimeTarget(runtime))
    order_id = submit(sample_order(currency="XYZ"))["json"]["orderId"]
    runtime.wait_for_execution(runtime.execution_arn(order_id))
    out = tmp_path / "order.md"
    assert main(["graph", "--order", order_id, "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert f'title: "Execution {order_id} — execution FAILED (OrderFailed)' in text
    assert "caught · OrderValidationError" in text
    assert main(["graph", "--order", "ord_missing", "--out", str(out)]) == 2


def test_an_inline_svg_fits_its_container_and_keeps_its_proportions(
    runtime: LocalRuntime, submit: Submit, tmp_path: Path
) -> None:
    """A notebook cell is narrower than the workflow's drawing: the SVG scales down by its viewBox (at most to its
    own size) instead of being cut off or scrolled; the file `render` writes keeps Graphviz's size."""
    _, bad = executed(runtime, submit, sample_order(currency="XYZ"))
    root = ET.fromstring(g.to_svg(bad))
    assert root.get("width") == "100%"
    assert root.get("height") is None
    assert re.fullmatch(r"max-width: [0-9.]+pt", root.get("style") or "")
    assert len((root.get("viewBox") or "").split()) == 4
    written = ET.fromstring(g.render(bad, tmp_path / "bad.svg").read_text(encoding="utf-8"))
    assert (written.get("width") or "").endswith("pt")
