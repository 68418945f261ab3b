"""RuntimeConfig: what a local system is started with."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from workflow.definition import JSONATA
from workflow.local.faults import FaultPlan
from workflow.manifest import DEFAULT_EXPRESS_LOG_LEVEL, DEFAULT_REGION


@dataclass(frozen=True)
class RuntimeConfig:
    region: str = DEFAULT_REGION
    # STANDARD or EXPRESS: the state machine's type, and the definition compiled for it. An Express state machine
    # keeps AWS's contract (workflow.emulator.express): no history behind the API, its log records the record.
    workflow_type: str = "STANDARD"
    # The order workflow's query language: JSONata (what ships) or JSONPath (the same workflow; `make bench`
    # compares the two).
    query_language: str = JSONATA
    # An Express state machine's logging level (the stack's expressLogLevel); Standard's is always ALL.
    express_log_level: str = DEFAULT_EXPRESS_LOG_LEVEL
    # Multiplies every wait the definition and the queues ask for (retry intervals, batching windows, visibility).
    time_scale: float = 1.0
    # Operator settings (Setting refs in the manifest), e.g. SLACK_WEBHOOK_URL. Falls back to the environment.
    settings: Mapping[str, str] = field(default_factory=dict)
    poll_wait_seconds: int = 1
    # Faults to inject at random for this run, at the plan's rates (workflow.local.faults), drawn from `seed`.
    fault_plan: FaultPlan | None = None
    seed: int = 0
    # Print each failed invocation as one JSON line, as the Lambda runtime logs it (off for the chaos report).
    log_invocation_errors: bool = True
    # Send the queues' ticks (Queue.tick_minutes: scheduled jobs such as FindStuckOrders). The cost meter turns them
    # off: a scheduled job costs per month, not per order.
    ticks: bool = True
