"""A pytest kit for Step Functions definitions: TestState and whole executions, offline and in-process (no ports).

    from workflow.testing import local_stepfunctions, order_workflow, run_definition, test_state

    with local_stepfunctions():                        # moto, patched as the local system patches it
        result = test_state(order_workflow(), state_name="CreateOrder", input={...},
                            mock_error=("OrderStoreUnavailable", "down"), retrier_retry_count=1)
        assert (result.status, result.retry_backoff_seconds) == ("RETRIABLE", 2)
        run = run_definition({"StartAt": "A", "States": {...}}, input={"n": 1})
        assert run.path == ("A", "B")

- `local_stepfunctions()` yields a boto3 Step Functions client served in-process by moto (`mock_aws`), with the
  emulator's patch table installed the one way the local runtime installs it (workflow.emulator.table.install with
  a Wiring), and uninstalled on exit. When this process already runs a local system (a LocalRuntime, the
  integration tier's, a notebook's), its patched moto serves the client and nothing is installed or undone.
- `test_state(...)` (also `run_test_state`, a name pytest never collects) sends one TestState request and returns
  a `StateResult` (status, next state, parsed output, error, cause, retry and catch details, the inspection data).
  `inspection_level` defaults to DEBUG, which the retry and catch details need. The request is AWS's
  (API_TestState), so the same call works against AWS's TestState with an AWS client passed as `client`.
- `run_definition(definition, input)` creates the definition as a Standard state machine, runs one execution to its
  end and returns a `Run`: the path taken (state names), each state's input and output, the raw history events.
- `run_case(definition, case, mocks=... | mock_config=FILE)` runs a whole execution with mocked integrations, a
  Step Functions Local mock file's test case or the same mocks given inline, in virtual time (Waits and retry
  backoff show in the events' timestamps, not on the clock), and returns a `Run`.
- `order_workflow(workflow_type, query_language)` is the order workflow compiled with the local system's
  substitutions (ARNs, queue URL, table name), ready for `test_state(..., state_name=...)`.

    endpoint.py    local_stepfunctions, order_workflow, the JSON text requests and answers go through
    states.py      test_state: StateResult, Inspection
    runs.py        run_definition and run_case: Run, Step
    observers.py   OBSERVERS, Heard

Each TestState answer and each run is told to the callables in `OBSERVERS` (`Heard`: the definition's text, the
state's name, the result or the run), e.g. the test suite's edge coverage (tests/support/edge_coverage.py).

No Lambda function runs here: mock a Task's result or error (`mock_result`, `mock_error`), as AWS's TestState lets
you; an unmocked Lambda Task fails with the function not found. A Retry's wait is scaled by `retry_scale` (0 by
default: retries do not wait).
"""

from __future__ import annotations

from workflow.testing.endpoint import ROLE_ARN, local_stepfunctions, order_workflow
from workflow.testing.observers import OBSERVERS, Heard
from workflow.testing.runs import Run, Step, run_case, run_definition
from workflow.testing.states import Inspection, StateResult, run_test_state, test_state

__all__ = [
    "OBSERVERS",
    "ROLE_ARN",
    "Heard",
    "Inspection",
    "Run",
    "StateResult",
    "Step",
    "local_stepfunctions",
    "order_workflow",
    "run_case",
    "run_definition",
    "run_test_state",
    "test_state",
]
