"""Edge coverage of a definition: which of its edges the tests took, from TestState answers and execution histories.

An edge is a way out of a state the definition names:

    A.Next                 A's Next
    A.Choices[i]           a Choice rule's Next;  A.Default: the Choice's Default
    A.Retry[i]             a Retry rule: covered when a retry by that rule happened
    A.Catch[i]             a Catch rule: covered when that catcher was taken

States are named by their name (unique in a whole state machine, branches included). A Choice whose rules (or a rule
and its Default) go to the same state has one edge for them (`A.Choices[0]+Default`): neither a history nor a
TestState answer says which rule matched, only where the execution went. A Retry rule is credited from a history
when a failed attempt is followed by another attempt of the same state (the rule is the first whose ErrorEquals
matches the failure, as AWS picks it); a Catch rule when the state failed and the next state entered is that
catcher's (the first matching the error). Retries of a Parallel or a Map are not read from histories (TestState
answers name them).

A definition is one of the tracked ones when its `signature` is: its states, their types, Next, End, Default, the
Choices' Next, every Retry rule, each Catch's ErrorEquals and Next, and the timeouts, not its resources or
expressions (the local names differ from AWS's).

A `Collector` hears TestState answers and executions and keeps, per tracked workflow type, each covered edge and
how often each source covered it; `record()` is what one process writes, `Coverage.of(tracked, records)` merges
records and reports, and `coverage_graph` draws a definition with each edge covered (green) or not (red, dashed).

This module collects and merges; the edges and what one answer or execution took are coverage_edges', the drawing
is coverage_draw's, and every name is imported from here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from workflow.graph.coverage_draw import coverage_graph
from workflow.graph.coverage_edges import FlowEdge, edges, history_edges, matches, signature, state_edges

__all__ = [
    "EXECUTION",
    "RECORD_VERSION",
    "TEST_STATE",
    "Collector",
    "Coverage",
    "FlowEdge",
    "TypeCoverage",
    "coverage_graph",
    "edges",
    "history_edges",
    "matches",
    "signature",
    "state_edges",
]

RECORD_VERSION = 1
TEST_STATE = "test_state"
EXECUTION = "execution"


# --- collecting, recording, merging --------------------------------------------------------------------------------


@dataclass
class Collector:
    """Hears TestState answers and executions, and keeps what they covered of each tracked definition (by workflow
    type); anything else it hears is ignored."""

    tracked: Mapping[str, Mapping[str, Any]]
    covered: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)  # type -> key -> source -> count
    _signatures: dict[str, str] = field(default_factory=dict)
    _seen: dict[str, tuple[str, ...]] = field(default_factory=dict)  # a definition's text -> the types it is

    def __post_init__(self) -> None:
        self._signatures = {kind: signature(definition) for kind, definition in self.tracked.items()}

    def types_of(self, definition: Mapping[str, Any] | str) -> tuple[str, ...]:
        """The tracked workflow types whose signature this definition has (normally one, or none)."""
        text = definition if isinstance(definition, str) else json.dumps(definition, sort_keys=True)
        found = self._seen.get(text)
        if found is None:
            try:
                digest = signature(text)
            except (ValueError, TypeError, AttributeError):
                digest = ""
            found = tuple(kind for kind, signed in self._signatures.items() if signed == digest)
            self._seen[text] = found
        return found

    def _add(self, kind: str, keys: Iterable[str], source: str) -> None:
        counts = self.covered.setdefault(kind, {})
        for key in keys:
            by_source = counts.setdefault(key, {})
            by_source[source] = by_source.get(source, 0) + 1

    def heard_test_state(
        self,
        definition: Mapping[str, Any] | str,
        state_name: str | None,
        status: str,
        next_state: str | None = None,
        retry_index: int | None = None,
        catch_index: int | None = None,
    ) -> None:
        if state_name is None:
            return  # one state on its own: not a tracked workflow
        for kind in self.types_of(definition):
            keys = state_edges(self.tracked[kind], state_name, status, next_state, retry_index, catch_index)
            self._add(kind, keys, TEST_STATE)

    def heard_execution(
        self, definition: Mapping[str, Any] | str, events: Sequence[Mapping[str, Any]], workflow_type: str | None = None
    ) -> None:
        """An execution of `definition` on a state machine of `workflow_type` (None: any tracked type it matches)."""
        for kind in self.types_of(definition):
            if workflow_type is None or workflow_type == kind:
                self._add(kind, history_edges(self.tracked[kind], events), EXECUTION)

    def record(self, worker: str = "") -> dict[str, Any]:
        """What one process writes (JSON): per tracked type, its definition's signature and what was covered."""
        return {
            "version": RECORD_VERSION,
            "worker": worker,
            "workflows": {
                kind: {"signature": self._signatures[kind], "covered": self.covered.get(kind, {})}
                for kind in self.tracked
            },
        }


