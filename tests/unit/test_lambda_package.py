"""The Lambda package is `handlers/` alone: it may import only the standard library, what the Lambda Python
runtime ships (boto3/botocore) and Powertools (its public layer). Anything else would fail at cold start on AWS.
Inside it, the layers keep to what their package docstrings allow, and the entry points stay thin."""

from __future__ import annotations

import ast
import importlib
import re
import sys
from pathlib import Path

import pytest

from workflow.manifest import MANIFEST

HANDLERS = Path(__file__).resolve().parents[2] / "handlers"
PROVIDED = {"boto3", "botocore", "aws_lambda_powertools", "handlers"}
SUBPACKAGES = ("domain", "services", "adapters", "adapters/alert_targets")
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 80
# Every function's entry point, from the manifest: a new function is held to the same rules without being listed.
ENTRY_POINTS = tuple(function.handler.split(".")[1] for function in MANIFEST.functions)


def imported_modules(tree: ast.Module) -> set[str]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            node.body = []  # type-only imports never run
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def imported_names(source: Path) -> set[str]:
    """Every dotted module a source imports at run time, with `from a import b` as both `a` and `a.b`."""
    tree = ast.parse(source.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            node.body = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def sources() -> list[Path]:
    return sorted(HANDLERS.rglob("*.py"))


def test_handlers_import_only_what_lambda_provides() -> None:
    assert len(sources()) > 20
    for source in sources():
        modules = imported_modules(ast.parse(source.read_text(encoding="utf-8")))
        foreign = {m for m in modules if m not in PROVIDED and m not in sys.stdlib_module_names and m != "__future__"}
        assert not foreign, f"{source.name} imports {sorted(foreign)}, which the Lambda package does not contain"


def test_handlers_never_import_the_workflow_or_infra() -> None:
    for source in sources():
        modules = imported_modules(ast.parse(source.read_text(encoding="utf-8")))
        assert not modules & {"workflow", "infra", "moto", "requests"}, source.name


def test_every_subpackage_is_a_package_that_says_what_lives_there() -> None:
    # The Lambda package is a copy of handlers/ (infra.constructs.functions.stage_lambda_code): an __init__.py makes
    # each folder importable there, and its docstring is the folder's rules.
    for folder in ("", *SUBPACKAGES):
        init = HANDLERS / folder / "__init__.py"
        assert ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))), init
    assert {str(p.parent.relative_to(HANDLERS.parent)) for p in sources()} == {
        "handlers",
        *(f"handlers/{folder}" for folder in SUBPACKAGES),
    }


# What each layer may import of handlers' own modules. The domain may use handlers.arns, Step Functions' ARN grammar
# (pure string functions), for an alert's identity and link; nothing else outside itself.
ALLOWED = {"domain": ("handlers.domain", "handlers.arns"), "services": ("handlers.domain",), "adapters": ()}


@pytest.mark.parametrize(
    ("layer", "forbidden"),
    [
        # Pure: nothing with I/O, nothing from the other layers.
        ("domain", ("boto3", "botocore", "aws_lambda_powertools", "urllib.request", "handlers.")),
        # Use cases over ports: no SDK, no adapter, no environment.
        ("services", ("boto3", "botocore", "handlers.env", "handlers.wiring", "handlers.adapters")),
        ("adapters", ("handlers.env", "handlers.wiring", *(f"handlers.{name}" for name in ENTRY_POINTS))),
    ],
)
def test_each_layer_imports_only_what_it_may(layer: str, forbidden: tuple[str, ...]) -> None:
    for source in (HANDLERS / layer).rglob("*.py"):
        allowed = ALLOWED[layer]
        wrong = sorted(n for n in imported_names(source) if n.startswith(forbidden) and not n.startswith(allowed))
        assert not wrong, f"handlers/{layer}/{source.name} imports {wrong}"


def test_entry_points_are_thin_and_no_module_is_long() -> None:
    for name in ENTRY_POINTS:
        lines = len((HANDLERS / f"{name}.py").read_text(encoding="utf-8").splitlines())
        assert lines <= 60, f"handlers/{name}.py has {lines} lines: its logic belongs in a service or the domain"
    for source in sources():
        assert len(source.read_text(encoding="utf-8").splitlines()) <= MAX_MODULE_LINES, source


def test_no_function_is_long() -> None:
    for source in sources():
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                assert lines <= MAX_FUNCTION_LINES, f"{source.relative_to(HANDLERS.parent)}: {node.name} has {lines}"


def test_every_package_map_names_its_modules_and_every_named_module_exists() -> None:
    """A package's docstring is its map: each of its modules is named there (the entry points excepted: the manifest
    lists them), and each `handlers.…` module any docstring names exists (a moved module leaves no stale name
    behind)."""
    for folder in ("", *SUBPACKAGES):
        package = HANDLERS / folder
        doc = ast.get_docstring(ast.parse((package / "__init__.py").read_text(encoding="utf-8"))) or ""
        members = {p.stem for p in package.glob("*.py") if p.stem != "__init__"}
        members |= {p.name for p in package.iterdir() if (p / "__init__.py").exists()}
        if not folder:  # the entry points' list is the manifest's (each Function's handler path)
            members -= set(ENTRY_POINTS)
        missing = sorted(m for m in members if not re.search(rf"\b{m}\b", doc))
        assert not missing, f"handlers/{folder} docstring omits {missing}"
    for source in sources():
        doc = ast.get_docstring(ast.parse(source.read_text(encoding="utf-8"))) or ""
        for dotted in re.findall(r"\bhandlers(?:\.\w+)+", doc):
            assert _resolves(dotted), f"{source.relative_to(HANDLERS.parent)} names {dotted}, which does not exist"


def _resolves(dotted: str) -> bool:
    """`handlers.a.b.c`: a module, or a module and an attribute path of it."""
    parts = dotted.split(".")
    for cut in range(len(parts), 1, -1):
        path = HANDLERS.parent.joinpath(*parts[:cut])
        if path.with_suffix(".py").exists() or (path / "__init__.py").exists():
            if cut == len(parts):
                return True
            module = importlib.import_module(".".join(parts[:cut]))
            target: object = module
            for name in parts[cut:]:
                if not hasattr(target, name):
                    return False
                target = getattr(target, name)
            return True
    return False
