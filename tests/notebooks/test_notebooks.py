"""The notebooks, executed headless as a reader runs them: every cell in order, in a fresh kernel, against the local
system each notebook starts and stops itself. A cell that raises fails its notebook's test; so does output a reader
should not have to wade through (anything on stderr, or handler log lines leaking into a cell).

Each notebook is one busy Python process (moto, the interpreter and the handlers share its GIL), so two run at a
time, one per core; each test waits for its own notebook. Under `make test`'s two pytest workers (one file per
worker) this file's worker would otherwise be the last to finish: measured, the suite took ~78 s with two at a
time against ~92 s with one."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient

NOTEBOOKS_DIR = Path(__file__).resolve().parents[2] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
KERNEL = "python3"
CELL_TIMEOUT = 120  # seconds for any one cell
NOTEBOOK_TIMEOUT = 240  # seconds for a whole notebook, counted from when the tests start
AT_ONCE = 2


def execute(path: Path) -> nbformat.NotebookNode:
    notebook = nbformat.read(path, as_version=4)
    # The kernel starts in the notebook's folder, as Jupyter does (the notebooks import nbhelpers from there).
    client = NotebookClient(
        notebook, kernel_name=KERNEL, timeout=CELL_TIMEOUT, resources={"metadata": {"path": str(path.parent)}}
    )
    client.execute()
    return notebook


@pytest.fixture(scope="module")
def executed(request: pytest.FixtureRequest) -> Iterator[dict[str, Future[nbformat.NotebookNode]]]:
    """Starts every selected notebook (`-k 02` runs one), two at a time; each test then waits for its own."""
    selected = {
        item.callspec.params["name"]
        for item in request.session.items
        if isinstance(item, pytest.Function) and item.originalname == "test_notebook_runs_headless"
    }
    argv = KernelSpecManager().get_kernel_spec(KERNEL).argv
    # jupyter_client runs a spec whose program is plain "python" with this interpreter (the venv's).
    if argv[0] not in {"python", "python3", sys.executable}:
        pytest.fail(f"kernel {KERNEL!r} runs {argv[0]}, not this venv's Python; is JUPYTER_PATH set?")
    pool = ThreadPoolExecutor(max_workers=AT_ONCE, thread_name_prefix="notebook")
    # Longest first (04 runs many orders), so the two workers finish at about the same time.
    order = sorted((path for path in NOTEBOOKS if path.name in selected), key=lambda path: path.name, reverse=True)
    yield {path.name: pool.submit(execute, path) for path in order}
    pool.shutdown(wait=True, cancel_futures=True)


def test_the_four_notebooks_are_there() -> None:
    assert [path.name for path in NOTEBOOKS] == [
        "01_walkthrough.ipynb",
        "02_failures_and_alerts.ipynb",
        "03_changing_the_workflow.ipynb",
        "04_executions_as_data.ipynb",
    ]


@pytest.mark.timeout(NOTEBOOK_TIMEOUT + 30)
@pytest.mark.parametrize("name", [path.name for path in NOTEBOOKS])
def test_notebook_runs_headless(executed: dict[str, Future[nbformat.NotebookNode]], name: str) -> None:
    notebook = executed[name].result(timeout=NOTEBOOK_TIMEOUT)  # a failed cell raises CellExecutionError here
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(cell.execution_count is not None for cell in code)
    streams = [(index, out) for index, cell in enumerate(code) for out in cell.outputs if out.output_type == "stream"]
    stderr = [f"code cell {index}: {out.text[:300]}" for index, out in streams if out.name == "stderr"]
    assert not stderr, "\n".join(stderr)
    leaked = [f"code cell {index}: {out.text[:300]}" for index, out in streams if '"level":' in out.text]
    assert not leaked, "handler log lines printed into cells:\n" + "\n".join(leaked)
