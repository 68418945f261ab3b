"""A Step Functions Local test suite runs unchanged against the local system's AWS endpoint: the sample suite in
examples/sfn-local-mocks (its state machines, its MockConfigFile.json and its tests, written for
`amazon/aws-stepfunctions-local`) is run by pytest in a process of its own, pointed at this system's endpoint with
`SFN_ENDPOINT`, as a team would point it at `orderflow up --mock-config`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from workflow.emulator import mock_config
from workflow.local.runtime import LocalRuntime

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sfn-local-mocks"


def test_the_sample_suite_runs_unchanged(runtime: LocalRuntime) -> None:
    endpoint = runtime.aws_endpoint or runtime.serve_aws(port=0)
    environment = {**os.environ, "SFN_ENDPOINT": endpoint}
    environment.pop("SQS_ENDPOINT", None)
    # The endpoint serves from this process: the file is put in place here, as SFN_MOCK_CONFIG would at `up`.
    with mock_config.using(mock_config.load(EXAMPLE / "MockConfigFile.json")):
        finished = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(EXAMPLE)],
            capture_output=True,
            text=True,
            env=environment,
            timeout=120,
            check=False,
        )
    assert finished.returncode == 0, finished.stdout[-3000:] + finished.stderr[-2000:]
    assert "5 passed" in finished.stdout