@dataclass(frozen=True)
class TypeCoverage:
    workflow_type: str
    edges: tuple[FlowEdge, ...]
    covered: Mapping[str, Mapping[str, int]]  # key -> source -> count, for this type's edges only

    @property
    def uncovered(self) -> tuple[FlowEdge, ...]:
        return tuple(edge for edge in self.edges if edge.key not in self.covered)

    @property
    def percent(self) -> float:
        return 100.0 if not self.edges else 100.0 * (len(self.edges) - len(self.uncovered)) / len(self.edges)

    def by_source(self, source: str) -> int:
        return sum(1 for edge in self.edges if self.covered.get(edge.key, {}).get(source))


@dataclass(frozen=True)
class Coverage:
    """Merged records against the tracked definitions: per type, its edges and which were covered."""

    types: tuple[TypeCoverage, ...]
    records: int
    stale: tuple[str, ...] = ()  # records (or parts) collected against another definition: ignored

    @classmethod
    def of(cls, tracked: Mapping[str, Mapping[str, Any]], records: Sequence[Mapping[str, Any]]) -> Coverage:
        merged: dict[str, dict[str, dict[str, int]]] = {kind: {} for kind in tracked}
        stale: list[str] = []
        for record in records:
            for kind, part in (record.get("workflows") or {}).items():
                if kind not in tracked:
                    continue
                if part.get("signature") != signature(tracked[kind]):
                    stale.append(f"{record.get('worker') or '?'} ({kind})")
                    continue
                for key, sources in (part.get("covered") or {}).items():
                    into = merged[kind].setdefault(key, {})
                    for source, count in sources.items():
                        into[source] = into.get(source, 0) + int(count)
        types = []
        for kind, definition in tracked.items():
            found = edges(definition)
            keys = {edge.key for edge in found}
            types.append(TypeCoverage(kind, found, {k: v for k, v in merged[kind].items() if k in keys}))
        return cls(tuple(types), len(records), tuple(stale))

    def of_type(self, workflow_type: str) -> TypeCoverage:
        return next(t for t in self.types if t.workflow_type == workflow_type)

    def ok(self, fail_under: float) -> bool:
        return all(t.percent >= fail_under for t in self.types)

    def text(self) -> str:
        lines = []
        for t in self.types:
            covered = len(t.edges) - len(t.uncovered)
            lines.append(
                f"{t.workflow_type:<9} {covered:>3} of {len(t.edges):>3} edges  {t.percent:5.1f} %"
                f"   (by TestState {t.by_source(TEST_STATE)}, by executions {t.by_source(EXECUTION)})"
            )
        uncovered = [(t.workflow_type, edge) for t in self.types for edge in t.uncovered]
        if uncovered:
            lines.append("uncovered:")
            lines += [f"  {kind:<9} {edge.text()}" for kind, edge in uncovered]
        else:
            lines.append("every edge covered")
        if self.stale:
            lines.append(f"ignored, collected against another definition: {', '.join(self.stale)}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "records": self.records,
            "stale": list(self.stale),
            "types": {
                t.workflow_type: {
                    "edges": len(t.edges),
                    "covered": len(t.edges) - len(t.uncovered),
                    "percent": round(t.percent, 2),
                    "uncovered": [edge.key for edge in t.uncovered],
                }
                for t in self.types
            },
        }
