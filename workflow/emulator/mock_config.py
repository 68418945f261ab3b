"""Step Functions Local's mock configuration file, read and checked as AWS documents it
(https://docs.aws.amazon.com/step-functions/latest/dg/sfn-local-mock-cfg-file.html):

    {"StateMachines": {"<machine name>": {"TestCases": {"<case>": {"<Task state>": "<response id>"}}}},
     "MockedResponses": {"<response id>": {"0": {"Return": <result>}, "1-2": {"Throw": {"Error": .., "Cause": ..}}}}}

- a response id maps invocation numbers to exactly one of `Return` (the service's answer, any JSON) or `Throw`
  (`Error` and `Cause`, strings); numbers are single (`"3"`) or inclusive ranges (`"1-2"`), consecutive from 0:
  "When you mock a Task, you must specify a mocked response for every invocation";
- every response id a test case names is defined.

Where the file comes from, as Step Functions Local's JAR finds it: `SFN_MOCK_CONFIG` (a path), else
`MockConfigFile.json` in the working directory (looked for at each `#case` start); `orderflow up --mock-config FILE`
sets `SFN_MOCK_CONFIG`. A file is read again when it changes. `using(config)` puts more in place for this process
(the pytest kit's `run_case`, one per run): a case is looked for in those, newest first, then in the file.

A file that breaks these rules is refused as a whole, with the JSON path of the first thing wrong.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ENVIRONMENT_VARIABLE = "SFN_MOCK_CONFIG"
DEFAULT_FILE = "MockConfigFile.json"
_RANGE = re.compile(r"^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$")


class MockConfigError(ValueError):
    """The mock configuration breaks the documented format; the message names where."""


@dataclass(frozen=True)
class Return:
    result: Any


@dataclass(frozen=True)
class Throw:
    error: str
    cause: str


Response = Return | Throw


@dataclass(frozen=True)
class Invocations:
    """One MockedResponses entry: consecutive ranges of invocation numbers from 0, each with its response (kept as
    ranges: `"0-99999"` is one range, not a hundred thousand copies)."""

    ranges: tuple[tuple[int, int, Response], ...]  # (first, last, response), in order

    def __len__(self) -> int:
        return self.ranges[-1][1] + 1

    def __getitem__(self, number: int) -> Response:
        for first, last, response in self.ranges:
            if first <= number <= last:
                return response
        raise IndexError(number)


@dataclass(frozen=True)
class MockConfig:
    # machine name -> case name -> state name -> response id
    state_machines: Mapping[str, Mapping[str, Mapping[str, str]]]
    # response id -> the response of each invocation
    responses: Mapping[str, Invocations]
    source: str = "<inline>"

    def test_case(self, machine: str, case: str) -> dict[str, tuple[str, Invocations]]:
        """State name -> (response id, its responses), for one case of one machine; KeyError says what is missing."""
        cases = self.state_machines.get(machine)
        if cases is None:
            raise KeyError(f"state machine {machine!r} has no test cases in the mock configuration ({self.source})")
        states = cases.get(case)
        if states is None:
            known = ", ".join(sorted(cases)) or "none"
            raise KeyError(
                f"test case {case!r} is not defined for state machine {machine!r} in the mock configuration "
                f"({self.source}); its cases: {known}"
            )
        return {state: (response_id, self.responses[response_id]) for state, response_id in states.items()}


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise MockConfigError(f"{where} must be a JSON object, not {type(value).__name__}")
    return value


def _invocations(key: str, where: str) -> tuple[int, int]:
    matched = _RANGE.match(key)
    if matched is None:
        raise MockConfigError(f'{where}: "{key}" is not an invocation number ("0") or an inclusive range ("1-2")')
    first = int(matched.group(1))
    last = int(matched.group(2)) if matched.group(2) is not None else first
    if last < first:
        raise MockConfigError(f'{where}: the range "{key}" ends before it starts')
    return first, last


def _response(value: Any, where: str) -> Response:
    body = _object(value, where)
    if sorted(body) not in (["Return"], ["Throw"]):
        raise MockConfigError(f"{where} must hold exactly one field, Return or Throw (it holds {sorted(body)})")
    if "Return" in body:
        return Return(body["Return"])
    thrown = _object(body["Throw"], f"{where}.Throw")
    for name in ("Error", "Cause"):
        if not isinstance(thrown.get(name), str):
            raise MockConfigError(f"{where}.Throw.{name} must be a string")
    return Throw(thrown["Error"], thrown["Cause"])


def _responses(value: Any, where: str) -> Invocations:
    ranges = sorted(
        (
            (_invocations(key, where), _response(response, f"{where}.{key}"))
            for key, response in _object(value, where).items()
        ),
        key=lambda item: item[0],
    )
    if not ranges:
        raise MockConfigError(f"{where} defines no invocation")
    following = 0
    for (first, last), _ in ranges:
        if first != following:
            raise MockConfigError(
                f"{where}: invocations must be numbered consecutively from 0; after {following - 1} "
                f"comes {first} (a gap or an overlap)"
            )
        following = last + 1
    return Invocations(tuple((first, last, response) for (first, last), response in ranges))


def parse(document: Any, source: str = "<inline>") -> MockConfig:
    """The configuration in `document` (the file's JSON, parsed), checked as a whole."""
    top = _object(document, "the mock configuration")
    responses = {
        name: _responses(value, f"MockedResponses.{name}")
        for name, value in _object(top.get("MockedResponses", {}), "MockedResponses").items()
    }
    machines: dict[str, dict[str, dict[str, str]]] = {}
    for machine, value in _object(top.get("StateMachines", {}), "StateMachines").items():
        where = f"StateMachines.{machine}"
        cases = _object(_object(value, where).get("TestCases", {}), f"{where}.TestCases")
        machines[machine] = {}
        for case, states in cases.items():
            mapping = _object(states, f"{where}.TestCases.{case}")
            for state, response_id in mapping.items():
                if not isinstance(response_id, str):
                    raise MockConfigError(f"{where}.TestCases.{case}.{state} must name a response (a string)")
                if response_id not in responses:
                    raise MockConfigError(
                        f"{where}.TestCases.{case}.{state} names {response_id!r}, which MockedResponses does not define"
                    )
            machines[machine][case] = dict(mapping)
    return MockConfig(machines, responses, source)


def load(path: str | os.PathLike[str]) -> MockConfig:
    """The configuration file at `path`; MockConfigError names the file and what is wrong in it."""
    text = Path(path).read_text(encoding="utf-8")
    try:
        document = json.loads(text)
    except ValueError as error:
        raise MockConfigError(f"{path}: not JSON ({error})") from None
    try:
        return parse(document, str(path))
    except MockConfigError as error:
        raise MockConfigError(f"{path}: {error}") from None


_OVERRIDE: list[MockConfig] = []
_CACHE: dict[str, tuple[tuple[int, int], MockConfig]] = {}
_LOCK = threading.Lock()


@contextlib.contextmanager
def using(config: MockConfig) -> Iterator[MockConfig]:
    """`config` serves this process's `#case` starts until the block ends (innermost first)."""
    with _LOCK:
        _OVERRIDE.append(config)
    try:
        yield config
    finally:
        with _LOCK:
            _OVERRIDE.remove(config)


def test_case(machine: str, case: str) -> tuple[MockConfig, dict[str, tuple[str, Invocations]]]:
    """The case of that machine, from the configurations in place (newest first) or the file; KeyError says what is
    missing, LookupError that there is no configuration at all."""
    with _LOCK:
        configs = list(reversed(_OVERRIDE))
    found = _file()
    if found is not None:
        configs.append(found)
    if not configs:
        raise LookupError(
            f"no mock configuration is loaded (set {ENVIRONMENT_VARIABLE} to its path, or start `orderflow up "
            "--mock-config FILE`)"
        )
    for config in configs:
        if case in config.state_machines.get(machine, {}):
            return config, config.test_case(machine, case)
    config = next((c for c in configs if machine in c.state_machines), configs[-1])
    return config, config.test_case(machine, case)  # raises, naming what that configuration defines


def _path() -> Path | None:
    given = os.environ.get(ENVIRONMENT_VARIABLE)
    if given:
        return Path(given)
    default = Path.cwd() / DEFAULT_FILE
    return default if default.is_file() else None


def current() -> MockConfig | None:
    """The newest configuration in place, else the file's (None: there is none); a changed file is read again."""
    with _LOCK:
        if _OVERRIDE:
            return _OVERRIDE[-1]
    return _file()


def _file() -> MockConfig | None:
    path = _path()
    if path is None:
        return None
    try:
        stat = path.stat()
    except OSError as error:
        raise MockConfigError(f"{ENVIRONMENT_VARIABLE}={path}: {error.strerror or error}") from None
    stamp = (stat.st_mtime_ns, stat.st_size)
    with _LOCK:
        cached = _CACHE.get(str(path))
    if cached is not None and cached[0] == stamp:
        return cached[1]
    config = load(path)
    with _LOCK:
        _CACHE[str(path)] = (stamp, config)
    return config
