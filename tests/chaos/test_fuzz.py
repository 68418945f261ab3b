"""A bounded fuzz run in its own process, as `make fuzz` runs it with 1,000 cases: schemathesis draws requests from
docs/openapi.json and every answer must be a documented one, never a 5xx."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_a_bounded_fuzz_run_finds_no_server_error_and_no_nonconforming_answer() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "workflow.cli", "fuzz", "--cases", "300", "--seed", "3", "--json"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])  # the contract: the last line is the JSON report
    assert report["cases"] >= 300
    assert report["server_errors"] == 0
    assert report["nonconforming"] == 0
    assert report["complete"] is True
    operations = report["operations"]
    assert set(operations) == {"POST /orders", "GET /orders/{orderId}"}
    # Both kinds of input reached both operations, and real orders were created and read back.
    for stats in operations.values():
        assert {"positive", "negative", "coverage"} <= set(stats["sources"])
    assert operations["POST /orders"]["statuses"].get("202", 0) > 0
    assert operations["GET /orders/{orderId}"]["statuses"].get("200", 0) > 0
