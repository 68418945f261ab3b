"""A bounded chaos run, in its own process (the local runtime is process-global and the test session has one):
the same command `make chaos` runs with 500 orders."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def chaos(*options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "workflow.cli", "chaos", "--time-scale", "0.005", "--json", *options],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def test_a_bounded_chaos_run_loses_and_doubles_nothing(tmp_path: Path) -> None:
    result = chaos("--orders", "30", "--seed", "11")
    # Exit code first: a run that crashed has no report to parse, and its stderr says why.
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])  # the contract: the last line is the JSON report
    assert report["violations"] == []
    assert report["lost"] == 0
    assert report["duplicates"] == 0
    assert report["alerts"] == report["failed"]
    assert report["accepted"] >= 20
    assert report["terminal"] == report["accepted"]
    assert report["malformed_accepted"] == 0
    for key in ("accepted", "terminal", "lost", "duplicates", "failed", "alerts", "dlq", "seconds"):
        assert key in report
    assert sum(report["faults_injected"].values()) > 0, "the run injected no fault at all"
    # PagerDuty and Teams were on: their invariants are among the violations checked above; the run saw them work.
    if report["failed"]:
        assert report["pager_triggers"] >= 1
        assert report["teams_cards"] >= 1
    assert report["resolved"] >= len(report["reruns"])


def test_express_runs_started_twice_still_make_one_order_and_one_alert(tmp_path: Path) -> None:
    """Express starts at least once: the plan starts every fifth execution twice, and each order is carried on by
    one of its executions (the other ends at HandledElsewhere), with one alert per failed order."""
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"duplicate_start": 0.2, "functions": {"ValidateOrder": {"transient": 0.05}}}))
    result = chaos("--orders", "40", "--seed", "5", "--workflow-type", "EXPRESS", "--faults", str(plan))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["violations"] == []
    assert report["workflow_type"] == "EXPRESS"
    assert report["lost"] == 0
    assert report["duplicates"] == 0
    assert report["alerts"] == report["failed"]
    assert report["extra_executions"] == report["faults_injected"]["stepfunctions.StartExecution.duplicated"] > 0
    assert 0 < report["handled_elsewhere"] <= report["extra_executions"]
