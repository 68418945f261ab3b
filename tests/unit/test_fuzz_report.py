"""The fuzz report's arithmetic: each case counts once per figure, and anything short of a clean, complete run fails."""

from __future__ import annotations

import json

from workflow.harness.fuzz import CHECKS, FuzzReport, Outcome, Problem, split


def outcome(status: int | None, *problems: Problem, operation: str = "POST /orders") -> Outcome:
    return Outcome(operation, operation.split(maxsplit=1)[0], "/orders", "positive", status, problems, "curl …")


def test_a_clean_complete_run_is_ok() -> None:
    report = FuzzReport(requested=2, seed=1)
    report.record(outcome(202))
    report.record(outcome(404, operation="GET /orders/{orderId}"))
    assert report.ok
    last = json.loads(report.to_json())
    assert (last["cases"], last["server_errors"], last["nonconforming"]) == (2, 0, 0)
    assert report.text().endswith("fuzz: OK")


def test_a_5xx_and_a_broken_answer_each_count_once() -> None:
    report = FuzzReport(requested=3, seed=1)
    report.record(outcome(500, Problem("not_a_server_error", "Server error"), Problem("status_code_conformance", "x")))
    report.record(outcome(422, Problem("response_schema_conformance", "bad", "sig")))
    report.record(outcome(422, Problem("response_schema_conformance", "bad again", "sig")))
    assert (report.cases, report.server_errors, report.nonconforming) == (3, 1, 3)
    assert not report.ok
    assert len(report.findings) == 3  # the two schema failures share a signature but not a status
    assert report.text().endswith("fuzz: FAILED")


def test_an_unanswered_request_or_a_short_run_is_no_pass() -> None:
    report = FuzzReport(requested=2, seed=1)
    report.record(outcome(None, Problem("answered", "no answer")))
    assert report.unanswered == 1
    assert not report.ok
    short = FuzzReport(requested=5, seed=1)
    short.record(outcome(202))
    assert not short.ok


def test_the_budget_is_spread_and_the_checks_are_the_pinned_ones() -> None:
    assert split(1000, 2) == [500, 500]
    assert split(7, 3) == [3, 2, 2]
    assert {c.__name__ for c in CHECKS} >= {
        "not_a_server_error",
        "response_schema_conformance",
        "negative_data_rejection",
    }
