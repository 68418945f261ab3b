"""A bounded chaos run, in its own process (the local runtime is process-global and the test session has one):
the same command `make chaos` runs with 500 orders."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_a_bounded_chaos_run_loses_and_doubles_nothing(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "workflow.cli",
            "chaos",
            "--orders",
            "30",
            "--seed",
            "11",
            "--time-scale",
            "0.005",
            "--json",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
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
