"""Package docstrings are maps a newcomer reads first: every module one names must exist; the packages with a
module map name every module they hold; and the packages keep to the imports their docstrings allow.

A docstring names a module as a file (`runtime.py`, `fuzz/`, `README.md`, `cli/checks.py`: found in the package or
a folder above it), or as a row of a module map: an indented `name   what it holds`, or a bullet `- name   what it
holds` (two spaces or more after the name; a row that names a file is that file's).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = sorted(path.parent for top in ("workflow", "handlers") for path in (ROOT / top).rglob("__init__.py"))
FILE = re.compile(r"(?<![\w./-])((?:[\w-]+/)*[\w-]+(?:\.(?:py|md|json|txt)|/))(?![\w/])")
MAP_ROW = re.compile(r"^(?: {2,}|- )([a-z_][a-z0-9_]*) {2,}\S")
# The packages that must name every module they hold.
COMPLETE = (
    "workflow/console",
    "workflow/cost",
    "workflow/emulator",
    "workflow/graph",
    "workflow/harness",
    "workflow/harness/fuzz",
    "workflow/local",
    "workflow/ops",
)


def docstring(package: Path) -> str:
    return ast.get_docstring(ast.parse((package / "__init__.py").read_text(encoding="utf-8"))) or ""


def named_files(text: str) -> set[str]:
    return set(FILE.findall(text))


def map_rows(text: str) -> set[str]:
    """The bare names of a module map's rows; a row that names its file (`up   ...   (cli/system.py)`) is that
    file's row, and its first word is not a module."""
    return {match.group(1) for line in text.splitlines() if (match := MAP_ROW.match(line)) and not FILE.search(line)}


def exists_from(package: Path, name: str) -> bool:
    """The file or folder, in the package or in a folder above it (up to the repository's root)."""
    for folder in [package, *package.parents]:
        if (folder / name).exists():
            return True
        if folder == ROOT:
            break
    return False


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_module_a_package_docstring_names_exists(package: Path) -> None:
    text = docstring(package)
    missing = sorted(name for name in named_files(text) if not exists_from(package, name))
    missing += sorted(
        name
        for name in map_rows(text)
        if not (package / f"{name}.py").exists() and not (package / name / "__init__.py").exists()
    )
    assert not missing, f"{package.relative_to(ROOT)}/__init__.py names what is not there: {missing}"


@pytest.mark.parametrize("where", COMPLETE)
def test_the_local_system_packages_name_every_module_they_hold(where: str) -> None:
    package = ROOT / where
    text = docstring(package)
    named = {Path(name).stem for name in named_files(text)} | {n.rstrip("/") for n in named_files(text)}
    named |= map_rows(text)
    held = {p.stem for p in package.glob("*.py") if p.name != "__init__.py"}
    held |= {p.name for p in package.iterdir() if (p / "__init__.py").exists()}
    assert not held - named, f"{where}/__init__.py does not name {sorted(held - named)}"


# (package, what its modules must not import): the rules the packages' docstrings state.
FORBIDDEN = {
    "workflow/emulator": ("workflow.local", "workflow.harness", "workflow.cli"),
    "workflow/local": ("workflow.harness", "workflow.cli"),
    "workflow/harness": ("workflow.cli",),
    "workflow/ops": ("workflow.emulator", "workflow.local", "workflow.harness", "workflow.cost.run"),
    "workflow/graph": ("workflow.emulator", "workflow.local", "workflow.harness"),
    # the console may import workflow.local.guard (the loopback rule), nothing else of the local system
    "workflow/console": (
        "workflow.emulator",
        "workflow.harness",
        "workflow.cli",
        *(
            f"workflow.local.{m.stem}"
            for m in (ROOT / "workflow/local").glob("*.py")
            if m.stem not in {"guard", "__init__"}
        ),
    ),
    "handlers": ("workflow",),
    "infra": ("workflow.emulator", "workflow.local", "workflow.harness"),
}
# Single modules held to the same rule: the workflow's definition and its manifest.
FORBIDDEN_MODULES = {
    "workflow/definition.py": ("workflow.emulator", "workflow.local", "workflow.harness"),
    "workflow/manifest.py": ("workflow.emulator", "workflow.local", "workflow.harness"),
}


def imported(source: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def breaches(sources: list[Path], forbidden: tuple[str, ...]) -> list[str]:
    return sorted(
        f"{source.relative_to(ROOT)} imports {name}"
        for source in sources
        for name in imported(source)
        if any(name == f or name.startswith(f"{f}.") for f in forbidden)
    )


@pytest.mark.parametrize("where", sorted(FORBIDDEN))
def test_a_package_imports_nothing_its_docstring_forbids(where: str) -> None:
    assert not breaches(sorted((ROOT / where).rglob("*.py")), FORBIDDEN[where])


@pytest.mark.parametrize("where", sorted(FORBIDDEN_MODULES))
def test_the_definition_and_manifest_import_no_local_system(where: str) -> None:
    assert not breaches([ROOT / where], FORBIDDEN_MODULES[where])


# The size rule (issue 23): a module a newcomer can read in one sitting, a function on one screen. handlers/ is held
# to it by tests/unit/test_lambda_package.py; this holds the rest of the shipped code.
MAX_MODULE_LINES, MAX_FUNCTION_LINES = 400, 80
SIZED = sorted(path for top in ("workflow", "infra") for path in (ROOT / top).rglob("*.py"))


@pytest.mark.parametrize("source", SIZED, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_is_long_and_no_function_either(source: Path) -> None:
    text = source.read_text(encoding="utf-8")
    lines = len(text.splitlines())
    assert lines <= MAX_MODULE_LINES, f"{source.relative_to(ROOT)} has {lines} lines: split it by what its parts do"
    long = [
        f"{node.name} ({(node.end_lineno or node.lineno) - node.lineno + 1} lines)"
        for node in ast.walk(ast.parse(text))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and (node.end_lineno or node.lineno) - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert not long, f"{source.relative_to(ROOT)}: {', '.join(long)} over {MAX_FUNCTION_LINES} lines"
