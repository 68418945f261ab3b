"""What an order costs: usage measured per order, facts read from the synthesized template, assumptions for what a
local run cannot measure (AWS durations), and a dated price table -> dollars per 1M orders per service. Pure.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from workflow.manifest import MANIFEST

PRICES = Path(__file__).with_name("prices-us-east-1.json")
MILLION = 1_000_000


@dataclass(frozen=True)
class FunctionFacts:
    memory_mb: int
    architecture: str  # arm64 | x86_64
    system_log_level: str = "INFO"  # Lambda's START/END/REPORT lines are INFO: written at DEBUG and INFO only

    @property
    def writes_platform_lines(self) -> bool:
        return self.system_log_level in ("DEBUG", "INFO")


@dataclass(frozen=True)
class Facts:
    """What the template decides about the bill."""

    workflow_type: str  # STANDARD | EXPRESS
    functions: Mapping[str, FunctionFacts]
    workflow_functions: frozenset[str]  # invoked by the state machine (their time is the Express duration)
    queue_functions: frozenset[str]  # invoked by an SQS event source
    log_level: str  # the state machine's: ALL | ERROR | FATAL | OFF
    log_execution_data: bool
    tracing: bool
    alarms: int = 0
    dashboards: int = 0
    kms_keys: int = 0
    secrets: int = 0


@dataclass(frozen=True)
class Usage:
    """Per order, averaged over the orders of a local run."""

    orders: int
    transitions: float
    invocations: Mapping[str, float]
    read_units: float
    write_units: float
    sqs_requests: float
    sns_publishes: float
    http_requests: float
    handler_log_bytes: float
    # The state machine's log records at each level (a record is about one history event).
    workflow_log_bytes: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Assumptions:
    """What a local run does not tell: AWS's durations, and how AWS samples and bills around them."""

    billed_ms: Mapping[str, float]  # one invocation's billed duration, per function
    express_ms_per_transition: float = 20.0  # Step Functions' own time per state, on top of the tasks'
    express_memory_mb: int = 64  # Express bills memory in 64 MB chunks; small executions use one
    platform_log_bytes: int = 350  # START, END and REPORT lines per Lambda invocation
    xray_sampling: float = 0.05  # X-Ray's default rule at volume: 5% (plus one a second)
    # An SQS event source long-polls whether or not messages come: per queue-triggered function per month.
    empty_polls_per_month: int = 5 * 3 * 60 * 24 * 30  # 5 pollers, a 20 s poll each


# Each function's assumed billed duration, from the manifest (`Function.billed_ms`: the one list of functions).
DEFAULT_BILLED_MS = {f.name: f.billed_ms for f in MANIFEST.functions if f.billed_ms is not None}


@dataclass(frozen=True)
class Estimate:
    workflow_type: str
    by_service: dict[str, float]  # USD per 1M orders
    fixed_monthly: dict[str, float]  # USD per month, whatever the volume

    @property
    def total_per_million(self) -> float:
        return round(sum(self.by_service.values()), 2)

    def to_dict(self) -> dict[str, Any]:
        return {
            "total_per_million": self.total_per_million,
            "by_service": {k: round(v, 4) for k, v in self.by_service.items()},
            "fixed_monthly": {k: round(v, 2) for k, v in self.fixed_monthly.items()},
        }


def billed_ms(assumptions: Assumptions, function: str) -> float:
    """One invocation's assumed billed duration. A function without one is an error, not a free invocation: a new
    function is priced only once its manifest entry's billed_ms (or `orderflow cost --durations`) says how long it
    runs."""
    try:
        return float(assumptions.billed_ms[function])
    except KeyError:
        raise KeyError(
            f"no billed duration is assumed for the function {function!r}: give it billed_ms "
            f"in workflow/manifest.py or pass --durations {function}=<ms>"
        ) from None


