"""`orderflow up`: the local system (AWS on moto) with its orders API and AWS endpoint, until Ctrl-C."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from typing import TYPE_CHECKING

from workflow.cli.common import Commands, workflow_type_argument

if TYPE_CHECKING:
    from workflow.local.runtime import LocalRuntime


def _alert_targets(runtime: LocalRuntime) -> str:
    """Which alert targets are on (ALERT_TARGETS) and configured locally, and what the others lack."""
    from handlers.adapters.alert_targets import TargetConfig
    from handlers.alert_registry import BY_NAME, target_names

    on, off = ["log (below)"], []
    for name in target_names(runtime.resolve_setting("ALERT_TARGETS")):
        spec = BY_NAME.get(name)
        if spec is None:
            off.append(f"{name} (no such target)")
            continue
        secret = runtime.resolve_setting(spec.secret.local_env) if spec.secret else None
        problem = spec.load().problem(TargetConfig(secret=secret, settings=runtime.resolve_setting))
        if problem is None:
            on.append(name)
        else:
            needs = " ".join(f"{v}=…" for v in ((spec.secret.local_env,) if spec.secret else ()) + spec.settings)
            off.append(f"{name} ({problem}; export {needs})")
    said = ", ".join(on)
    if off:
        said += "; not configured: " + "; ".join(off)
    return said + " (ALERT_TARGETS picks them: slack, webhook, pagerduty, teams, email)"


def register(commands: Commands) -> None:
    up = commands.add_parser("up", help="start the local system (AWS on moto) and its HTTP API")
    up.add_argument("--host", default="127.0.0.1")
    up.add_argument("--port", type=int, default=3000, help="the orders API (default 3000)")
    up.add_argument("--aws-port", type=int, default=4566, help="this system's AWS APIs (default 4566)")
    up.add_argument(
        "--aws-host",
        default="127.0.0.1",
        help="where the AWS APIs listen (default loopback only: they expose every resource, secrets included)",
    )
    up.add_argument(
        "--time-scale",
        type=float,
        default=0.1,
        help="multiplies retry intervals and queue timeouts (1.0 = production values; default 0.1)",
    )
    workflow_type_argument(up, "the state machine's type; EXPRESS keeps AWS's contract: no execution history")
    up.add_argument(
        "--express-log-level",
        type=str.upper,
        choices=("ALL", "ERROR", "FATAL", "OFF"),
        default="ERROR",
        help="an Express state machine's logging level, as the stack's expressLogLevel (default ERROR: failures "
        "only; ALL lets `orderflow executions` and `graph --order` read every execution)",
    )
    up.set_defaults(run=_up)


def _up(args: argparse.Namespace) -> int:
    from workflow.local.runtime import LocalRuntime, RuntimeConfig

    runtime = LocalRuntime(
        RuntimeConfig(
            time_scale=args.time_scale, workflow_type=args.workflow_type, express_log_level=args.express_log_level
        )
    ).start()
    try:
        api = runtime.serve_api(host=args.host, port=args.port)
        aws_endpoint = runtime.serve_aws(host=args.aws_host, port=args.aws_port)
    except OSError as e:
        runtime.stop()
        print(
            f"orderflow: cannot serve on {args.host} (API port {args.port}, AWS port {args.aws_port}): "
            f"{e.strerror or e}",
            file=sys.stderr,
        )
        return 1
    print(
        f"""orderflow is running locally (AWS on moto, {args.workflow_type} state machine {runtime.state_machine_arn}).
  API:    {api.url}
  Alerts: {_alert_targets(runtime)}
  Submit: curl -s -X POST {api.url}/orders -H 'Content-Type: application/json' \\
            -H "Idempotency-Key: order-$(date +%s)-$RANDOM" \\
            -d '{{"customerId":"c-1","currency":"EUR","items":[{{"sku":"BOOK-1","quantity":2,"unitPrice":"12.50"}}]}}'
          or: orderflow submit examples/order.json --wait
  Status: curl -s {api.url}/orders/<orderId>   or: orderflow status <orderId>
  AWS:    {aws_endpoint}   (this system's AWS APIs, for the CLI and boto3: orderflow workflow update --target local)
Logs follow, one JSON object per line. Ctrl-C stops.""",
        flush=True,
    )
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    try:
        stop.wait()
        print("\norderflow: stopping", file=sys.stderr)
    finally:
        runtime.stop()
    return 0
