"""Mermaid: the graph as a flowchart GitHub and JupyterLab draw as is, and as Markdown around it."""

from __future__ import annotations

import json
import re

from workflow.graph.looks import Look, edge_look, legend, node_lines, node_look
from workflow.graph.model import END, START, Change, Edge, Graph, Kind, Mode, Node


def _mm(text: str) -> str:
    """Text safe inside a quoted Mermaid label: entity codes for what Mermaid or HTML would interpret."""
    text = text.replace("#", "#35;")
    for char, code in (('"', "#quot;"), ("<", "#lt;"), (">", "#gt;"), ("&", "#amp;")):
        text = text.replace(char, code)
    for char in "[]{}()|`":
        text = text.replace(char, f"#{ord(char)};")
    return text


def _mm_ids(graph: Graph) -> dict[str, str]:
    """Readable, unique Mermaid ids (a state name can hold any character; `end` is a Mermaid keyword)."""
    ids: dict[str, str] = {}
    taken: set[str] = set()
    for node in graph.nodes:
        base = {START: "start_", END: "end_"}.get(node.id) or "s_" + re.sub(r"\W", "_", node.id)
        candidate, n = base, 2
        while candidate in taken:
            candidate, n = f"{base}_{n}", n + 1
        taken.add(candidate)
        ids[node.id] = candidate
    return ids


_MM_SHAPES = {
    Kind.START: ('(("', '"))'),
    Kind.END: ('((("', '")))'),
    Kind.CHOICE: ('{"', '"}'),
    Kind.PASS: ('("', '")'),
    Kind.SUCCEED: ('(["', '"])'),
    Kind.FAIL: ('(["', '"])'),
    Kind.PARALLEL: ('[["', '"]]'),
    Kind.MAP: ('[["', '"]]'),
    Kind.JOIN: ('(("', '"))'),
    Kind.WAIT: ('[/"', '"/]'),
}


def _mm_class_def(look: Look) -> str:
    css = f"fill:{look.fill},stroke:{look.stroke},color:{look.text},stroke-width:{look.width:g}px"
    if look.dashed:
        css += ",stroke-dasharray:5 3"
    return f"  classDef {look.key} {css}"


class _Mermaid:
    """Writes one graph as Mermaid, collecting node classes and link styles as it goes."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.ids = _mm_ids(graph)
        self.lines: list[str] = []
        self.looks: dict[str, Look] = {}
        self.classes: dict[str, list[str]] = {}
        self.link_styles: dict[str, tuple[Look, list[int]]] = {}

    def text(self) -> str:
        graph = self.graph
        title = graph.title + (f" — {graph.subtitle}" if graph.subtitle else "")
        # A Mermaid title is plain text with HTML tags stripped and no entity codes: keep what looks like a tag.
        title = title.replace("<", "\N{SINGLE LEFT-POINTING ANGLE QUOTATION MARK}")
        title = title.replace(">", "\N{SINGLE RIGHT-POINTING ANGLE QUOTATION MARK}")
        # Mermaid wraps labels at 200 px by default, which breaks retry lines mid-list.
        self.lines = [
            "---",
            f"title: {json.dumps(title, ensure_ascii=False)}",
            "config:",
            "  flowchart:",
            "    wrappingWidth: 420",
            "---",
            "flowchart TD",
        ]
        self.lines += [self.node(node, "  ") for node in graph.nodes if node.cluster is None]
        self.clusters(None, "  ")
        for index, edge in enumerate(graph.edges):
            self.edge(index, edge)
        if graph.mode is not Mode.DEFINITION:
            self.legend()
        self.lines += [_mm_class_def(look) for look in self.looks.values()]
        self.lines += [f"  class {','.join(members)} {key}" for key, members in self.classes.items()]
        for look, indexes in self.link_styles.values():
            css = f"stroke:{look.stroke},stroke-width:{look.width:g}px,color:{look.text}"
            css += ",stroke-dasharray:5 3" if look.dashed else ""
            self.lines.append(f"  linkStyle {','.join(map(str, indexes))} {css}")
        return "\n".join(self.lines) + "\n"

    def styled(self, mermaid_id: str, look: Look) -> None:
        self.looks[look.key] = look
        self.classes.setdefault(look.key, []).append(mermaid_id)

    def node(self, node: Node, indent: str) -> str:
        self.styled(self.ids[node.id], node_look(self.graph, node))
        opening, closing = _MM_SHAPES.get(node.kind, ('["', '"]'))
        if node.kind in {Kind.START, Kind.END}:
            label = node.name
        elif node.kind is Kind.JOIN:
            label = " "
        else:
            name = f"<b>{_mm(node.name)}</b>"
            name = f"<s>{name}</s>" if node.change is Change.REMOVED else name
            lines = [f"<i>{_mm(line.text)}</i>" for line in node_lines(self.graph, node)]
            label = "<br/>".join([name, *lines])
        return f"{indent}{self.ids[node.id]}{opening}{label}{closing}"

    def clusters(self, parent: str | None, indent: str) -> None:
        for cluster in self.graph.clusters:
            if cluster.parent == parent:
                cluster_id = "c_" + re.sub(r"\W", "_", cluster.id)
                self.lines.append(f'{indent}subgraph {cluster_id} ["{_mm(cluster.label)}"]')
                self.lines += [self.node(n, indent + "  ") for n in self.graph.nodes if n.cluster == cluster.id]
                self.clusters(cluster.id, indent + "  ")
                self.lines.append(f"{indent}end")

    def edge(self, index: int, edge: Edge) -> None:
        look = edge_look(self.graph, edge)
        arrow = "==>" if look.width >= 2.5 and not look.dashed else ("-.->" if look.dashed else "-->")
        label = "<br/>".join(_mm(line) for line in edge.label.splitlines())
        text = f'|"{label}"|' if label else ""
        self.lines.append(f"  {self.ids[edge.source]} {arrow}{text} {self.ids[edge.target]}")
        self.link_styles.setdefault(look.key, (look, []))[1].append(index)

    def legend(self) -> None:
        """Mermaid has no legend: a row of sample nodes in a subgraph (after every real link, so that the invisible
        links holding the row together do not shift the link numbers above), edges explained in words."""
        self.lines += ['  subgraph legend ["Legend"]', "    direction LR"]
        names = []
        for number, (look, text) in enumerate(legend(self.graph)):
            name = f"legend_{number}"
            if look.key.startswith("edge-"):
                sample = Look(f"legend-{look.key}", "#FFFFFF", look.stroke, text=look.text or look.stroke)
                self.lines.append(f'    {name}["{_mm("arrows: " + text)}"]')
            else:
                sample = look
                self.lines.append(f'    {name}["{_mm(text)}"]')
            self.styled(name, sample)
            names.append(name)
        self.lines.append("    " + " ~~~ ".join(names))
        self.lines.append("  end")
        self.lines.append("  style legend fill:#FFFFFF,stroke:#DADCE0")


def to_mermaid(graph: Graph) -> str:
    """A Mermaid flowchart (top to bottom) that GitHub and JupyterLab render as is."""
    return _Mermaid(graph).text()


def to_markdown(graph: Graph) -> str:
    """Markdown with the Mermaid chart in a ```mermaid fence (GitHub and JupyterLab draw it)."""
    return (
        "<!-- Generated by `orderflow graph` (workflow/graph/); edits are overwritten. -->\n\n"
        f"```mermaid\n{to_mermaid(graph)}```\n"
    )
