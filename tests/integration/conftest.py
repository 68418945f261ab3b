from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from infra.permissions import access_grant
from tests.support.fixtures import hook, runtime, runtimes, submit, webhook
from workflow.local.calls import Call, CallRecorder, Findings, Grants, compare, ungranted
from workflow.manifest import MANIFEST, Manifest

__all__ = ["aws_calls", "hook", "runtime", "runtimes", "submit", "webhook"]

# Least privilege, proven by this tier: every AWS call a function makes here is recorded (workflow.local.calls) and
# compared with what its manifest access grants, translated to IAM actions as infra/ translates it for the stack
# (infra/permissions.py; tests/infra checks the template holds exactly that). A call without its grant fails the test
# that made it; a grant no test used fails the run, once the whole tier has run (a file alone proves nothing unused).
#
# Started when this conftest is imported (collection, before any test of any tier runs in this process): the
# handlers' clients are made when a function is first invoked and hear only hooks that exist by then.
RECORDER = CallRecorder().start()


def manifest_grants(manifest: Manifest = MANIFEST) -> Grants:
    """Function -> IAM action -> the access entries granting it: only what `access` derives (a trigger grants
    itself; logs, X-Ray and the topic key's KMS actions are no calls of the code)."""
    grants: dict[str, dict[str, str]] = {}
    for function in manifest.functions:
        actions = grants.setdefault(function.name, {})
        for access in function.access:
            for action in access_grant(access).actions:
                actions[action] = f"{actions[action]} and {access!r}" if action in actions else repr(access)
    return grants


GRANTS = manifest_grants()
HERE = Path(__file__).parent


@dataclass
class _Tier:
    """What this process knows of the integration tier's run (each xdist worker collects everything)."""

    # Every module of the tier was selected, whole (only then can a grant be called unused).
    complete: bool = False
    # The tier's tests this session runs (node ids), and those this process ran. Tests, not modules: with
    # `--dist load` one module's tests run on several workers.
    tests: set[str] = field(default_factory=set)
    ran: set[str] = field(default_factory=set)
    # -k, -m, --deselect or --lf left some of the tier's tests out.
    deselected: bool = False


TIER = _Tier()


def pytest_deselected(items: list[pytest.Item]) -> None:
    if any(item.path.parent == HERE for item in items):
        TIER.deselected = True


@pytest.hookimpl(trylast=True)  # after -k, -m, --deselect and --lf have chosen
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    ours = [item for item in items if item.path.parent == HERE]
    TIER.tests = {item.nodeid for item in ours}
    files = {path.name for path in HERE.glob("test_*.py")}
    picked = any(
        "::" in arg and Path(config.invocation_params.dir, arg.split("::", 1)[0]).resolve().parent == HERE
        for arg in config.args
    )
    TIER.complete = {item.path.name for item in ours} == files and not TIER.deselected and not picked


def pytest_runtest_logstart(nodeid: str) -> None:
    # Called for this directory's tests only (a conftest's test hooks are scoped to its directory).
    TIER.ran.add(nodeid)


@pytest.fixture
def aws_calls() -> CallRecorder:
    """Every AWS call recorded in this process so far, by function (the tier shares one recorder)."""
    return RECORDER


@pytest.fixture(autouse=True)
def _calls_are_granted() -> Iterator[None]:
    """A call without its grant fails at once, in any run. It is blamed on the test running when it was heard (a
    poller may still be finishing an earlier test's orders); the report names the function and the action."""
    before = RECORDER.calls()
    yield
    denied = ungranted(RECORDER.calls() - before, GRANTS)
    if denied:
        pytest.fail(Findings(ungranted=denied, unused=()).report(GRANTS, where="this test"), pytrace=False)


@pytest.fixture(scope="session", autouse=True)
def _grants_are_used(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """When the whole tier has run, every grant must have been used. Torn down after the runtimes (set up before
    them), so no call is still to come from this process.

    Not a `pytest_sessionfinish` hook: under `make test` (pytest from the root over every tier, with xdist) the
    controller never collects, so it never loads this conftest. Instead each worker that ran tests of this tier
    leaves its calls, when it has nothing left to run, in a directory all workers share; the one that finds every test
    of the tier there checks: the last to finish does. Its failure is reported at the teardown of its last test,
    whichever tier that is."""
    yield
    if not TIER.complete:
        return
    calls: set[Call] = set(RECORDER.calls())
    ran = set(TIER.ran)
    worker: dict[str, Any] | None = getattr(request.config, "workerinput", None)
    if worker is not None:
        # An xdist worker's basetemp is <the controller's basetemp>/<worker>: the parent is the run's own.
        shared = tmp_path_factory.getbasetemp().parent / "aws-calls"
        shared.mkdir(exist_ok=True)
        _leave(shared / f"{worker['workerid']}.json", ran, calls)
        for left in shared.glob("*.json"):
            record = json.loads(left.read_text(encoding="utf-8"))
            ran.update(record["tests"])
            calls.update(Call(function, action) for function, action in record["calls"])
        if not TIER.tests <= ran or not _first_to_claim(shared / "checked"):
            return  # another worker still runs some of the tier (it checks when done), or has checked already
    elif not TIER.tests <= ran:
        return  # the session stopped early (-x, a crash): the tier did not run whole
    findings = compare(calls, GRANTS)
    if findings:
        pytest.fail(findings.report(GRANTS), pytrace=False)


def _leave(path: Path, tests: set[str], calls: set[Call]) -> None:
    """Write atomically: another worker may read the directory at any moment."""
    partial = path.with_suffix(".partial")
    record = {"tests": sorted(tests), "calls": [[c.function, c.action] for c in sorted(calls)]}
    partial.write_text(json.dumps(record), encoding="utf-8")
    partial.replace(path)


def _first_to_claim(path: Path) -> bool:
    """Two workers finishing together may both see the whole tier: only the one that creates the file checks."""
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return False
    return True
