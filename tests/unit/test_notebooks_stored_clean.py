"""Notebooks are stored without outputs: diffs stay readable, and no local ports, ids or timings get committed.
Before committing: `.venv/bin/jupyter nbconvert --clear-output --inplace notebooks/*.ipynb`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks() -> None:
    assert NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_notebook_is_stored_without_outputs(path: Path) -> None:
    notebook = json.loads(path.read_text(encoding="utf-8"))
    dirty = [
        index
        for index, cell in enumerate(notebook["cells"])
        if cell["cell_type"] == "code" and (cell.get("outputs") or cell.get("execution_count") is not None)
    ]
    assert not dirty, f"{path.name}: cells {dirty} hold outputs or execution counts; clear them before committing"
    # tests/notebooks runs them with this kernel; another name would not resolve on a fresh machine.
    assert notebook["metadata"]["kernelspec"]["name"] == "python3"
