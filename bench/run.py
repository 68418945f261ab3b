"""`make bench`: how fast the local pipeline is, against the engine it runs on, measured in one run.

Prints one JSON document and writes it to build/bench.json:

- http:     orders/s and POST -> FULFILLED latency (p50, p95) through the local HTTP API, at concurrency 1 and 8
- ceiling:  moto's bare interpreter on a chain of Pass states as long as the happy path, started from as many
            threads, in the same process and run; `ratio` is the pipeline's orders/s over its executions/s
- imports:  each handler's cold import and init (a fresh interpreter each) against `import boto3` plus one client
- query_languages: the same pipeline with the workflow in JSONata (what ships) and in JSONPath, published in turn
            to the running system (rounds alternate, so drift hits both); `ratio` is JSONata's orders/s over JSONPath's
- memory:   resident memory growth per 1,000 orders, after a warm-up
- chaos:    the wall time of a 500-order chaos run (`--chaos-orders 0` skips it)
- console_order_page_ms: the console's order page, server time (median), on a fresh local system of its own and
            with `--console-orders` (3,000) synthetic orders seeded into its table; console_orders_first_read_ms: the
            orders list's first read of that table (workflow.console.bench); console_orders_list: the orders list
            with `--console-list-orders` (10,000) in the table: its first page (the first read of the index, then
            warm), FAILED in the last 24 h (first read), and how long after its write a new order shows in it
- virtual_time: a mocked case with a one-day Wait and six retries with backoff (run_case, in virtual time): its wall
            time, and the time its history spans (examples/sfn-local-mocks: PaymentReminder#PaidAfterRetries)

A benchmark, not a test: nothing here passes or fails; the figures go in notes and the README.
"""

from __future__ import annotations

import os

# Figures, not thousands of log lines: set before anything imports the handlers' logger, which reads it once.
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")

import argparse
import json
import statistics
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests

from workflow.asl import compile_order_workflow
from workflow.console.bench import measure
from workflow.definition import JSONATA, JSONPATH, QUERY_LANGUAGES
from workflow.harness.progress import progress
from workflow.local.runtime import TERMINAL, LocalRuntime, RuntimeConfig
from workflow.local.samples import sample_order
from workflow.local.waiting import poll_until
from workflow.manifest import MANIFEST, Setting, WorkflowType
from workflow.ops.local_names import LocalNames
from workflow.ops.targets import connect
from workflow.ops.update import apply_update, plan_update
from workflow.testing import local_stepfunctions, run_case

REPO = Path(__file__).resolve().parent.parent
HANDLERS = [f.handler.rsplit(".", 1)[0] for f in MANIFEST.functions]


def happy_path_length(definition: dict[str, Any]) -> int:
    """States a FULFILLED order's execution enters: from StartAt along Next/Default to the end."""
    states, name, count = definition["States"], definition["StartAt"], 0
    while name:
        count += 1
        state = states[name]
        name = state.get("Next") or state.get("Default")
    return count


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def through_http(runtime: LocalRuntime, url: str, orders: int, concurrency: int) -> dict[str, float]:
    local = threading.local()

    def one(_: int) -> float:
        session = getattr(local, "session", None) or requests.Session()
        local.session = session
        started = time.perf_counter()
        answer = session.post(
            f"{url}/orders", json=sample_order(), headers={"Idempotency-Key": str(uuid.uuid4())}, timeout=30
        )
        answer.raise_for_status()
        runtime.wait_for_order(answer.json()["orderId"], ["FULFILLED"], timeout=120)
        return time.perf_counter() - started

    began = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        latencies = list(pool.map(one, range(orders)))
    seconds = time.perf_counter() - began
    return {
        "orders": orders,
        "concurrency": concurrency,
        "orders_per_second": round(orders / seconds, 2),
        "p50_ms": round(1000 * statistics.median(latencies)),
        "p95_ms": round(1000 * percentile(latencies, 0.95)),
    }


def engine_ceiling(runtime: LocalRuntime, states: int, executions: int, concurrency: int) -> dict[str, float]:
    """The same interpreter with nothing to do: `states` Pass states, executions started and awaited as ours are."""
    names = [f"Step{i}" for i in range(states)]
    chain: dict[str, dict[str, Any]] = {n: {"Type": "Pass", "Next": names[i + 1]} for i, n in enumerate(names[:-1])}
    chain[names[-1]] = {"Type": "Pass", "End": True}
    machine = runtime.sfn.create_state_machine(
        name=f"bench-ceiling-{uuid.uuid4().hex[:8]}",
        definition=json.dumps({"StartAt": names[0], "States": chain}),
        roleArn=f"arn:aws:iam::123456789012:role/{MANIFEST.functions[0].name}",
    )["stateMachineArn"]

    def one(_: int) -> None:
        arn = runtime.sfn.start_execution(stateMachineArn=machine, name=uuid.uuid4().hex, input="{}")["executionArn"]
        poll_until(
            lambda: runtime.sfn.describe_execution(executionArn=arn)["status"] in TERMINAL,
            timeout=60,
            what="a Pass chain's end",
            first=0.005,
            longest=0.1,
        )

    began = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, range(executions)))
    return {
        "states": states,
        "executions": executions,
        "concurrency": concurrency,
        "executions_per_second": round(executions / (time.perf_counter() - began), 2),
    }


