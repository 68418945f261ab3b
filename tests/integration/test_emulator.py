"""The emulator's behaviour checks: every row of the patch table still does what it is for on this moto (a tiny
definition or call through the patched path), each probe fails without its rows, and uninstalling puts back exactly
what moto had. moto and its patches are global: the shared local system is stopped first (the next module's fixture
starts another)."""

from __future__ import annotations

import logging
from typing import Any

from tests.support.fixtures import Runtimes
from workflow.emulator import interpreter, patches, probe_system, table
from workflow.emulator.patches import ABSENT, Check
from workflow.emulator.services import InvokeResult
from workflow.emulator.wiring import Wiring


def test_every_patch_still_does_what_it_is_for(runtimes: Runtimes) -> None:
    runtimes.close()
    assert table.probe() == []


def test_each_probe_fails_without_its_rows(runtimes: Runtimes) -> None:
    """A probe that passes without the rows it checks would pass after an upgrade that broke them."""
    runtimes.close()
    logging.getLogger("moto.awslambda").setLevel(logging.CRITICAL)  # without its hook, moto looks for Docker

    def without(check: Check) -> Any:
        def install(wiring: Wiring) -> None:
            table.uninstall()
            patches.install([row for row in table.patch_table(wiring) if check not in row.checks])

        return install

    checks = table.checks_of(["behaviour"])
    failed = probe_system.run(checks, table.install, table.uninstall, install_for=without)
    passing = [check.name for check in checks if not any(line.startswith(f"{check.name}: ") for line in failed)]
    assert passing == []


def _nothing(function: str, event: object) -> InvokeResult:
    return "{}", False, ""


def test_uninstalling_puts_back_exactly_what_moto_had(runtimes: Runtimes) -> None:
    runtimes.close()
    rows = table.patch_table(Wiring(dispatch=_nothing))
    before = [vars(row.owner).get(row.attribute, ABSENT) for row in rows]
    table.install(Wiring(dispatch=_nothing))
    try:
        assert all(vars(row.owner)[row.attribute] is row.replacement for row in patches.installed())
        assert len(patches.installed()) == len(rows)
    finally:
        table.uninstall()
    after = [vars(row.owner).get(row.attribute, ABSENT) for row in rows]
    assert all(b is a for b, a in zip(before, after, strict=True))
    assert not patches.installed()
    assert interpreter.parsed_program("{}") is None
