"""`orderflow cost` end to end, in its own process (it synthesizes both templates and runs its own local system)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.support.derived import happy_path, invoked_functions
from workflow.cost.snapshot import differences, load

REPO = Path(__file__).resolve().parents[2]


def test_cost_prices_a_measured_mix_for_both_types() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "workflow.cli", "cost", "--orders", "40", "--json"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    usage = report["usage_per_order"]
    # Every order succeeds by default: each is the hand-counted one (tests/integration/test_cost_counts.py).
    assert usage["transitions"] == len(happy_path())
    # the reservation, the order's put and fulfilment, and those two in each of the orders table's two indexes
    assert usage["write_units"] == 7
    assert usage["read_units"] == 0
    assert usage["sns_publishes"] == 1
    assert usage["http_requests"] == 1
    assert {k: v for k, v in usage["invocations"].items() if k != "ProcessOrderWorker"} == {
        "StartWorkflow": 1,
        **dict.fromkeys(invoked_functions(), 1),
    }
    assert 0 < usage["invocations"]["ProcessOrderWorker"] <= 1  # batches of orders
    standard, express = report["standard"], report["express"]
    assert standard["by_service"]["Step Functions"] == len(happy_path()) * 25.0  # $0.025 per 1,000 transitions
    assert express["total_per_million"] < standard["total_per_million"]
    # What it costs is held to the committed snapshot, not to a limit: a change in dollars is reviewed as the
    # snapshot's diff (`make regen`). 40 orders, so that the worker batches its messages as under load.
    changed = differences(report, load())
    assert not changed, "the cost changed; if intended, run `make regen` and review the snapshot's diff: " + "; ".join(
        changed
    )
    assert report["assumptions"]["prices_checked"]
    assert "STANDARD: $" in result.stdout
    assert "EXPRESS: $" in result.stdout