def query_languages(runtime: LocalRuntime, url: str, orders: int, rounds: int) -> dict[str, Any]:
    """Orders/s at concurrency 8 with each language's definition live, `rounds` alternating rounds of `orders`."""
    target = connect("local", endpoint_url=runtime.aws_endpoint or runtime.serve_aws(port=0))
    seen: dict[str, list[dict[str, float]]] = {language: [] for language in QUERY_LANGUAGES}
    for _ in range(rounds):
        for language in QUERY_LANGUAGES:
            definition = compile_order_workflow(runtime.config.workflow_type, query_language=language)
            apply_update(target, plan_update(target, definition), f"bench: {language}")
            through_http(runtime, url, 10, 8)  # its first executions parse the new definition
            seen[language].append(through_http(runtime, url, orders, 8))
    apply_update(target, plan_update(target), "bench: as compiled")
    result: dict[str, Any] = {
        language: {
            "orders_per_second": statistics.median(r["orders_per_second"] for r in runs),
            "p50_ms": statistics.median(r["p50_ms"] for r in runs),
            "p95_ms": statistics.median(r["p95_ms"] for r in runs),
            "rounds": [r["orders_per_second"] for r in runs],
        }
        for language, runs in seen.items()
    }
    result["orders"], result["ratio"] = (
        orders,
        round(result[JSONATA]["orders_per_second"] / result[JSONPATH]["orders_per_second"], 3),
    )
    return result


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def memory_growth(runtime: LocalRuntime, url: str, orders: int) -> dict[str, float]:
    through_http(runtime, url, 50, 8)  # warm-up: caches, clients, first-use allocations
    before = rss_mb()
    through_http(runtime, url, orders, 8)
    after = rss_mb()
    return {
        "orders": orders,
        "rss_before_mb": round(before, 1),
        "per_1000_orders_mb": round((after - before) * 1000 / orders, 1),
    }


def _timed(code: str, environment: dict[str, str]) -> float:
    """Seconds a fresh interpreter spends on `code` (it prints them), the median of three."""
    runs = []
    for _ in range(3):
        printed = subprocess.run(  # noqa: S603 - this interpreter, our own code
            [sys.executable, "-c", f"import time; t = time.perf_counter(); {code}; print(time.perf_counter() - t)"],
            env=environment,
            capture_output=True,
            text=True,
            check=True,
            cwd=REPO,
        ).stdout
        runs.append(float(printed.strip().splitlines()[-1]))
    return statistics.median(runs)


def cold_imports() -> dict[str, Any]:
    """Each handler module imported and initialised (its clients made) with a function's environment."""
    environment = {
        **os.environ,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "x",
    }
    names = LocalNames()
    for function in MANIFEST.functions:
        environment.update(
            {
                key: "STANDARD" if isinstance(ref, WorkflowType) else names.resolve(ref)
                for key, ref in function.environment.items()
                if not isinstance(ref, Setting)
            }
        )
    bare = _timed("import boto3; boto3.client('dynamodb')", environment)
    handlers = {module: _timed(f"import {module}", environment) for module in HANDLERS}
    return {
        "bare_boto3_ms": round(1000 * bare),
        "handlers_ms": {module: round(1000 * seconds) for module, seconds in handlers.items()},
        "worst_ratio": round(max(handlers.values()) / bare, 2),
    }


def chaos_seconds(orders: int) -> float | None:
    if not orders:
        return None
    printed = subprocess.run(  # noqa: S603 - this interpreter, our own CLI
        [sys.executable, "-m", "workflow.cli", "chaos", "--orders", str(orders), "--seed", "1", "--json"],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
        timeout=900,
    ).stdout
    report = json.loads(printed.strip().splitlines()[-1])
    if report["violations"]:
        raise SystemExit(f"bench: the chaos run broke an invariant: {report['violations'][:3]}")
    return float(report["seconds"])


def console_pages(seeded: int, listed: int = 0) -> dict[str, Any]:
    """The console's order page on a local system of its own (so nothing else here changes): a FULFILLED order's
    page, fresh, then with `seeded` synthetic orders in the table (0 skips that); then the orders list with `listed`
    orders in the table (0, or no more than `seeded`, skips that)."""
    with LocalRuntime(RuntimeConfig(time_scale=0.01, log_invocation_errors=False)) as runtime:
        url = runtime.serve_api(port=0).url
        answer = requests.post(
            f"{url}/orders", json=sample_order(), headers={"Idempotency-Key": str(uuid.uuid4())}, timeout=30
        )
        answer.raise_for_status()
        order_id = answer.json()["orderId"]
        runtime.wait_for_order(order_id, ["FULFILLED"], timeout=120)
        target = connect("local", endpoint_url=runtime.serve_aws(port=0))
        fresh = measure(target, order_id, repeat=7).figures
        pages = {"fresh": round(fresh["order page"], 1)}
        first_read = {}
        if seeded:
            many = measure(target, order_id, seed=seeded, repeat=7).figures
            pages[f"orders_{seeded}"] = round(many["order page"], 1)
            first_read[f"orders_{seeded}"] = round(many["orders list, first page (cold: reads the index)"])
        listing: dict[str, Any] = {}
        if listed > seeded:
            figures = measure(target, order_id, seed=listed - seeded, repeat=7).figures
            listing = {
                "orders": listed,
                "first_page_first_read_ms": round(figures["orders list, first page (cold: reads the index)"]),
                "first_page_warm_ms": round(figures["orders list, first page (warm)"], 1),
                "failed_24h_first_read_ms": round(figures["orders list, FAILED in the last 24h (cold)"]),
                "page_read_ms": round(figures["orders list, a page read (a Query per shard)"]),
                "new_order_shows_after_ms": round(figures["orders list, a new order shows after"]),
            }
    return {"console_order_page_ms": pages, "console_orders_first_read_ms": first_read, "console_orders_list": listing}


