"""`orderflow`: run the local system, submit orders, follow them, print the compiled workflow."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
import uuid
from typing import Any, Protocol

DEFAULT_URL = "http://127.0.0.1:3000"
FINAL = {"FULFILLED", "FAILED"}


def _up(args: argparse.Namespace) -> int:
    from workflow.local.runtime import LocalRuntime, RuntimeConfig

    runtime = LocalRuntime(RuntimeConfig(time_scale=args.time_scale)).start()
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
    print(
        f"""orderflow is running locally (AWS on moto, state machine {runtime.state_machine_arn}).
  API:    {api.url}   ({slack})
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


def _request(method: str, url: str, **kwargs: Any) -> tuple[int, dict[str, str], Any]:
    import requests

    try:
        response = requests.request(method, url, timeout=10, **kwargs)
    except requests.ConnectionError:
        raise SystemExit(f"orderflow: nothing answers at {url}; is `orderflow up` (make run) running?") from None
    try:
        body = response.json()
    except ValueError:
        body = response.text
    return response.status_code, dict(response.headers), body


def _follow(base: str, order_id: str, timeout: float) -> tuple[int, Any]:
    deadline = time.monotonic() + timeout
    delay = 0.1
    while True:
        status, _, body = _request("GET", f"{base}/orders/{order_id}")
        if status != 200 or body.get("status") in FINAL or time.monotonic() >= deadline:
            return status, body
        time.sleep(delay)
        delay = min(delay * 1.5, 1.0)


def _submit(args: argparse.Namespace) -> int:
    text = sys.stdin.read() if args.file == "-" else open(args.file, encoding="utf-8").read()  # noqa: SIM115
    key = args.key or str(uuid.uuid4())
    status, headers, body = _request(
        "POST",
        f"{args.url}/orders",
        data=text.encode("utf-8"),
        headers={"Content-Type": "application/json", "Idempotency-Key": key},
    )
    print(json.dumps(body, indent=2))
    if status != 202:
        return 2
    print(
        f"Idempotency-Key: {key}" + ("  (replayed)" if headers.get("idempotent-replayed") else ""),
        file=sys.stderr,
    )
    if not args.wait:
        return 0
    status, order = _follow(args.url, body["orderId"], args.timeout)
    print(json.dumps(order, indent=2))
    final = order.get("status") if isinstance(order, dict) else None
    if final not in FINAL:
        print(f"orderflow: order still {final} after {args.timeout}s", file=sys.stderr)
        return 3
    return 0 if final == "FULFILLED" else 1


def _status(args: argparse.Namespace) -> int:
    status, _, body = _request("GET", f"{args.url}/orders/{args.order_id}")
    print(json.dumps(body, indent=2))
    return 0 if status == 200 else 2


def _asl(args: argparse.Namespace) -> int:
    from workflow.asl import compile_order_workflow, to_json

    sys.stdout.write(to_json(compile_order_workflow()))
    return 0


def _openapi(args: argparse.Namespace) -> int:
    from workflow.openapi import document, to_json

    sys.stdout.write(to_json(document()))
    return 0


def _connect(args: argparse.Namespace) -> Any:
    from workflow.targets import connect

    return connect(args.target, stack=args.stack, region=args.region, endpoint_url=args.endpoint_url)


def _workflow_update(args: argparse.Namespace) -> int:
    from workflow.publish import apply_update, plan_update

    target = _connect(args)
    plan = plan_update(target)
    if not plan.changed:
        print(f"{target.where}: alias {plan.alias_name} already runs the compiled definition; nothing to publish")
        return 0
    sys.stdout.write(plan.diff())
    if args.dry_run:
        print(f"(dry run: {target.where} was not changed)", file=sys.stderr)
        return 0
    result = apply_update(target, plan, args.description)
    print(f"published {result.version_arn}\nalias {result.alias_arn} -> it (100%)")
    return 0


