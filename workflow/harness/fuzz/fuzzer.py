"""The fuzzer: draws cases per operation through schemathesis' phases (coverage, examples, positive, negative),
sends each over HTTP, runs every check on its answer and follows up on 202s (replay, conflict, known orders)."""

from __future__ import annotations

import copy
import random
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import hypothesis
import requests
from hypothesis import HealthCheck, Phase, Verbosity
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.core.parameters import ParameterLocation
from schemathesis.core.transport import Response
from schemathesis.schemas import BaseSchema

from workflow.harness.fuzz.cases import APIOperation, Case, operations_of, split, spread_sample
from workflow.harness.fuzz.checks import (
    CHECKS,
    REASON_LENGTH,
    TRANSPORT_CHECK,
    Problem,
    clip,
    conflict_problems,
    failure_reason,
    failure_signature,
    json_body,
    replay_problems,
)
from workflow.harness.fuzz.report import FuzzReport, Outcome

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


def _scenario(case: Case) -> str:
    meta = case.meta
    data = meta.phase.data if meta is not None else None
    scenario = getattr(data, "scenario", None)
    return str(scenario.value) if scenario is not None else "unknown"


class Fuzzer:
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
            problems.append(Problem(TRANSPORT_CHECK, clip(f"no answer: {type(e).__name__}: {e}", REASON_LENGTH)))
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
                            clip(f"{p.reason} [{explanation}]", REASON_LENGTH),
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
                    Problem(check.__name__, failure_reason(failure), failure_signature(failure))
                    for failure in group.exceptions
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
        first = json_body(response)
        order_id = first.get("orderId") if isinstance(first, dict) else None
        if isinstance(order_id, str):
            self.known_orders.append(order_id)
        roll = self.rng.random()
        if roll < REPLAY_SHARE and budget():
            self.send(case, "replay", lambda replayed: replay_problems(first, replayed))
        elif roll < REPLAY_SHARE + CONFLICT_SHARE and budget() and isinstance(case.body, dict):
            other = self.schema.make_case(
                operation=case.operation,
                headers=dict(case.headers or {}),
                body=_other_body(case.body),
                media_type="application/json",
            )
            self.send(other, "conflict", conflict_problems)

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
            self.report.errors.append(f"generation: {type(e).__name__}: {clip(str(e), REASON_LENGTH)}")
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


def _other_body(body: dict[str, Any]) -> dict[str, Any]:
    other = copy.deepcopy(body)
    other["customerId"] = "fuzz-conflict" if other.get("customerId") != "fuzz-conflict" else "fuzz-conflict-2"
    return other
