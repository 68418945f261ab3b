"""`orderflow up`: the local system (AWS on moto) with its orders API and AWS endpoint, until Ctrl-C."""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from workflow.cli.common import Commands, workflow_type_argument


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
    from handlers.alert_registry import target_names
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
    slack = (
        "posting alerts to SLACK_WEBHOOK_URL"
        if runtime.resolve_setting("SLACK_WEBHOOK_URL")
        else "no SLACK_WEBHOOK_URL set: alerts are logged here only"
    )
    sender = runtime.resolve_setting("ALERT_EMAIL_FROM")
    email = (
        f'e-mailing alerts from {sender} (moto\'s SES keeps them; each is logged as "alert e-mailed")'
        if sender and "email" in target_names(runtime.resolve_setting("ALERT_TARGETS"))
        else "to e-mail alerts, set ALERT_TARGETS=slack,email ALERT_EMAIL_FROM=<sender> ALERT_EMAIL_TO=<a>,<b>"
    )
    print(
        f"""orderflow is running locally (AWS on moto, {args.workflow_type} state machine {runtime.state_machine_arn}).
  API:    {api.url}   ({slack})
  E-mail: {email}
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