def _dlq_list(args: argparse.Namespace) -> int:
    from workflow.operations import QUEUES, peek

    target = _connect(args)
    parked = [p for queue in ([args.queue] if args.queue else list(QUEUES)) for p in peek(target, queue, args.limit)]
    if args.json:
        print(json.dumps([p.to_dict() for p in parked], indent=2))
        return 0
    if not parked:
        print(f"{target.where}: the dead-letter queues are empty")
        return 0
    print(f"{'QUEUE':7} {'MESSAGE ID':36} {'SENT':25} {'RECV':>4}  {'ORDER':30} REASON")
    for p in parked:
        print(
            f"{p.queue:7} {p.message_id:36} {p.sent_at[:25]:25} {p.receive_count:>4}  {p.order_id or '-':30} {p.reason}"
        )
    return 0


def _dlq_show(args: argparse.Namespace) -> int:
    from workflow.operations import QUEUES, peek

    target = _connect(args)
    for queue in [args.queue] if args.queue else list(QUEUES):
        for parked in peek(target, queue, limit=10_000):
            if parked.message_id == args.message_id:
                print(json.dumps(parked.to_dict(), indent=2))
                try:
                    print(json.dumps(json.loads(parked.body), indent=2))
                except json.JSONDecodeError:
                    print(parked.body)
                return 0
    print(f"orderflow: no message {args.message_id} in the dead-letter queues", file=sys.stderr)
    return 2


def _dlq_redrive(args: argparse.Namespace) -> int:
    from workflow.operations import redrive

    target = _connect(args)
    result = redrive(target, args.queue, args.message_ids)
    if result.moved:
        print(f"{len(result.moved)} message(s) {result.how}: {', '.join(result.moved)}")
    elif result.how.startswith("message move task"):
        print(f"started SQS {result.how}: the {args.queue} DLQ drains back into the {args.queue} queue")
    else:
        print(f"nothing to redrive in the {args.queue} DLQ")
    if result.skipped:
        print(f"orderflow: not redriven (not found): {', '.join(result.skipped)}", file=sys.stderr)
        return 2
    return 0


def _executions(args: argparse.Namespace) -> int:
    from workflow.operations import executions

    target = _connect(args)
    found = executions(target, args.status, args.limit)
    if args.json:
        print(json.dumps([e.to_dict() for e in found], indent=2))
        return 0
    if not found:
        print(f"{target.where}: no {args.status.upper() + ' ' if args.status else ''}executions")
        return 0
    print(f"{'ORDER':30} {'STATUS':9} {'STARTED':25} {'STOPPED':25} FAILURE")
    for e in found:
        failure = f"{e.error} - {e.cause}" if e.error else ""
        print(f"{e.order_id:30} {e.status:9} {e.started:25} {e.stopped:25} {failure}")
    return 0


def _chaos(args: argparse.Namespace) -> int:
    from workflow.chaos import DEFAULT_PLAN, run_chaos
    from workflow.local.faults import FaultPlan

    plan = FaultPlan.load(args.faults) if args.faults else DEFAULT_PLAN
    report = run_chaos(
        args.orders,
        args.seed,
        plan,
        concurrency=args.concurrency,
        time_scale=args.time_scale,
        progress=lambda line: print(f"chaos: {line}", file=sys.stderr, flush=True),
    )
    return _report(report, args.json)


def _fuzz(args: argparse.Namespace) -> int:
    from workflow.local.fuzz import load_document, run_local_fuzz

    report = run_local_fuzz(
        args.cases,
        args.seed,
        load_document(args.document),
        time_scale=args.time_scale,
        request_timeout=args.request_timeout,
        deadline_seconds=args.deadline,
        progress=lambda line: print(f"fuzz: {line}", file=sys.stderr, flush=True),
    )
    return _report(report, args.json)


class _Report(Protocol):
    @property
    def ok(self) -> bool: ...

    def text(self) -> str: ...

    def to_json(self) -> str: ...


