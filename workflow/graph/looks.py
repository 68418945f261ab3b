"""Looks: colours, shapes and the small lines under a state's name, decided here once for every renderer (DOT and
Mermaid only spell them in their syntax)."""

from __future__ import annotations

from dataclasses import dataclass

from workflow.graph.model import (
    TIMES,
    Change,
    Edge,
    EdgeKind,
    Graph,
    Kind,
    Mode,
    Node,
    Run,
    Status,
    clip,
    duration_text,
)


@dataclass(frozen=True)
class Look:
    key: str  # the Mermaid class name; also names the legend entry
    fill: str
    stroke: str
    text: str = "#202124"
    dashed: bool = False
    width: float = 1.2


GREY = "#5F6368"
_NODE_LOOKS = {
    # definition: by kind
    "task": Look("task", "#E8F0FE", "#4285F4"),
    "pass": Look("pass", "#F8F9FA", "#9AA0A6"),
    "choice": Look("choice", "#FEF7E0", "#F9AB00"),
    "wait": Look("wait", "#F3E8FD", "#A142F4"),
    "succeed": Look("succeed", "#E6F4EA", "#188038", width=2),
    "fail": Look("fail", "#FCE8E6", "#D93025", width=2),
    "parallel": Look("parallel", "#E4F7FB", "#12B5CB"),
    "terminal": Look("terminal", "#3C4043", "#3C4043", text="#FFFFFF"),
    # execution: by status
    "succeeded": Look("succeeded", "#CEEAD6", "#188038", width=2),
    "retried": Look("retried", "#FEEFC3", "#E37400", width=2),
    "caught": Look("caught", "#FAD2CF", "#E8710A", width=3, dashed=True),
    "failed": Look("failed", "#F28B82", "#A50E0E", width=3),
    "running": Look("running", "#D2E3FC", "#1967D2", width=2),
    "notreached": Look("notreached", "#FFFFFF", "#BDC1C6", text="#80868B", dashed=True),
    # diff: by change
    "added": Look("added", "#CEEAD6", "#188038", width=2.5),
    "removed": Look("removed", "#FAD2CF", "#C5221F", text="#A50E0E", width=2.5, dashed=True),
    "changed": Look("changed", "#FEEFC3", "#E37400", width=2.5),
    "unchanged": Look("unchanged", "#FFFFFF", "#9AA0A6", text="#3C4043"),
}
_KIND_LOOK = {
    Kind.TASK: "task",
    Kind.PASS: "pass",
    Kind.CHOICE: "choice",
    Kind.WAIT: "wait",
    Kind.SUCCEED: "succeed",
    Kind.FAIL: "fail",
    Kind.PARALLEL: "parallel",
    Kind.MAP: "parallel",
    Kind.JOIN: "parallel",
    Kind.START: "terminal",
    Kind.END: "terminal",
}
_STATUS_LOOK = {
    Status.SUCCEEDED: "succeeded",
    Status.RETRIED: "retried",
    Status.CAUGHT: "caught",
    Status.FAILED: "failed",
    Status.RUNNING: "running",
    Status.NOT_REACHED: "notreached",
}


def node_look(graph: Graph, node: Node) -> Look:
    if node.kind in {Kind.START, Kind.END}:
        return _NODE_LOOKS["terminal"]
    if graph.mode is Mode.EXECUTION:
        return _NODE_LOOKS[_STATUS_LOOK[node.run.status if node.run else Status.NOT_REACHED]]
    if graph.mode is Mode.DIFF:
        return _NODE_LOOKS[node.change.value]
    return _NODE_LOOKS[_KIND_LOOK[node.kind]]


_EDGE_COLOURS = {
    EdgeKind.CATCH: "#D93025",
    EdgeKind.RETRY: "#E37400",
}
_TAKEN = "#1A73E8"
_COVERAGE_COLOURS = {
    "covered": ("#188038", 2.5, "#188038"),
    "uncovered": ("#D93025", 2.5, "#D93025"),
    "uncounted": ("#BDC1C6", 1.0, "#80868B"),
}
_CHANGE_COLOURS = {Change.ADDED: "#188038", Change.REMOVED: "#C5221F", Change.CHANGED: "#E37400"}


