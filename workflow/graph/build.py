"""Definition -> graph: the states of a compiled ASL definition and their Next/Choice/Catch/Retry edges."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from workflow.graph.model import END, START, TIMES, Cluster, Edge, EdgeKind, Graph, GraphError, Kind, Node, clip


def state_graph(definition: Mapping[str, Any], *, title: str | None = None) -> Graph:
    """The graph of a compiled ASL definition (placeholders such as ${Partition} may remain)."""
    builder = _Builder()
    entry, exits = builder.machine(definition, prefix="", cluster=None)
    start = Node(START, "Start", Kind.START)
    end = Node(END, "End", Kind.END)
    edges = [Edge(START, entry, EdgeKind.NEXT), *builder.edges]
    edges += [Edge(exit_id, END, EdgeKind.NEXT) for exit_id in exits]
    return Graph(
        title=title if title is not None else str(definition.get("Comment") or "State machine"),
        nodes=(start, *builder.nodes, end),
        edges=tuple(edges),
        clusters=tuple(builder.clusters),
    )


class _Builder:
    def __init__(self) -> None:
        self.nodes: list[Node] = []
        self.edges: list[Edge] = []
        self.clusters: list[Cluster] = []

    def machine(self, machine: Mapping[str, Any], prefix: str, cluster: str | None) -> tuple[str, list[str]]:
        """Adds a (sub-)state machine's states; returns its entry node id and the ids that end it."""
        states: Mapping[str, Mapping[str, Any]] = machine.get("States") or {}
        start_at = machine.get("StartAt")
        where = f"{prefix.rstrip('/')} " if prefix else ""
        if start_at not in states:
            raise GraphError(f"{where}StartAt names {start_at!r}, which is not a state")

        def target(name: str, field_name: str, to: object) -> str:
            if not isinstance(to, str) or to not in states:
                raise GraphError(f"{prefix}{name}.{field_name} names {to!r}, which is not a state")
            return prefix + to

        exits: list[str] = []
        for name, state in states.items():
            node_id = prefix + name
            kind = _kind(state)
            retriers = state.get("Retry") or []
            retry_lines, retry_tooltip = _retry_text(retriers)
            tooltip = "\n".join(part for part in (_tooltip(state), retry_tooltip) if part)
            # A Choice's own Assign is its Default's (a rule has its own): it is drawn on that edge.
            assigns = _assigns(state.get("Assign")) if kind is not Kind.CHOICE else ""
            detail = " · ".join(part for part in (_detail(state), assigns, _outputs(state)) if part)
            self.nodes.append(Node(node_id, name, kind, detail, tooltip, cluster, retry_lines))
            out = node_id
            if kind in {Kind.PARALLEL, Kind.MAP}:
                out = self._branches(node_id, name, kind, state, cluster)
            if "Next" in state:
                self.edges.append(Edge(out, target(name, "Next", state["Next"]), EdgeKind.NEXT))
            for index, rule in enumerate(state.get("Choices") or []):
                to = target(name, f"Choices[{index}].Next", rule.get("Next"))
                condition = _condition(rule)
                label = " · ".join(part for part in (clip(condition, 40), _assigns(rule.get("Assign"))) if part)
                self.edges.append(Edge(node_id, to, EdgeKind.CHOICE, label, condition))
            if "Default" in state:
                label = " · ".join(part for part in ("default", _assigns(state.get("Assign"))) if part)
                self.edges.append(Edge(node_id, target(name, "Default", state["Default"]), EdgeKind.DEFAULT, label))
            if retriers:
                self.edges.append(Edge(node_id, node_id, EdgeKind.RETRY, tooltip=retry_tooltip))
            for index, catcher in enumerate(state.get("Catch") or []):
                to = target(name, f"Catch[{index}].Next", catcher.get("Next"))
                errors = [str(e) for e in catcher.get("ErrorEquals") or []]
                # What the route gets on a line of its own: the drawing stays as narrow as its errors.
                label = "\n".join(
                    part
                    for part in (
                        " · ".join(p for p in (f"catch {_names(errors)}", _assigns(catcher.get("Assign"))) if p),
                        _outputs(catcher),
                    )
                    if part
                )
                shaping = _shaping(catcher)
                self.edges.append(
                    Edge(node_id, to, EdgeKind.CATCH, label, " · ".join(p for p in (", ".join(errors), shaping) if p))
                )
            # A Fail inside a branch fails the whole Parallel/Map: it does not flow on to the join.
            if state.get("End") is True or kind is Kind.SUCCEED or (kind is Kind.FAIL and not prefix):
                exits.append(out)
        return prefix + str(start_at), exits

    def _branches(self, node_id: str, name: str, kind: Kind, state: Mapping[str, Any], cluster: str | None) -> str:
        """Parallel branches / the Map iterator as clusters between the state and its join; returns the join id."""
        if kind is Kind.PARALLEL:
            branches: list[Mapping[str, Any]] = list(state.get("Branches") or [])
            labels = [f"{name}: branch {i + 1} of {len(branches)}" for i in range(len(branches))]
        else:
            branches = [state.get("ItemProcessor") or state.get("Iterator") or {}]
            labels = [f"{name}: for each item"]
        join = f"{node_id}/join"
        for index, (branch, label) in enumerate(zip(branches, labels, strict=True)):
            cluster_id = f"{node_id}/{index}"
            self.clusters.append(Cluster(cluster_id, label, cluster))
            entry, exits = self.machine(branch, prefix=f"{cluster_id}/", cluster=cluster_id)
            self.edges.append(Edge(node_id, entry, EdgeKind.BRANCH))
            self.edges.extend(Edge(exit_id, join, EdgeKind.NEXT) for exit_id in exits)
        self.nodes.append(Node(join, name, Kind.JOIN, tooltip=f"{name}: all branches done", cluster=cluster))
        return join


