"""Edge coverage of the order workflow over the test suite (workflow.graph.coverage), as a pytest plugin that
tests/conftest.py loads for every tier.

What each process hears:
- every TestState answer and every `run_definition` run of the kit (workflow.testing.OBSERVERS);
- every execution the local runtime ran (Standard and Express): at the end of each test module, the executions in
  moto's backend that ended since the last look, each history read once from the engine (Express keeps none
  behind the API; the engine holds its events as it holds Standard's). Read from the backend, not the API: no call
  is metered, granted or faulted. An execution counts for its state machine's type when it ran the order workflow
  of that type (the same signature: workflow.graph.coverage). A runtime stopped inside a module (a test's own),
  and runs in other processes (notebooks, chaos, fuzz), are not heard.

Each process writes what it heard at its session's end to build/edge-coverage/<worker>-<pid>.json (xdist workers
write one each; a run without xdist writes `main-<pid>.json`); `orderflow coverage` merges the files. Nothing here
clears the folder: `make test` removes it before pytest runs. The handler tier on Lambda's Python
(ORDERFLOW_LAMBDA_RUNTIME) hears and writes nothing, nor does a run with ORDERFLOW_EDGE_COVERAGE=0.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from workflow.graph.coverage import Collector
    from workflow.testing import Heard

ROOT = Path(__file__).resolve().parents[2]
RECORDS = ROOT / "build" / "edge-coverage"
ON = not os.environ.get("ORDERFLOW_LAMBDA_RUNTIME") and os.environ.get("ORDERFLOW_EDGE_COVERAGE") != "0"


class _Hearing:
    def __init__(self) -> None:
        from workflow.asl import WORKFLOW_TYPES, compile_order_workflow
        from workflow.graph.coverage import Collector

        self.collector: Collector = Collector({kind: compile_order_workflow(kind) for kind in WORKFLOW_TYPES})
        self.read: set[tuple[str, object]] = set()  # executions already read: (ARN, start date)

    def heard(self, heard: Heard) -> None:
        if heard.result is not None:
            result = heard.result
            self.collector.heard_test_state(
                heard.definition,
                heard.state_name,
                result.status,
                result.next_state,
                result.retry_index,
                result.catch_index,
            )
        elif heard.run is not None:
            self.collector.heard_execution(heard.definition, heard.run.events, "STANDARD")

    def sweep(self) -> None:
        """Every execution in moto's backend that has ended and was not read yet."""
        if "moto.stepfunctions.parser.models" not in sys.modules:
            return  # nothing ran an execution in this process
        from moto.stepfunctions.parser.models import stepfunctions_parser_backends

        for regions in list(stepfunctions_parser_backends.values()):
            for backend in list(regions.values()):
                for machine in list(backend.state_machines):
                    for instance in [machine, *list(getattr(machine, "versions", {}).values())]:
                        for execution in list(instance.executions):
                            self._read(machine, execution)

    def _read(self, machine: Any, execution: Any) -> None:
        if execution.stop_date is None:
            return  # still running: a later look reads it
        seen = (str(execution.exec_arn), execution.start_date)
        if seen in self.read:
            return
        self.read.add(seen)
        # The state machine's type, as workflow.emulator.express reads it (`sm_type` says STANDARD for Express too).
        kind = getattr(machine, "type", None) or machine.sm_type
        events = execution.to_history_output()["events"]
        self.collector.heard_execution(execution.state_machine.definition, events, str(getattr(kind, "value", kind)))


HEARING: _Hearing | None = None


def pytest_configure(config: pytest.Config) -> None:
    global HEARING  # noqa: PLW0603 - one per process
    if not ON or HEARING is not None:
        return
    from workflow import testing

    HEARING = _Hearing()
    testing.OBSERVERS.append(HEARING.heard)


@pytest.fixture(scope="module", autouse=True)
def _edge_coverage_sweep() -> Iterator[None]:
    """After each module (set up before its fixtures, so torn down after them, the runtime still running)."""
    yield
    if HEARING is not None:
        HEARING.sweep()


def pytest_sessionfinish(session: pytest.Session) -> None:
    if HEARING is None:
        return
    worker: dict[str, Any] | None = getattr(session.config, "workerinput", None)
    if worker is None and session.config.pluginmanager.has_plugin("dsession"):
        return  # the xdist controller runs no test: its workers write
    name = f"{worker['workerid'] if worker else 'main'}-{os.getpid()}"
    HEARING.sweep()  # what ended after the last module's sweep
    RECORDS.mkdir(parents=True, exist_ok=True)
    partial = RECORDS / f"{name}.partial"
    partial.write_text(json.dumps(HEARING.collector.record(name), sort_keys=True), encoding="utf-8")
    partial.replace(RECORDS / f"{name}.json")