def _report(report: _Report, as_json: bool) -> int:
    """A run's readable report, and with --json one JSON line last (what scripts and the tests parse)."""
    print(report.text())
    if as_json:
        print(report.to_json())
    return 0 if report.ok else 1


def _redrive(args: argparse.Namespace) -> int:
    from workflow.operations import redrive_order

    target = _connect(args)
    arn = redrive_order(target, args.order_id)
    print(f"order {args.order_id} is REDRIVING: execution {arn}")
    print(f"follow it: orderflow status {args.order_id}   or: orderflow graph --execution {arn} --out run.svg")
    return 0


def _target_arguments(command: argparse.ArgumentParser, required: bool = False) -> None:
    command.add_argument(
        "--target",
        choices=("local", "aws"),
        required=required,
        default=None if required else "local",
        help="the running local system (default) or the deployed stack" if not required else None,
    )
    command.add_argument("--stack", help="CloudFormation stack name (aws; default orderflow or $ORDERFLOW_STACK)")
    command.add_argument("--region", help="AWS region (aws; default from your AWS configuration)")
    command.add_argument(
        "--endpoint-url", help="AWS endpoint (local default http://127.0.0.1:4566 or $ORDERFLOW_AWS_ENDPOINT)"
    )


def parser() -> argparse.ArgumentParser:  # noqa: PLR0915 - one flat list of subcommands, read top to bottom
    root = argparse.ArgumentParser(prog="orderflow", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)

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
    up.set_defaults(run=_up)

    submit = commands.add_parser("submit", help="POST an order (JSON file, or - for stdin)")
    submit.add_argument("file")
    submit.add_argument("--key", help="Idempotency-Key (default: a new UUID)")
    submit.add_argument("--wait", action="store_true", help="follow the order to FULFILLED or FAILED")
    submit.add_argument("--timeout", type=float, default=60.0)
    submit.add_argument("--url", default=DEFAULT_URL)
    submit.set_defaults(run=_submit)

    status = commands.add_parser("status", help="show an order")
    status.add_argument("order_id")
    status.add_argument("--url", default=DEFAULT_URL)
    status.set_defaults(run=_status)

    asl = commands.add_parser("asl", help="print the compiled Amazon States Language definition")
    asl.set_defaults(run=_asl)

    contract = commands.add_parser("openapi", help="print the orders API's OpenAPI 3.1 document (docs/openapi.json)")
    contract.set_defaults(run=_openapi)

    workflow = commands.add_parser("workflow", help="operate the deployed workflow").add_subparsers(
        dest="workflow_command", required=True
    )
    update = workflow.add_parser(
        "update",
        help="publish the compiled definition as a new version and move the live alias to it",
        description="Publish the definition compiled from workflow/ to a running state machine (new version, "
        "alias moved). Resources come from the target's outputs: the local system, or the deployed stack.",
    )
    _target_arguments(update, required=True)
    update.add_argument("--dry-run", action="store_true", help="print the ASL diff and change nothing")
    update.add_argument("--description", default="orderflow workflow update", help="the new version's description")
    update.set_defaults(run=_workflow_update)

    dlq = commands.add_parser("dlq", help="what is parked in the dead-letter queues, and redrive it").add_subparsers(
        dest="dlq_command", required=True
    )
    listing = dlq.add_parser("list", help="the messages in the order and alert DLQs (left in place)")
    listing.add_argument("queue", nargs="?", choices=("orders", "alerts"), help="one DLQ (default: both)")
    listing.add_argument("--limit", type=int, default=100)
    listing.add_argument("--json", action="store_true")
    _target_arguments(listing)
    listing.set_defaults(run=_dlq_list)
    show = dlq.add_parser("show", help="one parked message in full")
    show.add_argument("message_id")
    show.add_argument("--queue", choices=("orders", "alerts"))
    _target_arguments(show)
    show.set_defaults(run=_dlq_show)
    again = dlq.add_parser(
        "redrive",
        help="move parked messages back to the queue they came from",
        description="Without message ids, everything in the DLQ (on AWS, with an SQS message move task). Fix the "
        "cause first: a message that fails again comes back to the DLQ.",
    )
    again.add_argument("queue", choices=("orders", "alerts"))
    again.add_argument("message_ids", nargs="*", metavar="MESSAGE_ID")
    _target_arguments(again)
    again.set_defaults(run=_dlq_redrive)

    runs = commands.add_parser("executions", help="the newest executions, with why failed ones failed")
    runs.add_argument("--status", choices=("RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"), type=str.upper)
    runs.add_argument("--limit", type=int, default=20)
    runs.add_argument("--json", action="store_true")
    _target_arguments(runs)
    runs.set_defaults(run=_executions)

    rerun = commands.add_parser(
        "redrive",
        help="run a FAILED order again after its cause is fixed (a new execution takes the order over)",
    )
    rerun.add_argument("order_id")
    _target_arguments(rerun)
    rerun.set_defaults(run=_redrive)

    from workflow import graph_command

    graph_command.add_parser(commands, _target_arguments)

    chaos = commands.add_parser(
        "chaos",
        help="run orders through a local system under injected faults and check nothing is lost or doubled",
        description="Starts its own local system (not `orderflow up`), submits N orders with 20%% duplicates (half of "
        "them concurrent) and 10%% malformed ones under a fault plan, waits for quiescence and checks the invariants. "
        "Exit code 1 when one fails.",
    )
    chaos.add_argument("--orders", type=int, default=100)
    chaos.add_argument("--seed", type=int, default=1)
    chaos.add_argument("--concurrency", type=int, default=8)
    chaos.add_argument(
        "--time-scale", type=float, default=0.01, help="multiplies retry intervals and queue timeouts (default 0.01)"
    )
    chaos.add_argument("--faults", help="a JSON fault plan (workflow/local/faults.py); default: a moderate mix")
    chaos.add_argument("--json", action="store_true", help="end with one JSON line: the report")
    chaos.set_defaults(run=_chaos)

    fuzz = commands.add_parser(
        "fuzz",
        help="fuzz a local system's orders API from its OpenAPI document (schemathesis) and check every answer",
        description="Starts its own local system (not `orderflow up`), sends at least N generated requests (valid, "
        "invalid and unusual ones, Idempotency-Key replays included) and checks each answer against the OpenAPI "
        "document. Exit code 1 on any 5xx, any answer that breaks the document, or a run cut short.",
    )
    fuzz.add_argument("--cases", type=int, default=1000)
    fuzz.add_argument("--seed", type=int, default=1)
    fuzz.add_argument(
        "--time-scale", type=float, default=0.01, help="multiplies retry intervals and queue timeouts (default 0.01)"
    )
    fuzz.add_argument("--document", help="an OpenAPI document (JSON file); default: workflow.openapi.document()")
    fuzz.add_argument("--request-timeout", type=float, default=10.0, help="seconds per request (default 10)")
    fuzz.add_argument("--deadline", type=float, default=900.0, help="seconds for the whole run (default 900)")
    fuzz.add_argument("--json", action="store_true", help="end with one JSON line: the report")
    fuzz.set_defaults(run=_fuzz)
    return root


def main(argv: list[str] | None = None) -> int:
    from botocore.exceptions import BotoCoreError, ClientError

    from workflow.targets import TargetError

    args = parser().parse_args(argv)
    try:
        result: int = args.run(args)
    except TargetError as e:
        print(f"orderflow: {e}", file=sys.stderr)
        return 2
    except ClientError as e:
        error = e.response.get("Error", {})
        print(
            f"orderflow: AWS refused {e.operation_name}: {error.get('Code')}: {error.get('Message')}", file=sys.stderr
        )
        return 2
    except BotoCoreError as e:
        print(f"orderflow: {e}", file=sys.stderr)
        return 2
    return result


if __name__ == "__main__":
    sys.exit(main())