def _kind(state: Mapping[str, Any]) -> Kind:
    try:
        return Kind(str(state.get("Type")))
    except ValueError:
        raise GraphError(f"unknown state Type {state.get('Type')!r}") from None


def _detail(state: Mapping[str, Any]) -> str:
    match _kind(state):
        case Kind.TASK:
            return _resource(str(state.get("Resource", "")))
        case Kind.WAIT:
            for key, text in (
                ("Seconds", "{} s"),
                ("SecondsPath", "{} s"),
                ("Timestamp", "until {}"),
                ("TimestampPath", "until {}"),
            ):
                if key in state:
                    return text.format(state[key])
            return ""
        case Kind.FAIL:
            return f"error {state['Error']}" if "Error" in state else ""
        case Kind.MAP:
            limit = state.get("MaxConcurrency")
            return f"max {limit} at a time" if limit else ""
    return ""


def _resource(resource: str) -> str:
    """arn:${Partition}:states:::lambda:invoke -> lambda:invoke; a Lambda or activity ARN -> its name."""
    if ":states:::" in resource:
        return resource.split(":states:::", 1)[1]
    for marker, label in ((":function:", "lambda"), (":activity:", "activity")):
        if marker in resource:
            return f"{label} {resource.split(marker, 1)[1]}"
    return resource


def _tooltip(state: Mapping[str, Any]) -> str:
    parts = [str(state["Comment"])] if state.get("Comment") else []
    if "Resource" in state:
        parts.append(str(state["Resource"]))
    if "TimeoutSeconds" in state:
        parts.append(f"timeout {state['TimeoutSeconds']} s")
    if state.get("Type") == "Fail" and "Cause" in state:
        parts.append(str(state["Cause"]))
    shaping = _shaping(state)
    if shaping:
        parts.append(shaping)
    return " · ".join(parts)


def _assigns(assign: object) -> str:
    """The variables an Assign sets, as the node (or Catch edge) shows them: `sets $total, $customer`."""
    if not isinstance(assign, Mapping) or not assign:
        return ""
    return "sets " + ", ".join("$" + str(key).removesuffix(".$") for key in assign)


