"""DOT: the graph as Graphviz text, and Graphviz's `dot` program turning it into SVG or PNG."""

from __future__ import annotations

import re
import shutil
import subprocess

from workflow.graph.looks import GREY, TONES, edge_look, legend, node_lines, node_look, node_tooltip
from workflow.graph.model import END, START, Change, Edge, EdgeKind, Graph, Kind, Node

DOT_TIMEOUT_SECONDS = 30.0
FONT = "DejaVu Sans,Helvetica,Arial,sans-serif"
INSTALL_GRAPHVIZ = (
    "Graphviz's `dot` program is needed for .svg and .png output and is not installed. "
    "Install it with `sudo apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` (macOS) "
    "or see https://graphviz.org/download/; .md, .mmd and .dot output need no Graphviz."
)


class GraphvizNotFound(RuntimeError):
    """`dot` is not on PATH; the message says how to install it."""


class GraphvizError(RuntimeError):
    """`dot` ran and failed, or took too long."""


def _dot_id(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _dot_string(text: str) -> str:
    """A DOT quoted string (tooltips): newlines as the escape DOT turns back into newlines."""
    return _dot_id(text).replace("\n", "\\n")


_DOT_SHAPES = {
    Kind.START: 'shape=circle, width=0.55, fixedsize=true, fontsize=10, label="Start"',
    Kind.END: 'shape=doublecircle, width=0.45, fixedsize=true, fontsize=10, label="End"',
    Kind.CHOICE: "shape=diamond",
    Kind.JOIN: 'shape=circle, width=0.2, height=0.2, fixedsize=true, label=""',
    Kind.SUCCEED: 'shape=box, style="rounded,filled,bold"',
    Kind.FAIL: 'shape=box, style="rounded,filled,bold"',
    Kind.PARALLEL: "shape=box3d",
    Kind.MAP: "shape=box3d",
}


def main_path(graph: Graph) -> list[str]:
    """Node ids from Start along Next until End, a Choice or a loop: the run without errors. (Which way a Choice
    usually goes the definition does not say.)"""
    path, at = [START], START
    while at != END:
        onward = [e for e in graph.edges_from(at) if e.kind is EdgeKind.NEXT and e.change is not Change.REMOVED]
        if len(onward) != 1 or onward[0].target in path:
            break
        at = onward[0].target
        path.append(at)
    return path


def _dot_node(graph: Graph, node: Node, spine: frozenset[str] = frozenset()) -> str:
    look = node_look(graph, node)
    attrs = [_DOT_SHAPES.get(node.kind, 'shape=box, style="rounded,filled"')]
    if node.id in spine:
        attrs.append('group="main"')  # Graphviz keeps a group in a straight line
    style = "filled" + (",rounded" if "rounded" in attrs[0] else "") + (",dashed" if look.dashed else "")
    attrs.append(f'style="{style}"')
    attrs.append(f'fillcolor="{look.fill}", color="{look.stroke}", fontcolor="{look.text}", penwidth={look.width}')
    if node.kind not in {Kind.START, Kind.END, Kind.JOIN}:
        name = _html(node.name)
        name = f"<S>{name}</S>" if node.change is Change.REMOVED else name
        label = f"<B>{name}</B>"
        for line in node_lines(graph, node):
            colour = TONES.get(line.tone, look.text)
            weight = ("<B>", "</B>") if line.tone in {"status", "change"} else ("", "")
            label += f'<BR/><FONT POINT-SIZE="9" COLOR="{colour}">{weight[0]}{_html(line.text)}{weight[1]}</FONT>'
        attrs.append(f"label=<{label}>")
    tooltip = node_tooltip(node)
    attrs.append(f"tooltip={_dot_string(tooltip or node.name)}")
    return f"  {_dot_id(node.id)} [{', '.join(attrs)}];"


def _dot_edge(graph: Graph, edge: Edge, loop: int = 0) -> str:
    look = edge_look(graph, edge)
    attrs = [f'color="{look.stroke}"', f'fontcolor="{look.text}"', f"penwidth={look.width}"]
    if look.dashed:
        attrs.append('style="dashed"')
    if edge.label:
        attrs.append(f"label=<{'<BR/>'.join(_html(line) for line in edge.label.splitlines())}>")
    if edge.tooltip:
        attrs.append(f"tooltip={_dot_string(edge.tooltip)}")
    if edge.kind is EdgeKind.RETRY:
        # A loop on the right, its label beside it; a state's second Retry rule loops on the left, so that the two
        # loops and their labels do not lie on top of each other (the coverage graph draws one loop per rule).
        side = "w" if loop % 2 else "e"
        attrs.append(f'headport="{side}", tailport="{side}"')
    return f"  {_dot_id(edge.source)} -> {_dot_id(edge.target)} [{', '.join(attrs)}];"


def _dot_legend(graph: Graph) -> list[str]:
    rows = []
    for look, text in legend(graph):
        is_edge = look.key.startswith("edge-")
        if is_edge:
            swatch = f'<TD WIDTH="34"><FONT COLOR="{look.stroke}">{"╍╍╍▶" if look.dashed else "━━━▶"}</FONT></TD>'
        else:
            border = 2 if look.width >= 2 else 1
            swatch = (
                f'<TD BGCOLOR="{look.fill}" COLOR="{look.stroke}" BORDER="{border}" WIDTH="34" '
                f'STYLE="{"dashed" if look.dashed else "rounded"}"> </TD>'
            )
        rows.append(f'<TR>{swatch}<TD ALIGN="LEFT">{_html(text)}</TD></TR>')
    table = (
        '<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="4" CELLPADDING="2">'
        '<TR><TD COLSPAN="2" ALIGN="LEFT"><B>Legend</B></TD></TR>' + "".join(rows) + "</TABLE>"
    )
    return [
        f'  "__legend__" [shape=box, style="rounded", color="#DADCE0", fontsize=9, label=<{table}>];',
        '  { rank=source; "__legend__"; }',
    ]


def _dot_clusters(graph: Graph, parent: str | None, indent: str) -> list[str]:
    lines = []
    for cluster in graph.clusters:
        if cluster.parent != parent:
            continue
        lines.append(f"{indent}subgraph {_dot_id('cluster_' + cluster.id)} {{")
        lines.append(
            f'{indent}  label=<{_html(cluster.label)}>; fontsize=10; fontcolor="{GREY}"; '
            'style="rounded,dashed"; color="#9AA0A6";'
        )
        lines += [indent + _dot_node(graph, node) for node in graph.nodes if node.cluster == cluster.id]
        lines += _dot_clusters(graph, cluster.id, indent + "  ")
        lines.append(f"{indent}}}")
    return lines


def to_dot(graph: Graph) -> str:
    """Graphviz DOT, top to bottom, with a legend."""
    title = f"<B>{_html(graph.title)}</B>"
    if graph.subtitle:
        title += f'<BR/><FONT POINT-SIZE="10">{_html(graph.subtitle)}</FONT>'
    lines = [
        f"digraph {_dot_id(graph.title)} {{",
        f'  graph [rankdir=TB, fontname="{FONT}", fontsize=13, labelloc=t, label=<{title}>, '
        'nodesep=0.35, ranksep=0.4, newrank=true, bgcolor="white", pad=0.3];',
        f'  node [fontname="{FONT}", fontsize=11, margin="0.14,0.05", height=0.45];',
        f'  edge [fontname="{FONT}", fontsize=9, arrowsize=0.7];',
    ]
    spine = frozenset(main_path(graph))
    lines += [_dot_node(graph, node, spine) for node in graph.nodes if node.cluster is None]
    lines += _dot_clusters(graph, None, "  ")
    loops: dict[str, int] = {}
    for edge in graph.edges:
        loop = loops.get(edge.source, 0)
        if edge.kind is EdgeKind.RETRY:
            loops[edge.source] = loop + 1
        lines.append(_dot_edge(graph, edge, loop))
    lines += _dot_legend(graph)
    lines.append("}")
    return "\n".join(lines) + "\n"


def run_dot(dot: str, output_format: str, *, timeout: float = DOT_TIMEOUT_SECONDS) -> bytes:
    """Graphviz's `dot` turns DOT text into `output_format` (svg, png, ...)."""
    program = shutil.which("dot")
    if program is None:
        raise GraphvizNotFound(INSTALL_GRAPHVIZ)
    options = ["-Gdpi=144"] if output_format == "png" else []
    try:
        done = subprocess.run(  # noqa: S603 - our own DOT text into the dot found on PATH
            [program, f"-T{output_format}", *options],
            input=dot.encode("utf-8"),
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise GraphvizError(f"dot took more than {timeout} s") from None
    if done.returncode != 0:
        raise GraphvizError(f"dot failed ({done.returncode}): {done.stderr.decode('utf-8', 'replace').strip()}")
    return done.stdout


def to_svg(graph: Graph) -> str:
    """The graph as SVG that fits where it is shown: at most its own size, narrower when its container is (a
    notebook cell, a README), scaled by its viewBox instead of cut off or scrolled."""
    svg = run_dot(to_dot(graph), "svg").decode("utf-8")
    return _FIXED_SIZE.sub(lambda m: f'<svg width="100%" style="max-width: {m.group(1)}pt"', svg, count=1)


# Graphviz writes the drawing's size in points on the root element.
_FIXED_SIZE = re.compile(r'<svg width="([0-9.]+)pt" height="[0-9.]+pt"')


def to_png(graph: Graph) -> bytes:
    return run_dot(to_dot(graph), "png")
