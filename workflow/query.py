"""JSONata as Step Functions speaks it: parse and check `{% … %}` expressions, and evaluate them.

One mechanism for every place that meets JSONata: the DSL's build-time checks (workflow.dsl, workflow.asl), the
local engine (workflow.emulator.jsonata_engine evaluates every expression moto's interpreter meets through
`evaluate`), and CreateStateMachine's validation there (workflow.query_checks.creation_problems).

What Step Functions adds to JSONata, after AWS's "Transforming data with JSONata" page
(https://docs.aws.amazon.com/step-functions/latest/dg/transforming-data.html):
- `$states` (`input`, `result`, `errorOutput`, `context`) and the workflow's variables are bound by name;
- six functions: `$partition`, `$range`, `$hash`, `$random` (with an optional seed), `$uuid`, `$parse`;
- `$eval` is not allowed.

The evaluator is jsonata-python (a port of jsonata-js that runs its test suite), pinned in requirements.lock. Its
import name, `jsonata`, is shared by other distributions on PyPI, so the import is checked to be that distribution
at that version, not trusted.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import random
import re
import threading
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final

JSONATA_DISTRIBUTION: Final = "jsonata-python"
JSONATA_VERSION: Final = "0.7.1"


def _check_distribution() -> None:
    owners = importlib.metadata.packages_distributions().get("jsonata", [])
    if owners != [JSONATA_DISTRIBUTION]:
        raise ImportError(
            f"the `jsonata` module comes from {owners or 'no distribution'}, not only {JSONATA_DISTRIBUTION}: "
            f"uninstall the other one (pip uninstall {' '.join(o for o in owners if o != JSONATA_DISTRIBUTION)}) "
            f"and install {JSONATA_DISTRIBUTION}=={JSONATA_VERSION}"
        )
    version = importlib.metadata.version(JSONATA_DISTRIBUTION)
    if version != JSONATA_VERSION:
        raise ImportError(f"{JSONATA_DISTRIBUTION} is {version}; orderflow is pinned to {JSONATA_VERSION}")


_check_distribution()

# After the distribution check, on purpose.
from jsonata import Jsonata, jexception  # noqa: E402
from jsonata.parser import Parser  # noqa: E402
from jsonata.utils import Utils  # noqa: E402

OPEN: Final = "{%"
CLOSE: Final = "%}"
# The functions Step Functions adds, and the one it takes away.
STEP_FUNCTIONS_FUNCTIONS: Final = frozenset({"partition", "range", "hash", "random", "uuid", "parse"})
FORBIDDEN_FUNCTIONS: Final = frozenset({"eval"})
RESERVED_VARIABLE: Final = "states"
HASH_ALGORITHMS: Final = {
    "MD5": "md5",
    "SHA-1": "sha1",
    "SHA-256": "sha256",
    "SHA-384": "sha384",
    "SHA-512": "sha512",
}
# AWS's variable names: a letter or underscore, then letters, digits and underscores; at most 80 characters
# (https://docs.aws.amazon.com/step-functions/latest/dg/workflow-variables.html#variable-names).
VARIABLE_NAME: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,79}")
_BUILTINS: Final = frozenset(Jsonata.static_frame.bindings) if Jsonata.static_frame else frozenset()


class QueryError(ValueError):
    """A JSONata expression that does not parse, is not allowed, or failed when evaluated."""

    def __init__(self, message: str, code: str = "") -> None:
        super().__init__(message)
        self.code = code


class Undefined(QueryError):
    """The expression returned nothing (JSONata's undefined), which no Step Functions field accepts."""


def is_expression(value: object) -> bool:
    return isinstance(value, str) and value.startswith(OPEN) and value.endswith(CLOSE) and len(value) >= 4


def body(value: str) -> str:
    return value[len(OPEN) : -len(CLOSE)]


@dataclass(frozen=True, eq=False)
class Expression:
    text: str  # the JSONata between {% and %}
    program: Any  # jsonata.Jsonata
    # The variables the expression reads from outside itself ("states" included), without their "$".
    references: frozenset[str]
    # A plain field path, `$states.input.orderId` -> ("states", "input", "orderId"): evaluated by walking objects,
    # where the walk meets only objects and ends on a value JSONata gives back as it is (see `evaluate`).
    path: tuple[str, ...] | None = None


def _symbols(node: Any) -> Iterator[Any]:
    pending = [node]
    while pending:
        current = pending.pop()
        if isinstance(current, list):
            pending.extend(current)
        elif isinstance(current, Parser.Symbol):
            yield current
            pending.extend(v for k, v in vars(current).items() if not k.startswith("_") and v is not None)


def _free_variables(ast: Any) -> tuple[frozenset[str], frozenset[str]]:
    """(variables read from outside, functions called) of a parsed expression. Names it binds itself (`:=`, a
    function's parameters) are its own; "" is the context item `$`, "$" is `$$`."""
    read: set[str] = set()
    bound: set[str] = set()
    called: set[str] = set()
    for symbol in _symbols(ast):
        if symbol.type == "variable":
            read.add(str(symbol.value))
        elif symbol.type == "bind" and getattr(symbol.lhs, "type", None) == "variable":
            bound.add(str(symbol.lhs.value))
        elif symbol.type == "lambda":
            bound.update(str(arg.value) for arg in symbol.arguments or [] if getattr(arg, "type", None) == "variable")
        if symbol.type in {"function", "partial"} and getattr(symbol.procedure, "type", None) == "variable":
            called.add(str(symbol.procedure.value))
    own = bound | {"", "$"}
    functions = frozenset(called - bound)
    free = read - own - ((_BUILTINS | STEP_FUNCTIONS_FUNCTIONS) - bound)
    return frozenset(free), functions


@lru_cache(maxsize=4096)
def parse(text: str) -> Expression:
    """The parsed expression `text` (the part between {% and %}), or QueryError: its syntax, or a forbidden function.
    Cached: a definition's expressions are parsed once, however many executions evaluate them."""
    if not text.strip():
        raise QueryError("the JSONata expression is empty", "S0500")
    try:
        program = Jsonata(text)
    except jexception.JException as error:
        raise QueryError(f"the JSONata expression {text.strip()!r} does not parse: {error}", error.error) from None
    except (RecursionError, ValueError, TypeError, IndexError) as error:
        raise QueryError(f"the JSONata expression {text.strip()!r} does not parse: {error}") from None
    free, functions = _free_variables(program.ast)
    forbidden = sorted(functions & FORBIDDEN_FUNCTIONS)
    if forbidden:
        raise QueryError(
            f"the JSONata expression {text.strip()!r} calls ${forbidden[0]}, which Step Functions does not allow"
        )
    program.set_output_convert_nulls(False)
    for name, function in _FUNCTIONS.items():
        program.register_lambda(name, function)
    path = _FIELD_PATH.fullmatch(text)
    steps = tuple(text.strip()[1:].split(".")) if path else None
    return Expression(text=text, program=program, references=free, path=steps)


# `$name.field.field`, none of the fields an operator's name.
_FIELD_PATH = re.compile(r"\s*\$[A-Za-z_]\w*(?:\.(?!(?:and|or|in)\b)[A-Za-z_]\w*)*\s*")
_MISSING: Final = object()


def _walked(path: tuple[str, ...], variables: Mapping[str, Any]) -> Any:
    """A field path's value by walking objects, or _MISSING wherever JSONata's own answer could differ from the
    value found: an array on the way or at the end (JSONata maps over arrays and flattens them), a missing field, a
    null (jsonata-python's undefined), a float (its number formatting). Those cases take the evaluator."""
    value = variables.get(path[0], _MISSING)
    for key in path[1:]:
        if not isinstance(value, dict):
            return _MISSING
        value = value.get(key, _MISSING)
    return value if isinstance(value, str | int | dict) else _MISSING  # bool is an int


def variables_read(value: object) -> set[str]:
    """The variables every `{% %}` expression inside a field value reads (without "states")."""
    names: set[str] = set()
    for _, text in expressions_in(value):
        names |= parse(text).references
    return names - {RESERVED_VARIABLE}


def expressions_in(value: object, pointer: str = "") -> Iterator[tuple[str, str]]:
    """(where, JSONata text) of each `{% %}` in a field value: the string itself, or any string in its objects and
    arrays; `where` extends `pointer` as a JSON pointer."""
    if is_expression(value):
        yield pointer, body(str(value))
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from expressions_in(item, f"{pointer}/{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from expressions_in(item, f"{pointer}/{index}")


def _bound(value: Any) -> Any:
    # jsonata-python takes a bound None for "undefined"; a JSON null is its NULL_VALUE.
    return Utils.NULL_VALUE if value is None else value


def evaluate(expression: Expression, variables: Mapping[str, Any]) -> Any:
    """The expression's value with `variables` bound ("states" among them), as JSON (null is None).
    Raises Undefined when it returns nothing, QueryError when it fails."""
    if expression.path is not None:  # most fields of a workflow: $states.input.x (40 times faster walked)
        value = _walked(expression.path, variables)
        if value is not _MISSING:
            return value
    program = expression.program
    bindings = {name: _bound(variables[name]) for name in expression.references if name in variables}
    Jsonata.CURRENT.jsonata = program  # its $now, $millis and higher-order functions read the thread's current one
    try:
        result = program.evaluate(None, bindings)
    except jexception.JException as error:
        raise QueryError(str(error), error.error) from None
    except QueryError:
        raise
    except (RecursionError, ValueError, TypeError, ArithmeticError, KeyError, IndexError, AttributeError) as error:
        raise QueryError(f"{type(error).__name__}: {error}") from None
    if result is None:
        raise Undefined("returned nothing (undefined)")
    return Utils.convert_nulls(result)


# --- The functions Step Functions adds ---------------------------------------------------------------------------


def _array(value: Any, function: str, argument: str) -> list[Any]:
    if value is None or value is Utils.NULL_VALUE:
        raise QueryError(f"${function}: {argument} is required")
    return list(value) if isinstance(value, list) else [value]


def _integer(value: Any, function: str, argument: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value:
        raise QueryError(f"${function}: {argument} must be an integer, not {json.dumps(_plain(value))}")
    return int(value)


def _number(value: Any, function: str, argument: str) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise QueryError(f"${function}: {argument} must be a number, not {json.dumps(_plain(value))}")
    return value


def _plain(value: Any) -> Any:
    return None if value is Utils.NULL_VALUE else value if not isinstance(value, list | dict) else "…"


def _partition(array: Any = None, size: Any = None) -> list[list[Any]]:
    items = _array(array, "partition", "the array")
    chunk = _integer(size, "partition", "the chunk size")
    if chunk < 1:
        raise QueryError("$partition: the chunk size must be at least 1")
    return [items[start : start + chunk] for start in range(0, len(items), chunk)]


_RANGE_LIMIT: Final = 10_000_000  # JSONata's own limit on a range's items


def _range(start: Any = None, end: Any = None, step: Any = None) -> list[int | float]:
    """A JSONata sequence, as Step Functions' $range gives (recorded on AWS: `$range(1, 9, 9)` is `1`, an empty range
    is nothing): one item is that item, none is undefined (`[$range(…)]` keeps an array either way)."""
    first = _number(start, "range", "the start")
    last = _number(end, "range", "the end")
    increment = _number(step, "range", "the step")
    if increment == 0:
        raise QueryError("$range: the step must not be 0")
    count = int((last - first) // increment) + 1 if (last - first) * increment >= 0 else 0
    if count > _RANGE_LIMIT:
        raise QueryError(f"$range: {count} items is more than {_RANGE_LIMIT}")
    sequence: list[int | float] = Utils.create_sequence_from_iter(first + index * increment for index in range(count))
    return sequence


def _hash(data: Any = None, algorithm: Any = None) -> str:
    if not isinstance(data, str):
        raise QueryError(f"$hash: the data must be a string, not {json.dumps(_plain(data))}")
    name = HASH_ALGORITHMS.get(algorithm) if isinstance(algorithm, str) else None
    if name is None:
        raise QueryError(f"$hash: the algorithm is one of {', '.join(HASH_ALGORITHMS)}, not {algorithm!r}")
    return hashlib.new(name, data.encode("utf-8")).hexdigest()


_RANDOM = random.Random()
_RANDOM_LOCK = threading.Lock()


def _random(seed: Any = None) -> float:
    if seed is None:
        with _RANDOM_LOCK:
            return _RANDOM.random()
    return random.Random(_integer(seed, "random", "the seed")).random()


def _uuid() -> str:
    return str(uuid.uuid4())


def _parse(text: Any = None) -> Any:
    if not isinstance(text, str):
        raise QueryError(f"$parse: the argument must be a JSON string, not {json.dumps(_plain(text))}")
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise QueryError(f"$parse: {error}") from None
    return _bound(value)


_FUNCTIONS: Final = {
    "partition": _partition,
    "range": _range,
    "hash": _hash,
    "random": _random,
    "uuid": _uuid,
    "parse": _parse,
}
