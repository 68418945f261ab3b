"""The one way the emulator changes moto: rows of (owner, attribute, moto's original, ours, the checks it needs),
installed and uninstalled as a whole (workflow.emulator.table holds the rows), after moto's version is asserted.

A row's `original` is what moto has at that place, as the owner answers it (inherited included), recorded the first
time the row is built, so it is always moto's own; ABSENT where moto has nothing and the row adds an attribute.
Uninstalling puts back exactly what the owner held itself: moto's value, or nothing (an inherited or added
attribute is deleted again).

Checks come in three kinds (README.md lists which row needs which):
- behaviour: a tiny definition or call run through the patched path (workflow.emulator.probes; they need a patched
  moto of their own, so the test tier runs them: tests/integration/test_emulator.py);
- shape: an attribute or a signature moto must still have, read without running anything;
- source: moto's source text, where behaviour cannot show what a row relies on.
Shape and source checks run at every install; the behaviour probes in the tests, for the pinned version.
"""

from __future__ import annotations

import importlib.metadata
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Literal

# moto exactly as requirements.lock and setup.cfg pin it: every row and check was written against this release.
PINNED_MOTO = "5.2.5"

CheckKind = Literal["behaviour", "shape", "source"]


class MotoChanged(RuntimeError):
    """moto is not the moto the patches were written against."""


class _Absent:
    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Any = _Absent()


@dataclass(frozen=True)
class Check:
    """What a row relies on in moto. `run` raises MotoChanged when that no longer holds; a behaviour probe is given
    the probe system to run its definition on (workflow.emulator.probe_system.ProbeSystem)."""

    name: str
    kind: CheckKind
    run: Callable[..., None] = field(compare=False, repr=False)


# (owner, attribute) -> (what the owner itself held, or ABSENT; what it answered, inherited included, or ABSENT)
_MOTO: dict[tuple[Any, str], tuple[Any, Any]] = {}
_MOTO_LOCK = threading.Lock()


def moto_original(owner: Any, attribute: str) -> Any:
    """moto's value of `owner.attribute`, recorded the first time it is asked for (before any patch of it)."""
    with _MOTO_LOCK:
        key = (owner, attribute)
        if key not in _MOTO:
            _MOTO[key] = (vars(owner).get(attribute, ABSENT), getattr(owner, attribute, ABSENT))
        return _MOTO[key][1]


def _own(owner: Any, attribute: str) -> Any:
    moto_original(owner, attribute)
    return _MOTO[(owner, attribute)][0]


@dataclass(frozen=True)
class Patch:
    owner: Any  # a class or a module of moto
    attribute: str
    replacement: Any
    checks: tuple[Check, ...]
    adds: bool = False  # moto has no such attribute: ours is added, and removed again
    original: Any = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "original", moto_original(self.owner, self.attribute))

    @property
    def where(self) -> str:
        if isinstance(self.owner, ModuleType):
            return self.owner.__name__
        return f"{self.owner.__module__}.{self.owner.__qualname__}"

    def check_shape(self) -> None:
        """The place still exists in moto (or, for an added attribute, moto still has none)."""
        if self.adds and self.original is not ABSENT:
            raise MotoChanged(
                f"moto now has {self.where}.{self.attribute} itself: compare it with ours and drop our row"
            )
        if not self.adds and self.original is ABSENT:
            raise MotoChanged(f"moto no longer has {self.where}.{self.attribute}: the patch has nothing to replace")


def check_moto_version(installed: str | None = None) -> None:
    """The installed moto is exactly the pinned one (read from the installed distribution's metadata)."""
    found = installed if installed is not None else importlib.metadata.version("moto")
    if found != PINNED_MOTO:
        raise MotoChanged(
            f"moto {found} is installed, but the local engine's patches are written and checked against moto "
            f"{PINNED_MOTO} exactly (requirements.lock, setup.cfg). Install moto=={PINNED_MOTO} (make installs the "
            "lock), or, to upgrade moto: pin the new version in setup.cfg, requirements.lock and "
            "workflow/emulator/patches.py (PINNED_MOTO), run `pytest tests/unit/test_emulator.py "
            "tests/integration/test_emulator.py`, and go through workflow/emulator/README.md row by row."
        )


def unique_checks(patches: Iterable[Patch], kinds: Iterable[CheckKind]) -> list[Check]:
    wanted, seen, found = set(kinds), set(), []
    for patch in patches:
        for check in patch.checks:
            if check.kind in wanted and check.name not in seen:
                seen.add(check.name)
                found.append(check)
    return found


_INSTALLED: list[Patch] = []
_INSTALL_LOCK = threading.RLock()


def install(patches: Sequence[Patch]) -> None:
    """moto's version, every row's shape, the shape and source checks; then every row, in order. A table installed
    again replaces the one installed (moto's classes are global: one wiring at a time)."""
    check_moto_version()
    for patch in patches:
        patch.check_shape()
    for check in unique_checks(patches, ("shape", "source")):
        check.run()
    with _INSTALL_LOCK:
        uninstall()
        for patch in patches:
            setattr(patch.owner, patch.attribute, patch.replacement)
            _INSTALLED.append(patch)


def uninstall() -> None:
    """Every installed row undone, the last first."""
    with _INSTALL_LOCK:
        for patch in reversed(_INSTALLED):
            own = _own(patch.owner, patch.attribute)
            if own is ABSENT:
                if patch.attribute in vars(patch.owner):
                    delattr(patch.owner, patch.attribute)
            else:
                setattr(patch.owner, patch.attribute, own)
        _INSTALLED.clear()


def installed() -> tuple[Patch, ...]:
    with _INSTALL_LOCK:
        return tuple(_INSTALLED)