EXAMPLE = REPO / "examples" / "sfn-local-mocks"


def virtual_time_case(repeat: int = 7) -> dict[str, Any]:
    """A mocked case with a one-day Wait and six retries with backoff, through the pytest kit's run_case on the
    local engine (in-process): its wall time against the time its history spans (what AWS would have taken)."""
    definition = (EXAMPLE / "PaymentReminder.asl.json").read_text(encoding="utf-8")
    walls: list[float] = []
    spans: list[float] = []
    with local_stepfunctions():
        for _ in range(repeat):
            started = time.perf_counter()
            run = run_case(
                definition,
                "PaidAfterRetries",
                machine="PaymentReminder",
                mock_config=EXAMPLE / "MockConfigFile.json",
                input={"invoice": "inv-bench", "amount": "1.00"},
            )
            walls.append(time.perf_counter() - started)
            if run.status != "SUCCEEDED":
                raise SystemExit(f"bench: the mocked case ended {run.status}: {run.error} {run.cause}")
            stamps = [event["timestamp"] for event in run.events]
            spans.append((stamps[-1] - stamps[0]).total_seconds())
            retries = sum(1 for event in run.events if event["type"] == "TaskFailed")
    return {
        "case": "PaymentReminder#PaidAfterRetries: Wait 86,400 s, 6 retries (5 s x 2^n, FULL jitter, max 120 s)",
        "retries": retries,
        "wall_seconds_median": round(statistics.median(walls), 3),
        "wall_seconds_max": round(max(walls), 3),
        "history_spans_seconds_median": round(statistics.median(spans)),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int, default=200, help="orders at concurrency 8 (default 200)")
    parser.add_argument("--chaos-orders", type=int, default=500)
    parser.add_argument("--language-rounds", type=int, default=3, help="JSONata/JSONPath rounds (default 3)")
    parser.add_argument(
        "--console-orders", type=int, default=3000, help="orders seeded for the console's figures (default 3000)"
    )
    parser.add_argument(
        "--console-list-orders",
        type=int,
        default=10_000,
        help="orders in the table for the console's orders-list figures (default 10000; 0 skips them)",
    )
    parser.add_argument("--out", default=str(REPO / "build" / "bench.json"))
    args = parser.parse_args(argv)
    states = happy_path_length(compile_order_workflow())
    result: dict[str, Any] = {"machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]}}
    with progress("bench", total=9) as bar:  # the nine measurements below, on stderr on a terminal
        started = False

        def step(what: str) -> None:
            nonlocal started
            if started:
                bar.advance()
            started = True
            bar.note(what)

        with LocalRuntime(RuntimeConfig(time_scale=0.01, log_invocation_errors=False)) as runtime:
            url = runtime.serve_api(port=0).url
            through_http(runtime, url, 20, 4)  # warm-up
            step("HTTP API, concurrency 1")
            result["http_c1"] = through_http(runtime, url, 30, 1)
            step("HTTP API, concurrency 8")
            result["http_c8"] = through_http(runtime, url, args.orders, 8)
            step(f"bare engine: {states} Pass states")
            result["ceiling"] = engine_ceiling(runtime, states, args.orders, 8)
            ratio = result["http_c8"]["orders_per_second"] / result["ceiling"]["executions_per_second"]
            result["ratio"] = round(ratio, 2)
            step(f"JSONata and JSONPath, {args.language_rounds} rounds each")
            result["query_languages"] = query_languages(runtime, url, args.orders // 2, args.language_rounds)
            step("memory growth")
            result["memory"] = memory_growth(runtime, url, 300)
        step("cold imports")
        result["imports"] = cold_imports()
        step(f"chaos, {args.chaos_orders} orders")
        result["chaos_500_seconds"] = chaos_seconds(args.chaos_orders)
        step(f"console: an order's page with {args.console_orders} orders, the list with {args.console_list_orders}")
        result.update(console_pages(args.console_orders, args.console_list_orders))
        step("virtual time: a mocked one-day Wait and six retries")
        result["virtual_time"] = virtual_time_case()
        bar.advance()
    text = json.dumps(result, indent=2)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(text + "\n", encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