class Prices:
    def __init__(self, table: Mapping[str, Any]) -> None:
        self.table = table
        self.region = str(table.get("region", ""))
        self.checked = str(table.get("checked", ""))

    @classmethod
    def load(cls, path: Path | str = PRICES) -> Prices:
        return cls(json.loads(Path(path).read_text(encoding="utf-8")))

    def __getitem__(self, name: str) -> float:
        try:
            return float(self.table["prices"][name]["usd"])
        except KeyError:
            raise KeyError(f"the price table has no {name!r}") from None


def price(usage: Usage, facts: Facts, assumptions: Assumptions, prices: Prices) -> Estimate:
    per_order: dict[str, float] = {}
    if facts.workflow_type == "EXPRESS":
        task_ms = sum(
            billed_ms(assumptions, name) * usage.invocations.get(name, 0.0) for name in facts.workflow_functions
        )
        duration_ms = task_ms + usage.transitions * assumptions.express_ms_per_transition
        billed_seconds = max(1, math.ceil(duration_ms / 100)) * 0.1  # 100 ms increments, 100 ms minimum
        gb = math.ceil(assumptions.express_memory_mb / 64) * 64 / 1024
        per_order["Step Functions"] = (
            prices["stepfunctions.express.request"] + billed_seconds * gb * prices["stepfunctions.express.gb_second"]
        )
    else:
        per_order["Step Functions"] = usage.transitions * prices["stepfunctions.standard.transition"]
    lambda_cost = 0.0
    for name, count in usage.invocations.items():
        function = facts.functions[name]
        gb_seconds = billed_ms(assumptions, name) / 1000 * function.memory_mb / 1024
        lambda_cost += count * (
            prices["lambda.request"] + gb_seconds * prices[f"lambda.{function.architecture}.gb_second"]
        )
    per_order["Lambda"] = lambda_cost
    per_order["DynamoDB"] = (
        usage.read_units * prices["dynamodb.on_demand.read_unit"]
        + usage.write_units * prices["dynamodb.on_demand.write_unit"]
    )
    per_order["SQS"] = usage.sqs_requests * prices["sqs.standard.request"]
    per_order["SNS"] = usage.sns_publishes * prices["sns.publish"]
    per_order["API Gateway"] = usage.http_requests * prices["apigateway.http.request"]
    log_bytes = (
        usage.handler_log_bytes
        + assumptions.platform_log_bytes
        * sum(count for name, count in usage.invocations.items() if facts.functions[name].writes_platform_lines)
        + usage.workflow_log_bytes.get(facts.log_level, 0.0)
    )
    per_order["CloudWatch Logs"] = log_bytes / 1e9 * prices["logs.ingest_gb"]
    if facts.tracing:
        traces = usage.http_requests + sum(usage.invocations.get(name, 0.0) for name in facts.queue_functions)
        per_order["X-Ray"] = traces * assumptions.xray_sampling * prices["xray.trace_recorded"]
    fixed = {
        "CloudWatch alarms": facts.alarms * prices["cloudwatch.alarm.month"],
        "CloudWatch dashboards": facts.dashboards * prices["cloudwatch.dashboard.month"],
        "KMS keys": facts.kms_keys * prices["kms.key.month"],
        "Secrets Manager": facts.secrets * prices["secretsmanager.secret.month"],
        "SQS empty polls": len(facts.queue_functions)
        * assumptions.empty_polls_per_month
        * prices["sqs.standard.request"],
    }
    return Estimate(facts.workflow_type, {k: v * MILLION for k, v in per_order.items()}, fixed)


def transitions(events: Sequence[Mapping[str, Any]]) -> int:
    """Billed state transitions in an execution's history: every state entered, and every retry of a task (an
    attempt beyond the first)."""
    entered = sum(1 for e in events if str(e["type"]).endswith("StateEntered"))
    task_entries = sum(1 for e in events if e["type"] == "TaskStateEntered")
    attempts = sum(1 for e in events if e["type"] in {"TaskScheduled", "LambdaFunctionScheduled"})
    return entered + max(0, attempts - task_entries)


def assumptions_dict(assumptions: Assumptions) -> dict[str, Any]:
    return {k: dict(v) if isinstance(v, Mapping) else v for k, v in asdict(assumptions).items()}
