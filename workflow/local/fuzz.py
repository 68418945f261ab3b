"""`orderflow fuzz`: schemathesis drives the orders API over real HTTP from its OpenAPI document and holds every
answer to it.

Cases come from schemathesis' own generators, driven here through its Python API (not the `st` CLI nor its
engine, whose event stream is internal and counts distinct failures rather than cases):

- coverage: schemathesis' deterministic enumeration of boundary and unusual inputs (lengths at and past the limits,
  wrong types, missing required fields and headers, unexpected properties, undeclared methods, wrong and malformed
  Content-Types);
- examples: the document's own examples, when it has any;
- positive / negative: Hypothesis draws from `APIOperation.as_strategy` in both generation modes;
- replay / conflict: after a 202, the same key and body again (the first answer replayed, `Idempotent-Replayed`)
  or the same key with another body (422);
- known-order: GETs of orders the run created, so 200 bodies are checked too (a drawn id is almost never an order).

Valid requests get a fresh Idempotency-Key most of the time (a drawn key such as "0" would otherwise replay or
conflict on nearly every request); the rest keep the drawn key, so collisions are exercised as well. Every answer
runs the checks in CHECKS. Counted per case: `server_errors` (a 5xx), `nonconforming` (any other failed check),
`unanswered` (no answer within the request timeout). The run is bounded: a timeout per request and a deadline for
the whole run; a run the deadline cut short is not a pass.

`positive_data_acceptance` is deliberately off: the API's rules are stricter than JSON Schema can say (identifiers
without invisible characters, totals below a bound, JSON numbers where a draw has 195.0 for an integer, a drawn key
already used with another body), so schema-valid requests are rightly refused with documented 4xx answers.
"""

from __future__ import annotations

import copy
import json
import random
import re
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import hypothesis
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, Verbosity
from hypothesis import strategies as st
from schemathesis import Case as _Case
from schemathesis import GenerationMode
from schemathesis.checks import CheckFunction, not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.core.parameters import ParameterLocation
from schemathesis.core.result import Ok
from schemathesis.core.transport import Response
from schemathesis.schemas import APIOperation as _APIOperation
from schemathesis.schemas import BaseSchema
from schemathesis.specs.openapi.checks import (
    allow_header_conformance,
    content_type_conformance,
    missing_required_header,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

# schemathesis' classes are generic over its operation and schema types; this module works with any of them.
APIOperation = _APIOperation[Any, Any, Any, Any]
Case = _Case[Any]

# Imported by name, so a schemathesis release that moves one fails at import, not by silently checking less.
CHECKS: tuple[CheckFunction, ...] = (
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
    missing_required_header,
    unsupported_method,
    allow_header_conformance,
)
# Our own checks of the Idempotency-Key contract, counted as nonconforming like schemathesis' own.
REPLAY_CHECK = "idempotent_replay"
CONFLICT_CHECK = "idempotency_key_conflict"
TRANSPORT_CHECK = "answered"

IDEMPOTENCY_KEY = "Idempotency-Key"
FRESH_KEY_SHARE = 0.9
REPLAY_SHARE = 0.15
CONFLICT_SHARE = 0.05
KNOWN_ORDER_SHARE = 0.4
COVERAGE_SHARE = 0.3
EXAMPLES_SHARE = 0.05
# Hypothesis may exhaust a small search space before the budget; a few reseeded passes top it up.
MAX_PASSES = 4
# The coverage phase enumerates lazily; this bounds the enumeration for a document with huge schemas.
MAX_COVERAGE_ENUMERATED = 5000
EXAMPLES_PER_CHECK = 10
REQUEST_TIMEOUT_SECONDS = 10.0
DEADLINE_SECONDS = 900.0
REASON_LENGTH = 240
REPRODUCTION_LENGTH = 1500
_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"|\(was .*')


@dataclass(frozen=True)
class Problem:
    check: str
    reason: str
    # What makes two failures the same one (default: the reason); drawn values left out.
    signature: str = ""

    @property
    def key(self) -> str:
        return self.signature or self.reason


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
            "path": _clip(self.path, 200),
            "status": self.status,
            "count": self.count,
            "source": self.source,
            "reason": self.reason,
            "reproduce": _clip(self.reproduce, reproduction_length),
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
                f"  [{finding.check}] {finding.method} {_clip(finding.path, 80)} -> {status} "
                f"(x{finding.count}, {finding.source}): {finding.reason}"
            )
            lines.append(f"      {_clip(finding.reproduce, REPRODUCTION_LENGTH)}")
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


