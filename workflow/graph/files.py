"""Files: a graph written in the format its file name's suffix names."""

from __future__ import annotations

import shutil
from pathlib import Path

from workflow.graph.dot import INSTALL_GRAPHVIZ, GraphvizNotFound, run_dot, to_dot
from workflow.graph.mermaid import to_markdown, to_mermaid
from workflow.graph.model import Graph, GraphError

RENDERERS = (".svg", ".png", ".md", ".mmd", ".dot")


def check_output(path: str | Path) -> None:
    """Refuses, before any work, a suffix we cannot write, or .svg/.png without Graphviz."""
    suffix = Path(path).suffix.lower()
    if suffix not in RENDERERS:
        raise GraphError(f"cannot write {Path(path).name}: use one of {', '.join(RENDERERS)}")
    if suffix in {".svg", ".png"} and shutil.which("dot") is None:
        raise GraphvizNotFound(INSTALL_GRAPHVIZ)


def render(graph: Graph, path: str | Path) -> Path:
    """Writes the graph in the format the suffix names; .svg/.png need Graphviz, the others do not."""
    check_output(path)
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix == ".svg":
        target.write_bytes(run_dot(to_dot(graph), "svg"))
    elif suffix == ".png":
        target.write_bytes(run_dot(to_dot(graph), "png"))
    elif suffix == ".md":
        target.write_text(to_markdown(graph), encoding="utf-8")
    elif suffix == ".mmd":
        target.write_text(to_mermaid(graph), encoding="utf-8")
    else:
        target.write_text(to_dot(graph), encoding="utf-8")
    return target
