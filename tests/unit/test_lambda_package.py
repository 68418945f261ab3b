"""The Lambda package is `handlers/` alone: it may import only the standard library, what the Lambda Python
runtime ships (boto3/botocore) and Powertools (its public layer). Anything else would fail at cold start on AWS."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

HANDLERS = Path(__file__).resolve().parents[2] / "handlers"
PROVIDED = {"boto3", "botocore", "aws_lambda_powertools", "handlers"}


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


def test_handlers_import_only_what_lambda_provides() -> None:
    sources = sorted(HANDLERS.glob("*.py"))
    assert len(sources) > 10
    for source in sources:
        modules = imported_modules(ast.parse(source.read_text(encoding="utf-8")))
        foreign = {m for m in modules if m not in PROVIDED and m not in sys.stdlib_module_names and m != "__future__"}
        assert not foreign, f"{source.name} imports {sorted(foreign)}, which the Lambda package does not contain"


def test_handlers_never_import_the_workflow_or_infra() -> None:
    for source in HANDLERS.glob("*.py"):
        modules = imported_modules(ast.parse(source.read_text(encoding="utf-8")))
        assert not modules & {"workflow", "infra", "moto", "requests"}, source.name