def _clip(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def _reason(failure: Failure) -> str:
    lines = [line.strip() for line in failure.message.splitlines() if line.strip()]
    # The first line says what broke; negative_data_rejection names the part of the request it made invalid later.
    details = lines[:1] + [line for line in lines[1:] if line.startswith("Invalid component")]
    return _clip(": ".join([failure.title, *details]), REASON_LENGTH)


def _signature(failure: Failure) -> str:
    """Failures differing only in the drawn value are one finding: a schema failure is its place in the schema,
    any other its reason with quoted values elided."""
    schema_path = getattr(failure, "schema_path", None)
    if schema_path:
        return f"{failure.title} at /{'/'.join(str(part) for part in schema_path)}"
    return _QUOTED.sub('"…"', _reason(failure))


def load_schema(document: dict[str, Any]) -> BaseSchema:
    # An explicit configuration: a schemathesis.toml lying around must not change what the run checks. Nothing
    # here is secret (local system, generated keys), and a reproduction with "[Filtered]" for its key reproduces
    # nothing.
    config = schemathesis.Config.from_dict({"output": {"sanitization": {"enabled": False}}})
    return schemathesis.openapi.from_dict(copy.deepcopy(document), config=config)


def operations_of(schema: BaseSchema) -> list[APIOperation]:
    found = []
    for result in schema.get_all_operations():
        if not isinstance(result, Ok):
            raise ValueError(f"the OpenAPI document has an operation schemathesis cannot use: {result.err()}")
        found.append(result.ok())
    return found


def split(total: int, parts: int) -> list[int]:
    """`total` spread over `parts` as evenly as whole numbers allow (the first ones take the remainder)."""
    if parts <= 0:
        return []
    share, rest = divmod(max(total, 0), parts)
    return [share + (1 if index < rest else 0) for index in range(parts)]


def _scenario(case: Case) -> str:
    meta = case.meta
    data = meta.phase.data if meta is not None else None
    scenario = getattr(data, "scenario", None)
    return str(scenario.value) if scenario is not None else "unknown"


def spread_sample(items: list[Any], limit: int, rng: random.Random, group: Callable[[Any], str]) -> list[Any]:
    """At most `limit` items, taken round-robin over their groups so that no group crowds out the others."""
    if len(items) <= limit:
        return list(items)
    groups: dict[str, list[Any]] = {}
    for item in items:
        groups.setdefault(group(item), []).append(item)
    for members in groups.values():
        rng.shuffle(members)
    picked: list[Any] = []
    while len(picked) < limit:
        for members in groups.values():
            if members and len(picked) < limit:
                picked.append(members.pop())
    return picked


class _Fuzzer:
    def __init__(
        self,
        base_url: str,
        schema: BaseSchema,
        report: FuzzReport,
        seed: int,
        request_timeout: float,
        deadline: float,
        explain_server_error: Callable[[], str | None] | None,
        progress: Callable[[str], None],
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.schema = schema
        self.report = report
        self.seed = seed
        self.rng = random.Random(seed)
        self.request_timeout = request_timeout
        self.deadline = deadline
        self.explain_server_error = explain_server_error
        self.progress = progress
        self.session = requests.Session()
        # Keys only need to be unique, not reproducible; a run nonce keeps two runs against one system apart.
        self.nonce = uuid.uuid4().hex[:8]
        self.keys = 0
        self.known_orders: list[str] = []

    def out_of_time(self) -> bool:
        if time.monotonic() >= self.deadline:
            self.report.deadline_reached = True
        return self.report.deadline_reached

    def fresh_key(self) -> str:
        self.keys += 1
        return f"fuzz-{self.nonce}-{self.keys:06d}"

    # Sending and checking

    def send(
        self, case: Case, source: str, contract: Callable[[Response], list[Problem]] | None = None
    ) -> Response | None:
        problems: list[Problem] = []
        response: Response | None = None
        try:
            response = case.call(base_url=self.base_url, session=self.session, timeout=self.request_timeout)
        except requests.RequestException as e:
            problems.append(Problem(TRANSPORT_CHECK, _clip(f"no answer: {type(e).__name__}: {e}", REASON_LENGTH)))
        if response is not None:
            problems += self.check(case, response)
            if contract is not None:
                problems += contract(response)
            if response.status_code >= 500 and self.explain_server_error is not None:
                explanation = self.explain_server_error()
                if explanation:
                    # One finding per exception type and place, whatever its message says about this request.
                    error_type, _, rest = explanation.partition(": ")
                    where = rest.rpartition(" at ")[2]
                    problems = [
                        Problem(
                            p.check,
                            _clip(f"{p.reason} [{explanation}]", REASON_LENGTH),
                            f"{p.key} [{error_type} at {where}]",
                        )
                        if p.check == not_a_server_error.__name__
                        else p
                        for p in problems
                    ]
        self.report.record(
            Outcome(
                operation=case.operation.label,
                method=str(case.method).upper(),
                path=case.formatted_path,
                source=source,
                status=response.status_code if response is not None else None,
                problems=tuple(problems),
                reproduce=self.reproduction(case) if problems else "",
            )
        )
        return response

    def check(self, case: Case, response: Response) -> list[Problem]:
        problems = []
        # One check at a time: schemathesis reports failures without the name of the check that raised them.
        for check in CHECKS:
            try:
                case.validate_response(response, checks=[check], transport_kwargs={"base_url": self.base_url})
            except FailureGroup as group:
                problems += [
                    Problem(check.__name__, _reason(failure), _signature(failure)) for failure in group.exceptions
                ]
            except Exception as e:  # a crashing check is untested ground, not a pass
                self.report.errors.append(f"{check.__name__} on {case.operation.label}: {type(e).__name__}: {e}")
        return problems

    def reproduction(self, case: Case) -> str:
        try:
            return case.as_curl_command(base_url=self.base_url)
        except Exception:  # a case whose curl form cannot be built is still worth reporting
            return f"{case.method} {self.base_url}{case.formatted_path}"

    # Idempotency-Key

    def adjust_key(self, case: Case) -> None:
        """A fresh key for most requests whose headers are valid; a negated header is left as drawn."""
        if case.headers is None or IDEMPOTENCY_KEY not in case.headers:
            return
        if case.meta is not None and case.meta.is_negative_at(ParameterLocation.HEADER):
            return
        if self.rng.random() < FRESH_KEY_SHARE:
            case.headers[IDEMPOTENCY_KEY] = self.fresh_key()

    def follow_up(self, case: Case, response: Response | None, budget: Callable[[], bool]) -> None:
        """After a 202: remember the order, and sometimes replay the request or reuse its key with another body."""
        if response is None or response.status_code != 202:
            return
        first = _json(response)
        order_id = first.get("orderId") if isinstance(first, dict) else None
        if isinstance(order_id, str):
            self.known_orders.append(order_id)
        roll = self.rng.random()
        if roll < REPLAY_SHARE and budget():
            self.send(case, "replay", lambda replayed: _replay_problems(first, replayed))
        elif roll < REPLAY_SHARE + CONFLICT_SHARE and budget() and isinstance(case.body, dict):
            other = self.schema.make_case(
                operation=case.operation,
                headers=dict(case.headers or {}),
                body=_other_body(case.body),
                media_type="application/json",
            )
            self.send(other, "conflict", _conflict_problems)

    # Phases

    def coverage(self, operation: APIOperation, limit: int) -> int:
        if limit <= 0 or self.out_of_time():
            return 0
        generation = self.schema.config.generation_for(operation=operation, phase="coverage")
        try:
            enumerated = _take(
                self.schema.iter_coverage_cases(
                    operation, generation_modes=list(GenerationMode), generation_config=generation
                ),
                MAX_COVERAGE_ENUMERATED,
            )
        except Exception as e:
            self.report.errors.append(f"coverage of {operation.label}: {type(e).__name__}: {e}")
            return 0
        sent = 0
        for case in spread_sample(enumerated, limit, self.rng, _scenario):
            if self.out_of_time():
                break
            self.adjust_key(case)
            self.send(case, "coverage")
            sent += 1
        return sent

    def examples(self, operation: APIOperation, limit: int) -> int:
        if limit <= 0 or self.out_of_time():
            return 0
        try:
            strategies = operation.get_strategies_from_examples()
        except Exception as e:
            self.report.errors.append(f"examples of {operation.label}: {type(e).__name__}: {e}")
            return 0
        sent = 0
        for index, strategy in enumerate(strategies[:limit]):
            sent += self.drive(strategy, 1, self.seed * 7919 + index, lambda case: self.send(case, "examples"))
        return sent

    def fuzz(self, operation: APIOperation, mode: GenerationMode, target: int, salt: int) -> int:
        sent = 0

        def budget() -> bool:
            return sent < target and not self.out_of_time()

        def one(case: Case) -> int:
            known = mode.is_positive and self.known_orders and "{orderId}" in operation.path
            if known and self.rng.random() < KNOWN_ORDER_SHARE:
                case.path_parameters = {**(case.path_parameters or {}), "orderId": self.rng.choice(self.known_orders)}
                self.send(case, "known-order")
                return 1
            self.adjust_key(case)
            before = self.report.cases
            response = self.send(case, mode.value)
            if mode.is_positive and operation.method.upper() == "POST":
                self.follow_up(case, response, lambda: sent + (self.report.cases - before) < target)
            return self.report.cases - before

        strategy = operation.as_strategy(generation_mode=mode)
        for attempt in range(MAX_PASSES):
            if not budget():
                break

            def body(case: Case) -> None:
                nonlocal sent
                if budget():
                    sent += one(case)

            self.drive(strategy, target - sent, (self.seed * 1_000_003 + salt) * MAX_PASSES + attempt, body)
        return sent

    def drive(self, strategy: st.SearchStrategy[Case], examples: int, seed: int, body: Callable[[Case], Any]) -> int:
        """Runs `body` on up to `examples` cases Hypothesis draws (no shrinking: every case is sent once)."""
        before = self.report.cases

        @hypothesis.seed(seed)
        @hypothesis.settings(
            max_examples=max(examples, 1),
            database=None,
            deadline=None,
            derandomize=False,
            phases=(Phase.generate,),
            suppress_health_check=list(HealthCheck),
            verbosity=Verbosity.quiet,
            report_multiple_bugs=False,
            print_blob=False,
        )
        @hypothesis.given(case=strategy)
        def test(case: Case) -> None:
            if not self.out_of_time():
                body(case)

        try:
            test()
        except Exception as e:  # e.g. Unsatisfiable: the schema leaves nothing to draw
            self.report.errors.append(f"generation: {type(e).__name__}: {_clip(str(e), REASON_LENGTH)}")
        return self.report.cases - before

    def run(self, cases: int) -> None:
        operations = operations_of(self.schema)
        # Operations without path parameters first: their 202s give the others real ids to read.
        operations.sort(key=lambda operation: ("{" in operation.path, operation.path, operation.method))
        carry = 0
        for index, (operation, share) in enumerate(zip(operations, split(cases, len(operations)), strict=True)):
            if self.out_of_time():
                break
            budget = share + carry
            used = self.coverage(operation, round(budget * COVERAGE_SHARE))
            used += self.examples(operation, round(budget * EXAMPLES_SHARE))
            positive, negative = split(max(budget - used, 0), 2)
            drawn = self.fuzz(operation, GenerationMode.POSITIVE, positive, salt=2 * index)
            # What the positive draws fell short of (a small search space), the negative ones make up.
            rest = negative + positive - drawn
            used += drawn + self.fuzz(operation, GenerationMode.NEGATIVE, rest, salt=2 * index + 1)
            carry = max(budget - used, 0)
            self.progress(f"{operation.label}: {used} cases")
        self.session.close()


def _take(iterator: Iterator[Case], limit: int) -> list[Case]:
    taken = []
    for case in iterator:
        taken.append(case)
        if len(taken) >= limit:
            break
    return taken


def _json(response: Response) -> Any:
    try:
        return json.loads(response.content)
    except ValueError:
        return None


def _header(response: Response, name: str) -> str | None:
    values = response.headers.get(name.lower())
    return values[0] if values else None


def _replay_problems(first: Any, replayed: Response) -> list[Problem]:
    if replayed.status_code != 202:
        return [Problem(REPLAY_CHECK, f"the same key and body again answered {replayed.status_code}, not 202")]
    problems = []
    if _header(replayed, "Idempotent-Replayed") != "true":
        problems.append(Problem(REPLAY_CHECK, "a replayed 202 without Idempotent-Replayed: true"))
    again = _json(replayed)
    first_id = first.get("orderId") if isinstance(first, dict) else None
    if not isinstance(again, dict) or again.get("orderId") != first_id:
        problems.append(Problem(REPLAY_CHECK, "the same key and body named another order"))
    return problems


def _conflict_problems(response: Response) -> list[Problem]:
    if response.status_code != 422:
        return [Problem(CONFLICT_CHECK, f"the same key with another body answered {response.status_code}, not 422")]
    return []


def _other_body(body: dict[str, Any]) -> dict[str, Any]:
    other = copy.deepcopy(body)
    other["customerId"] = "fuzz-conflict" if other.get("customerId") != "fuzz-conflict" else "fuzz-conflict-2"
    return other


def run_fuzz(
    base_url: str,
    document: dict[str, Any],
    cases: int,
    seed: int,
    *,
    request_timeout: float = REQUEST_TIMEOUT_SECONDS,
    deadline_seconds: float = DEADLINE_SECONDS,
    explain_server_error: Callable[[], str | None] | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> FuzzReport:
    """At least `cases` requests against the API at `base_url`, drawn from `document` (OpenAPI) and checked
    against it. Deterministic for a seed as far as the answers allow (which orders exist, which keys replay)."""
    started = time.monotonic()
    report = FuzzReport(requested=cases, seed=seed, base_url=base_url)
    fuzzer = _Fuzzer(
        base_url,
        load_schema(document),
        report,
        seed,
        request_timeout,
        started + deadline_seconds,
        explain_server_error,
        progress,
    )
    try:
        fuzzer.run(cases)
    finally:
        report.seconds = time.monotonic() - started
    return report


def load_document(path: str | None = None) -> dict[str, Any]:
    """The OpenAPI document: a JSON file, or by default the one the code builds (workflow.openapi)."""
    if path:
        with open(path, encoding="utf-8") as file:
            loaded: dict[str, Any] = json.load(file)
        return loaded
    from workflow import openapi

    return openapi.document()


def run_local_fuzz(
    cases: int,
    seed: int,
    document: dict[str, Any],
    *,
    time_scale: float = 0.01,
    request_timeout: float = REQUEST_TIMEOUT_SECONDS,
    deadline_seconds: float = DEADLINE_SECONDS,
    progress: Callable[[str], None] = lambda _: None,
) -> FuzzReport:
    """Starts its own local system (as `orderflow chaos` does), fuzzes its API, stops it."""
    import os

    from workflow.local.runtime import LocalRuntime, RuntimeConfig

    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "CRITICAL")  # the report is the output, not a log line per case
    runtime = LocalRuntime(RuntimeConfig(time_scale=time_scale, seed=seed, log_invocation_errors=False)).start()
    last_error = _capture_api_errors(runtime)
    try:
        api = runtime.serve_api(port=0)
        progress(f"fuzzing {api.url} with {cases} cases (seed {seed})")
        return run_fuzz(
            api.url,
            document,
            cases,
            seed,
            request_timeout=request_timeout,
            deadline_seconds=deadline_seconds,
            explain_server_error=last_error,
            progress=progress,
        )
    finally:
        runtime.stop()


def _capture_api_errors(runtime: Any) -> Callable[[], str | None]:
    """A 500 from the local API says only "see the logs"; the report is more useful with the exception that caused
    it. Requests go out one at a time, so the API function's latest failure belongs to the latest 5xx."""
    lambdas = runtime.lambdas
    invoke = getattr(lambdas, "invoke", None)
    latest: list[str | None] = [None]
    if invoke is None:
        return lambda: None

    def recording(function: Any, event: Any) -> Any:
        result = invoke(function, event)
        payload, errored = result[0], result[1]
        if errored and getattr(function, "name", None) == "StartWorkflow":
            try:
                error = json.loads(payload)
                frames = error.get("stackTrace") or []
                where = frames[-1].strip().splitlines()[0] if frames else ""
                latest[0] = f"{error.get('errorType')}: {error.get('errorMessage')} at {where}".strip()
            except (ValueError, AttributeError):
                latest[0] = "StartWorkflow failed"
        return result

    lambdas.invoke = recording

    def take() -> str | None:
        explanation, latest[0] = latest[0], None
        return explanation

    return take
