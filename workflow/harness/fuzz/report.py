"""The fuzz report: every case counted once per figure, distinct failures kept with a reproduction, and the two
forms it is read in (text for a person, one JSON line for `make fuzz` and the test)."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import schemathesis
from schemathesis.checks import not_a_server_error

from workflow.harness.fuzz.checks import CHECKS, CONFLICT_CHECK, REPLAY_CHECK, TRANSPORT_CHECK, Problem, clip

EXAMPLES_PER_CHECK = 10
REPRODUCTION_LENGTH = 1500


@dataclass(frozen=True)
class Outcome:
    """One request sent and what the checks made of its answer (status None: no answer)."""

    operation: str
    method: str
    path: str
    source: str
    status: int | None
    problems: tuple[Problem, ...] = ()
    reproduce: str = ""


@dataclass
class Finding:
    """One distinct failure: the same check failing the same way on the same operation and status."""

    check: str
    kind: str  # "server_error" | "nonconforming" | "unanswered"
    operation: str
    method: str
    path: str
    status: int | None
    reason: str
    reproduce: str
    source: str
    count: int = 0

    def to_dict(self, reproduction_length: int = 600) -> dict[str, Any]:
        return {
            "check": self.check,
            "kind": self.kind,
            "operation": self.operation,
            "method": self.method,
            "path": clip(self.path, 200),
            "status": self.status,
            "count": self.count,
            "source": self.source,
            "reason": self.reason,
            "reproduce": clip(self.reproduce, reproduction_length),
        }


@dataclass
class OperationStats:
    cases: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    sources: Counter[str] = field(default_factory=Counter)
    server_errors: int = 0
    nonconforming: int = 0
    unanswered: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "cases": self.cases,
            "statuses": dict(sorted(self.statuses.items())),
            "sources": dict(sorted(self.sources.items())),
            "server_errors": self.server_errors,
            "nonconforming": self.nonconforming,
            "unanswered": self.unanswered,
        }


@dataclass
class FuzzReport:
    requested: int
    seed: int
    checks: tuple[str, ...] = tuple(check.__name__ for check in CHECKS)
    cases: int = 0
    server_errors: int = 0
    nonconforming: int = 0
    unanswered: int = 0
    # Cases schemathesis could not produce or check (an unsatisfiable schema, a check that crashed): untested ground.
    errors: list[str] = field(default_factory=list)
    deadline_reached: bool = False
    seconds: float = 0.0
    base_url: str = ""
    operations: dict[str, OperationStats] = field(default_factory=dict)
    failed_checks: Counter[str] = field(default_factory=Counter)
    findings: dict[tuple[str, str, str, int | None, str], Finding] = field(default_factory=dict)

    def record(self, outcome: Outcome) -> None:
        """Counts one case. A case counts once per figure, however many checks it failed."""
        self.cases += 1
        stats = self.operations.setdefault(outcome.operation, OperationStats())
        stats.cases += 1
        stats.sources[outcome.source] += 1
        stats.statuses[str(outcome.status) if outcome.status is not None else "none"] += 1
        kinds = set()
        if outcome.status is None:
            kinds.add("unanswered")
        elif outcome.status >= 500:
            kinds.add("server_error")
        for problem in outcome.problems:
            kind = _kind(problem, outcome.status)
            if kind != "server_error":
                kinds.add(kind)
            self.failed_checks[problem.check] += 1
            key = (problem.check, outcome.operation, outcome.method, outcome.status, problem.key)
            finding = self.findings.get(key)
            if finding is None:
                finding = self.findings[key] = Finding(
                    check=problem.check,
                    kind=kind,
                    operation=outcome.operation,
                    method=outcome.method,
                    path=outcome.path,
                    status=outcome.status,
                    reason=problem.reason,
                    reproduce=outcome.reproduce,
                    source=outcome.source,
                )
            finding.count += 1
        if "server_error" in kinds:
            self.server_errors += 1
            stats.server_errors += 1
        if "nonconforming" in kinds:
            self.nonconforming += 1
            stats.nonconforming += 1
        if "unanswered" in kinds:
            self.unanswered += 1
            stats.unanswered += 1

    @property
    def complete(self) -> bool:
        return self.cases >= self.requested and not self.deadline_reached

    @property
    def ok(self) -> bool:
        return (
            self.complete
            and self.server_errors == 0
            and self.nonconforming == 0
            and self.unanswered == 0
            and not self.errors
        )

    def examples(self) -> list[Finding]:
        """Up to EXAMPLES_PER_CHECK distinct findings per check, the most frequent first."""
        per_check: Counter[str] = Counter()
        chosen = []
        for finding in sorted(self.findings.values(), key=lambda f: (f.check, -f.count, f.operation, str(f.status))):
            if per_check[finding.check] < EXAMPLES_PER_CHECK:
                per_check[finding.check] += 1
                chosen.append(finding)
        return chosen

    def statuses(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for stats in self.operations.values():
            total.update(stats.statuses)
        return total

    def sources(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for stats in self.operations.values():
            total.update(stats.sources)
        return total

    def to_dict(self) -> dict[str, Any]:
        return {
            "cases": self.cases,
            "server_errors": self.server_errors,
            "nonconforming": self.nonconforming,
            "unanswered": self.unanswered,
            "errors": len(self.errors),
            "ok": self.ok,
            "complete": self.complete,
            "requested": self.requested,
            "seed": self.seed,
            "seconds": round(self.seconds, 1),
            "schemathesis": schemathesis.__version__,
            "checks": list(self.checks),
            "operations": {label: stats.to_dict() for label, stats in sorted(self.operations.items())},
            "statuses": dict(sorted(self.statuses().items())),
            "sources": dict(sorted(self.sources().items())),
            "failed_checks": dict(sorted(self.failed_checks.items())),
            "distinct_failures": len(self.findings),
            "failures": [finding.to_dict() for finding in self.examples()],
            "error_messages": self.errors[:EXAMPLES_PER_CHECK],
        }

    def to_json(self) -> str:
        """One line (the contract `make fuzz` and the test rely on: the last line of output)."""
        return json.dumps(self.to_dict(), separators=(",", ":"), ensure_ascii=True)

    def text(self) -> str:
        def counts(counter: Counter[str]) -> str:
            return " ".join(f"{key}x{value}" for key, value in sorted(counter.items()))

        lines = [
            f"orderflow fuzz: {self.cases} cases of {self.requested} (seed {self.seed}) in {self.seconds:.1f} s "
            f"against {self.base_url or 'the API'}; schemathesis {schemathesis.__version__}",
            f"  checks: {', '.join(self.checks)}, {REPLAY_CHECK}, {CONFLICT_CHECK}",
            f"  sources: {counts(self.sources())}",
        ]
        for label, stats in sorted(self.operations.items()):
            lines.append(
                f"  {label:28} {stats.cases:5} cases  5xx {stats.server_errors}  nonconforming {stats.nonconforming}"
                f"  unanswered {stats.unanswered}  statuses {counts(stats.statuses)}"
            )
        lines.append(
            f"  server errors: {self.server_errors}   nonconforming: {self.nonconforming}   "
            f"unanswered: {self.unanswered}   harness errors: {len(self.errors)}   "
            f"distinct failures: {len(self.findings)}"
        )
        if self.deadline_reached:
            lines.append(f"  the deadline cut the run short after {self.cases} cases")
        for finding in self.examples():
            status = finding.status if finding.status is not None else "no answer"
            lines.append(
                f"  [{finding.check}] {finding.method} {clip(finding.path, 80)} -> {status} "
                f"(x{finding.count}, {finding.source}): {finding.reason}"
            )
            lines.append(f"      {clip(finding.reproduce, REPRODUCTION_LENGTH)}")
        for error in self.errors[:EXAMPLES_PER_CHECK]:
            lines.append(f"  harness error: {error}")
        lines.append("fuzz: OK" if self.ok else "fuzz: FAILED")
        return "\n".join(lines)


def _kind(problem: Problem, status: int | None) -> str:
    if problem.check == TRANSPORT_CHECK:
        return "unanswered"
    # not_a_server_error also fails 4xx answers to its Content-Type probes; those break the document, not the server.
    if problem.check == not_a_server_error.__name__ and status is not None and status >= 500:
        return "server_error"
    return "nonconforming"