def edge_look(graph: Graph, edge: Edge) -> Look:
    """Edge looks have keys `edge-<meaning>[-dashed]`: one key, one style (Mermaid groups links by it)."""
    dashed = edge.kind in {EdgeKind.CATCH, EdgeKind.RETRY}
    colour, width, text = _EDGE_COLOURS.get(edge.kind, GREY), 1.2, ""
    meaning = edge.kind.value
    if graph.mode is Mode.EXECUTION:
        meaning = "taken" if edge.taken else "idle"
        colour, width, text = (_TAKEN, 3, _TAKEN) if edge.taken else ("#DADCE0", 1, "#9AA0A6")
    elif graph.mode is Mode.COVERAGE:
        # Covered: green and solid; uncovered: red and dashed; Start, End and branch edges count for nothing.
        meaning = ("covered" if edge.taken else "uncovered") if edge.counted else "uncounted"
        colour, width, text = _COVERAGE_COLOURS[meaning]
        dashed = meaning == "uncovered"
    elif graph.mode is Mode.DIFF:
        meaning = edge.change.value
        colour, width, text = _CHANGE_COLOURS.get(edge.change, "#BDC1C6"), 2.5, ""
        if edge.change is Change.UNCHANGED:
            width, text = 1, "#80868B"
    key = f"edge-{meaning}" + ("-dashed" if dashed else "")
    return Look(
        key,
        colour,
        colour,
        text=text or (colour if dashed or graph.mode is Mode.DIFF else GREY),
        dashed=dashed,
        width=width,
    )


def legend(graph: Graph) -> tuple[tuple[Look, str], ...]:
    """Node looks and edge meanings to explain, in order."""
    looks = _NODE_LOOKS
    if graph.mode is Mode.EXECUTION:
        statuses = [
            s for s in Status if s is not Status.RUNNING or any(n.run and n.run.status is s for n in graph.nodes)
        ]
        texts = {
            Status.RETRIED: "succeeded after retries",
            Status.CAUGHT: "failed, Catch took over",
        }
        entries = [(looks[_STATUS_LOOK[s]], texts.get(s, s.value)) for s in statuses]
        entries.append((Look("edge-taken", _TAKEN, _TAKEN, text=_TAKEN, width=3), "path taken"))
        return tuple(entries)
    if graph.mode is Mode.COVERAGE:
        notes = {"covered": "edge covered by the tests", "uncovered": "edge not covered", "uncounted": "start, end"}
        return tuple(
            (
                Look(f"edge-{meaning}", colour, colour, text=text, dashed=meaning == "uncovered", width=width),
                notes[meaning],
            )
            for meaning, (colour, width, text) in _COVERAGE_COLOURS.items()
        )
    if graph.mode is Mode.DIFF:
        entries = [(looks[c.value], c.value) for c in Change]
        for change in (Change.ADDED, Change.REMOVED, Change.CHANGED):
            colour = _CHANGE_COLOURS[change]
            entries.append((Look(f"edge-{change.value}", colour, colour, width=2.5), f"{change.value} transition"))
        return tuple(entries)
    return (
        (Look("edge-next", GREY, GREY), "next"),
        (Look("edge-catch", "#D93025", "#D93025", dashed=True), "catch: on these errors go to"),
        (Look("edge-retry", "#E37400", "#E37400", dashed=True), "retry: on these errors run again"),
    )


@dataclass(frozen=True)
class Line:
    """A small line under a state's name; `tone` picks its colour."""

    text: str
    tone: str  # detail | retry | status | change


TONES = {"detail": GREY, "retry": "#B06000"}  # others: the node's own text colour


def node_lines(graph: Graph, node: Node) -> tuple[Line, ...]:
    """What is written under a state's name, by mode: its type and resource; its Retry policy (not on an
    execution, where what happened matters); what the execution did there; what changed."""
    if node.kind in {Kind.START, Kind.END, Kind.JOIN}:
        return ()
    kind = "" if node.kind is Kind.TASK and node.detail else node.kind.value
    lines = [Line(" · ".join(part for part in (kind, node.detail) if part), "detail")]
    if graph.mode is not Mode.EXECUTION:
        lines += [Line(text, "retry") for text in node.retry]
    if graph.mode is Mode.EXECUTION and node.run is not None:
        lines.append(Line(_run_line(node.run), "status"))
    if graph.mode is Mode.DIFF and node.change is not Change.UNCHANGED:
        note = f"{node.change.value}: {node.change_note}" if node.change_note else node.change.value
        lines.append(Line(note, "change"))
    return tuple(lines)


def _run_line(run: Run) -> str:
    if run.status is Status.NOT_REACHED:
        return "not reached"
    parts = [run.status.value if run.status is not Status.RETRIED else "succeeded"]
    if run.retries:
        parts.insert(0, f"retried {run.retries}{TIMES}")
    if run.error and run.status in {Status.CAUGHT, Status.FAILED}:
        parts.append(run.error)
    if run.visits > 1:
        parts.append(f"{run.visits} visits")
    if run.seconds is not None:
        parts.append(duration_text(run.seconds))
    return " · ".join(parts)


def node_tooltip(node: Node) -> str:
    parts = [node.tooltip] if node.tooltip else []
    if node.run is not None and node.run.cause:
        parts.append(clip(node.run.cause, 400))
    return "\n".join(parts)
