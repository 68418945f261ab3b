"""The committed cost snapshot (workflow/cost/snapshot.json, rewritten by `make regen`): what `orderflow cost` measured,
in dollars per 1M orders per service for both workflow types, and the usage per order behind it.

A change to the workflow that changes what an order costs (a new state is $25 per 1M orders on Standard) fails the
cost test until the snapshot is regenerated, so the change is reviewed as a diff in dollars, not as a broken limit.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

SNAPSHOT = Path(__file__).with_name("snapshot.json")
# A service's dollars may move this much, relative, or 5 cents, before it counts as a change: a new state moves Step
# Functions by $25 (Standard), a new write DynamoDB by a third. The worker's and the AlertHandler's batches depend on
# thread timing and the machine's load (SQS went from $0.52 to $0.82 per 1M on a busy machine), and with them the
# services billed per request or per byte: those get a wider margin (a new function shows as a new invocation).
TOLERANCE = 0.10
BATCHED = {"SQS": 0.75, "Lambda": 0.5, "X-Ray": 0.5, "CloudWatch Logs": 0.5}
FLOOR_USD = 0.05
WORKFLOW_TYPES = ("standard", "express")


def snapshot(report: Mapping[str, Any]) -> dict[str, Any]:
    """The part of `orderflow cost --json`'s report that is committed: dollars to the cent, usage as measured."""
    usage = report["usage_per_order"]
    return {
        "about": "orderflow cost --orders 40 at the default mix and durations; rewritten by `make regen`",
        "orders": report["assumptions"]["orders"],
        "prices_checked": report["assumptions"]["prices_checked"],
        **{
            kind: {
                "total_per_million": round(report[kind]["total_per_million"], 2),
                "by_service": {k: round(v, 2) for k, v in sorted(report[kind]["by_service"].items())},
                "fixed_per_month": round(sum(report[kind]["fixed_monthly"].values()), 2),
            }
            for kind in WORKFLOW_TYPES
        },
        "usage_per_order": {
            "transitions": usage["transitions"],
            "invocations": {k: round(v, 3) for k, v in sorted(usage["invocations"].items())},
            "write_units": usage["write_units"],
            "read_units": usage["read_units"],
        },
    }


def load(path: Path = SNAPSHOT) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def differences(measured: Mapping[str, Any], committed: Mapping[str, Any]) -> list[str]:
    """Each service whose dollars moved past the tolerance, and each usage figure that changed, worded for review."""
    found: list[str] = []
    for kind in WORKFLOW_TYPES:
        now, then = measured[kind]["by_service"], committed[kind]["by_service"]
        for service in sorted(set(now) | set(then)):
            new, old = float(now.get(service, 0.0)), float(then.get(service, 0.0))
            if abs(new - old) > max(FLOOR_USD, BATCHED.get(service, TOLERANCE) * abs(old)):
                found.append(f"{kind} {service}: ${old:,.2f} -> ${new:,.2f} per 1M orders")
    usage_now, usage_then = measured["usage_per_order"], committed["usage_per_order"]
    for figure in ("transitions", "write_units", "read_units"):
        if usage_now[figure] != usage_then[figure]:
            found.append(f"{figure} per order: {usage_then[figure]} -> {usage_now[figure]}")
    if set(usage_now["invocations"]) != set(usage_then["invocations"]):
        found.append(f"functions invoked: {sorted(usage_then['invocations'])} -> {sorted(usage_now['invocations'])}")
    return found