def _outputs(block: Mapping[str, Any]) -> str:
    """A JSONata Output, as the node (or Catch edge) shows it: `output $states.input`, or an object's keys
    (`output {orderId, owner, +7}`); in full in the tooltip."""
    if "Output" not in block:
        return ""
    output = block["Output"]
    if isinstance(output, Mapping):
        keys = [str(key) for key in output]
        shown = ", ".join(keys[:2]) + (f", +{len(keys) - 2}" if len(keys) > 2 else "")
        return f"output {{{shown}}}"
    return "output " + clip(_expression(output) if isinstance(output, str) else json.dumps(output), 32)


def _expression(text: str) -> str:
    """A JSONata field's expression without its {% %} (a literal as it is)."""
    return text[2:-2].strip() if text.startswith("{%") and text.endswith("%}") else text


def _shaping(block: Mapping[str, Any]) -> str:
    """What a state (or Catch) assigns and outputs, in full, for the tooltip."""
    parts = []
    for key in ("Assign", "Output"):
        if key in block:
            parts.append(f"{key} {clip(json.dumps(block[key], separators=(',', ':')), 160)}")
    return " · ".join(parts)


_OPERATORS = (
    ("GreaterThanEquals", ">="),
    ("LessThanEquals", "<="),
    ("GreaterThan", ">"),
    ("LessThan", "<"),
    ("Equals", "=="),
    ("Matches", "matches"),
)


def _condition(rule: Mapping[str, Any]) -> str:
    """A Choice rule as a short expression: `$.total > 100`, `$.a == 'x' and not ($.b is present)`."""
    if "Condition" in rule:  # JSONata: the expression, without its {% %}
        return _expression(str(rule["Condition"]))
    for combinator in ("And", "Or"):
        if combinator in rule:
            return f" {combinator.lower()} ".join(f"({_condition(r)})" for r in rule[combinator])
    if "Not" in rule:
        return f"not ({_condition(rule['Not'])})"
    variable = str(rule.get("Variable", "?"))
    for key, value in rule.items():
        if key in {"Variable", "Next", "Comment"}:
            continue
        if key.startswith("Is"):  # IsPresent, IsNull, IsString, ...
            check = key[2:].lower()
            return f"{variable} is {check}" if value else f"{variable} is not {check}"
        path = key.endswith("Path")
        for suffix, symbol in _OPERATORS:
            if key.removesuffix("Path").endswith(suffix):
                shown = str(value) if path else json.dumps(value)
                return f"{variable} {symbol} {shown}"
        return f"{variable} {key} {json.dumps(value)}"
    return variable


def _num(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _names(errors: Sequence[str], width: int = 46) -> str:
    """As many whole names as fit in `width` characters (at least one), then `+N` for the rest."""

    def fits(count: int) -> bool:
        more = f" +{len(errors) - count}" if count < len(errors) else ""
        return len(", ".join(errors[:count]) + more) <= width

    shown = 1
    while shown < len(errors) and fits(shown + 1):
        shown += 1
    head = ", ".join(errors[:shown])
    return f"{head} +{len(errors) - shown}" if len(errors) > shown else head


def _retry_text(retriers: Sequence[Mapping[str, Any]]) -> tuple[tuple[str, ...], str]:
    """Short lines for the node (`retry x3: A, B +2`, then the backoff, once if all retriers share it) and a
    tooltip naming every error."""
    lines, backoffs, full = [], [], []
    for retrier in retriers:
        errors = [str(e) for e in retrier.get("ErrorEquals") or []]
        backoff = f"{_num(retrier.get('IntervalSeconds', 1))} s {TIMES}{_num(retrier.get('BackoffRate', 2.0))}"
        if "MaxDelaySeconds" in retrier:
            backoff += f", ≤{_num(retrier['MaxDelaySeconds'])} s"
        if retrier.get("JitterStrategy") == "FULL":
            backoff += ", jitter"
        attempts = retrier.get("MaxAttempts", 3)
        lines.append(f"retry {TIMES}{attempts}: {_names(errors)}")
        backoffs.append(backoff)
        full.append(f"retry {TIMES}{attempts} (backoff {backoff}): {', '.join(errors)}")
    if len(set(backoffs)) == 1:
        lines.append(f"backoff {backoffs[0]}")
    else:
        lines = [f"{line} · {backoff}" for line, backoff in zip(lines, backoffs, strict=True)]
    return tuple(lines), "\n".join(full)
