"""The emulator's patch table, read without installing it (a worker of this tier may hold an integration runtime
whose patches must stay): moto's exact version, every row's shape, the shape and source checks, and the README that
is the upgrade checklist. The behaviour probes run in tests/integration/test_emulator.py."""

from __future__ import annotations

import configparser
import re
from pathlib import Path

import pytest

from workflow.emulator import patches, table
from workflow.emulator.patches import PINNED_MOTO, MotoChanged, Patch
from workflow.emulator.services import InvokeResult
from workflow.emulator.wiring import Wiring

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "workflow" / "emulator" / "README.md"


def _nothing(function: str, event: object) -> InvokeResult:
    return "{}", False, ""


def rows() -> list[Patch]:
    return table.patch_table(Wiring(dispatch=_nothing))


def test_the_installed_moto_is_the_pinned_one_and_the_pins_agree() -> None:
    patches.check_moto_version()
    lock = re.search(r"^moto==(\S+)$", (ROOT / "requirements.lock").read_text(encoding="utf-8"), re.MULTILINE)
    setup = configparser.ConfigParser()
    setup.read(ROOT / "setup.cfg", encoding="utf-8")
    required = re.search(r"^\s*moto\[[^\]]*\]==(\S+)$", setup["options"]["install_requires"], re.MULTILINE)
    assert lock is not None
    assert required is not None
    assert lock.group(1) == required.group(1) == PINNED_MOTO


def test_another_moto_is_refused_with_the_pinned_version_and_how_to_upgrade() -> None:
    with pytest.raises(MotoChanged) as refused:
        patches.check_moto_version("9.9.9")
    message = str(refused.value)
    assert "moto 9.9.9 is installed" in message
    assert f"moto=={PINNED_MOTO}" in message
    assert "workflow/emulator/README.md" in message
    assert "requirements.lock" in message


def test_every_row_still_has_its_place_in_moto() -> None:
    for row in rows():
        row.check_shape()


def test_every_shape_and_source_check_holds() -> None:
    found = table.checks_of(["shape", "source"])
    assert {check.kind for check in found} == {"shape", "source"}
    for check in found:
        check.run()


def test_each_place_is_patched_by_one_row_and_each_row_has_a_check() -> None:
    places = [(id(row.owner), row.attribute) for row in rows()]
    assert len(places) == len(set(places))
    assert all(row.checks for row in rows())


def test_an_added_attribute_that_moto_now_has_is_refused() -> None:
    class Owner:
        taken = 1

    with pytest.raises(MotoChanged, match="now has"):
        Patch(Owner, "taken", 2, (), adds=True).check_shape()
    with pytest.raises(MotoChanged, match="no longer has"):
        Patch(Owner, "gone", 2, ()).check_shape()


def test_the_readme_names_every_patched_attribute_and_every_check() -> None:
    """README.md is the upgrade checklist: a row or a check it does not mention is one an upgrade would miss."""
    text = README.read_text(encoding="utf-8")
    missing = sorted({row.attribute for row in rows() if f"{row.attribute}`" not in text})
    assert not missing, f"README.md does not list {missing}"
    unnamed = sorted(
        check.name for check in table.checks_of(["behaviour", "shape", "source"]) if check.name not in text
    )
    assert not unnamed, f"README.md does not name the checks {unnamed}"
