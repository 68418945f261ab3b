"""The entry points: a bounded fuzz run against an API at any base URL, or against a local system it starts and
stops itself (as `orderflow chaos` does)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from workflow.harness.fuzz.cases import load_schema
from workflow.harness.fuzz.fuzzer import Fuzzer
from workflow.harness.fuzz.report import FuzzReport

REQUEST_TIMEOUT_SECONDS = 10.0
DEADLINE_SECONDS = 900.0


def run_fuzz(
    base_url: str,
    document: dict[str, Any],
    cases: int,
    seed: int,
    *,
    request_timeout: float = REQUEST_TIMEOUT_SECONDS,
    deadline_seconds: float = DEADLINE_SECONDS,
    explain_server_error: Callable[[], str | None] | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> FuzzReport:
    """At least `cases` requests against the API at `base_url`, drawn from `document` (OpenAPI) and checked
    against it. Deterministic for a seed as far as the answers allow (which orders exist, which keys replay)."""
    started = time.monotonic()
    report = FuzzReport(requested=cases, seed=seed, base_url=base_url)
    fuzzer = Fuzzer(
        base_url,
        load_schema(document),
        report,
        seed,
        request_timeout,
        started + deadline_seconds,
        explain_server_error,
        progress,
    )
    try:
        fuzzer.run(cases)
    finally:
        report.seconds = time.monotonic() - started
    return report


def load_document(path: str | None = None) -> dict[str, Any]:
    """The OpenAPI document: a JSON file, or by default the one the code builds (workflow.openapi)."""
    if path:
        with open(path, encoding="utf-8") as file:
            loaded: dict[str, Any] = json.load(file)
        return loaded
    from workflow import openapi

    return openapi.document()


def run_local_fuzz(
    cases: int,
    seed: int,
    document: dict[str, Any],
    *,
    time_scale: float = 0.01,
    request_timeout: float = REQUEST_TIMEOUT_SECONDS,
    deadline_seconds: float = DEADLINE_SECONDS,
    progress: Callable[[str], None] = lambda _: None,
) -> FuzzReport:
    """Starts its own local system (as `orderflow chaos` does), fuzzes its API, stops it."""
    import os

    from workflow.local.runtime import LocalRuntime, RuntimeConfig

    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "CRITICAL")  # the report is the output, not a log line per case
    runtime = LocalRuntime(RuntimeConfig(time_scale=time_scale, seed=seed, log_invocation_errors=False)).start()
    last_error = _capture_api_errors(runtime)
    try:
        api = runtime.serve_api(port=0)
        progress(f"fuzzing {api.url} with {cases} cases (seed {seed})")
        return run_fuzz(
            api.url,
            document,
            cases,
            seed,
            request_timeout=request_timeout,
            deadline_seconds=deadline_seconds,
            explain_server_error=last_error,
            progress=progress,
        )
    finally:
        runtime.stop()


def _capture_api_errors(runtime: Any) -> Callable[[], str | None]:
    """A 500 from the local API says only "see the logs"; the report is more useful with the exception that caused
    it. Requests go out one at a time, so the API function's latest failure belongs to the latest 5xx."""
    lambdas = runtime.lambdas
    invoke = getattr(lambdas, "invoke", None)
    latest: list[str | None] = [None]
    if invoke is None:
        return lambda: None

    def recording(function: Any, event: Any) -> Any:
        result = invoke(function, event)
        payload, errored = result[0], result[1]
        if errored and getattr(function, "name", None) == "StartWorkflow":
            try:
                error = json.loads(payload)
                frames = error.get("stackTrace") or []
                where = frames[-1].strip().splitlines()[0] if frames else ""
                latest[0] = f"{error.get('errorType')}: {error.get('errorMessage')} at {where}".strip()
            except (ValueError, AttributeError):
                latest[0] = "StartWorkflow failed"
        return result

    lambdas.invoke = recording

    def take() -> str | None:
        explanation, latest[0] = latest[0], None
        return explanation

    return take
