"""`orderflow up`: the local system (AWS on moto) with its orders API and AWS endpoint, until Ctrl-C."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from workflow.cli.common import Commands, workflow_type_argument

if TYPE_CHECKING:
    from workflow.cli.terminal import Installed, OrderConsole
    from workflow.console import Console
    from workflow.local.runtime import LocalRuntime


def _alert_targets(runtime: LocalRuntime) -> tuple[list[str], list[str], str]:
    """Which alert targets are on (ALERT_TARGETS) and configured locally, and what the others lack: their names (the
    log's included), and the banner's sentence."""
    from handlers.adapters.alert_targets import TargetConfig
    from handlers.alert_registry import BY_NAME, target_names

    on, off, lacking = ["log (below)"], [], []
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
            lacking.append(name)
    said = ", ".join(on)
    if off:
        said += "; not configured: " + "; ".join(off)
    names = ["log", *on[1:]]
    return names, lacking, said + " (ALERT_TARGETS picks them: slack, webhook, pagerduty, teams, email)"


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
    up.add_argument(
        "--log-format",
        choices=("pretty", "json"),
        help="pretty: one line per order event (status change, step and duration, failures in red, alerts, DLQ "
        "parks); json: the handlers' JSON log lines. Default: pretty on a terminal, json otherwise",
    )
    up.add_argument("--quiet", action="store_true", help="pretty only: print failures only (failed steps, alerts, DLQ)")
    up.add_argument(
        "--console-port",
        type=int,
        default=8900,
        help="the console in the browser, on 127.0.0.1 (default 8900; 0 turns it off)",
    )
    up.add_argument(
        "--mock-config",
        metavar="FILE",
        help="Step Functions Local's mock configuration: StartExecution on <state machine ARN>#<test case> runs that "
        "case with its mocked responses, in virtual time (sets SFN_MOCK_CONFIG, which is read when this is not given)",
    )
    up.set_defaults(run=_up)


def _mocks(given: str | None) -> str | None:
    """The mock configuration this system serves, checked now (a broken file stops `up`); what to say about it."""
    from workflow.emulator import mock_config

    if given:
        os.environ[mock_config.ENVIRONMENT_VARIABLE] = os.path.abspath(given)
    config = mock_config.current()
    if config is None:
        return None
    cases = sum(len(cases) for cases in config.state_machines.values())
    return (
        f"{config.source} ({cases} test case(s) of {len(config.state_machines)} state machine(s)): "
        "StartExecution on <state machine ARN>#<test case>"
    )


def _up(args: argparse.Namespace) -> int:
    from workflow.cli import terminal
    from workflow.emulator.mock_config import MockConfigError
    from workflow.local.runtime import LocalRuntime, RuntimeConfig

    try:
        mocks_said = _mocks(args.mock_config)
    except (MockConfigError, OSError) as e:
        print(f"orderflow: the mock configuration cannot be used: {e}", file=sys.stderr)
        return 2
    pretty = terminal.log_format(args.log_format, sys.stdout) == terminal.PRETTY
    runtime = LocalRuntime(
        RuntimeConfig(
            time_scale=args.time_scale,
            workflow_type=args.workflow_type,
            express_log_level=args.express_log_level,
            # On the pretty console a failed invocation is a line of its own (the REPORT record), not a JSON line.
            log_invocation_errors=not pretty,
        )
    ).start()
    browser: Console | None = None
    try:
        api = runtime.serve_api(host=args.host, port=args.port)
        aws_endpoint = runtime.serve_aws(host=args.aws_host, port=args.aws_port)
        if args.console_port:
            from workflow.console import Console
            from workflow.ops.targets import connect

            # The console reads this system as an operator would: through its AWS endpoint (loopback only).
            browser = Console(connect("local", endpoint_url=aws_endpoint), port=args.console_port).start()
    except OSError as e:
        runtime.stop()
        ports = f"API port {args.port}, AWS port {args.aws_port}, console port {args.console_port}"
        print(f"orderflow: cannot serve on {args.host} ({ports}): {e.strerror or e}", file=sys.stderr)
        return 1
    targets, unconfigured, targets_said = _alert_targets(runtime)
    console_said = f"{browser.url}/   (orders, executions, alerts, DLQs, the workflow)" if browser else "off"
    logs = "one line per order event" if pretty else "one JSON object per line"
    mocks_line = f"\n  Mocks:  {mocks_said}" if mocks_said else ""
    if pretty and args.quiet:
        logs = "failures only (--quiet)"
    print(
        f"""orderflow is running locally (AWS on moto, {args.workflow_type} state machine {runtime.state_machine_arn}).
  API:    {api.url}
  Alerts: {targets_said}
  Submit: curl -s -X POST {api.url}/orders -H 'Content-Type: application/json' \\
            -H "Idempotency-Key: order-$(date +%s)-$RANDOM" \\
            -d '{{"customerId":"c-1","currency":"EUR","items":[{{"sku":"BOOK-1","quantity":2,"unitPrice":"12.50"}}]}}'
          or: orderflow submit examples/order.json --wait
  Status: curl -s {api.url}/orders/<orderId>   or: orderflow status <orderId>
  AWS:    {aws_endpoint}   (this system's AWS APIs, for the CLI and boto3: orderflow workflow update --target local)
  Console: {console_said}{mocks_line}
Logs follow, {logs} (--log-format pretty|json). Ctrl-C stops.""",
        flush=True,
    )
    console = _console(runtime, targets, unconfigured, args.quiet) if pretty else None
    stop = threading.Event()
    if console is not None:
        threading.Thread(target=_watch_dlqs, args=(runtime, console[1], stop), name="dlq-watch", daemon=True).start()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    try:
        stop.wait()
        print("\norderflow: stopping", file=sys.stderr)
    finally:
        if console is not None:
            console[0].remove()
        if browser is not None:
            browser.stop()
        runtime.stop()
    return 0


def _console(
    runtime: LocalRuntime, targets: list[str], unconfigured: list[str], quiet: bool
) -> tuple[Installed, OrderConsole]:
    """The pretty console in place of the handlers' JSON lines (workflow.cli.terminal)."""
    from handlers.alert_registry import BY_NAME
    from handlers.domain.alert_routes import RoutesError, parse_routes
    from handlers.domain.alerts import Alert
    from workflow.cli.terminal import Installed, OrderConsole, powertools_keys, use_colour

    try:
        routes = parse_routes(runtime.resolve_setting("ALERT_ROUTES"), BY_NAME)
    except RoutesError:
        routes = None  # the AlertHandler logs the problem; every target is shown

    def routed(fields: Mapping[str, Any], on: Sequence[str]) -> Iterable[str]:
        if routes is None:
            return on
        alert = Alert.from_data(
            {
                "type": "ORDER_STUCK" if fields.get("alert_type") == "ORDER_STUCK" else "ORDER_FAILED",
                "orderId": fields.get("alert_order_id"),
                "failedState": fields.get("failed_state"),
                "error": fields.get("error"),
            }
        )
        return routes.targets_for(alert, on, resolution="failed_state" not in fields)

    def write(line: str) -> None:
        print(line, flush=True)

    console = OrderConsole(
        write,
        colour=use_colour(sys.stdout),
        quiet=quiet,
        keys=powertools_keys(),
        targets=targets,
        unconfigured=unconfigured,
        routed=routed,
    )
    return Installed(console), console


def _watch_dlqs(runtime: LocalRuntime, console: OrderConsole, stop: threading.Event, every: float = 2.0) -> None:
    """A message parked in a dead-letter queue is a line: SQS moves it there itself, so no record says so; their
    depths are read every `every` seconds (as the stack's DLQ alarms read them on AWS)."""
    held = dict.fromkeys((name for name in runtime.queue_urls if name.endswith("-dlq")), 0)
    while not stop.wait(every):
        for name in held:
            try:
                answer = runtime.sqs.get_queue_attributes(
                    QueueUrl=runtime.queue_urls[name],
                    AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
                )
            except Exception:  # stopping, or briefly failing: the next read comes anyway  # noqa: S112
                continue
            count = sum(int(v) for v in answer.get("Attributes", {}).values())
            if count > held[name]:
                console.parked(name, count - held[name], count)
            held[name] = count
