"""State graphs of a Step Functions definition, drawn without any browser or CDN.

One model, several renderers:

    graph = state_graph(compile_order_workflow())          # the definition: states, Next/Choice/Catch/Retry edges
    graph = overlay(graph, history["events"])              # one execution on top: status, retries, duration, path
    graph = diff(old_definition, new_definition)           # two definitions as one graph: added/removed/changed
    graph = coverage_graph(definition, covered_keys)       # each edge covered by the tests or not (coverage)
    to_mermaid(graph); to_markdown(graph); to_dot(graph)   # text, no system dependency
    render(graph, "order.svg")                             # by suffix: .svg .png (Graphviz `dot`) .md .mmd .dot

Colours and shapes are decided once, on the model (`node_look`, `edge_look`, `legend`); the renderers only spell them
in DOT or Mermaid syntax.

What lives where (each module imports only those above it):

    model           Graph, Node, Edge, Cluster, Run; Kind, EdgeKind, Mode, Status, Change; GraphError; START, END
    build           state_graph: a compiled ASL definition -> its graph
    history         read_history, History: an execution's events -> what happened in each state
    execution       overlay: one execution on a definition's graph
    changes         diff: two definitions -> one graph of what changed
    coverage_edges  FlowEdge, edges, signature, state_edges, history_edges: a definition's edges, what one run took
    coverage_draw   coverage_graph: a definition's graph with each edge covered or not
    coverage        Collector, Coverage: which edges TestState answers and histories covered (imports all the above)
    looks           Look, node_look, edge_look, legend, Line, node_lines, node_tooltip: shared by every renderer
    dot             to_dot; run_dot, to_svg, to_png through Graphviz's `dot` program; GraphvizNotFound, GraphvizError
    mermaid         to_mermaid, to_markdown
    files           render, check_output: by the file name's suffix

This package is pure: the standard library and its own modules, nothing else at run time. It must not import
boto3, botocore, moto, workflow.emulator, workflow.local, workflow.harness or workflow.ops: reading an execution's
events is workflow.ops.history's, and this package takes them as data. The one thing it runs is Graphviz's `dot`,
for .svg and .png, and only when asked.
"""

from workflow.graph.build import state_graph
from workflow.graph.changes import diff
from workflow.graph.dot import (
    DOT_TIMEOUT_SECONDS,
    FONT,
    INSTALL_GRAPHVIZ,
    GraphvizError,
    GraphvizNotFound,
    main_path,
    run_dot,
    to_dot,
    to_png,
    to_svg,
)
from workflow.graph.execution import overlay
from workflow.graph.files import RENDERERS, check_output, render
from workflow.graph.history import History, read_history
from workflow.graph.looks import Line, Look, edge_look, legend, node_lines, node_look, node_tooltip
from workflow.graph.mermaid import to_markdown, to_mermaid
from workflow.graph.model import (
    END,
    MINUS,
    START,
    TIMES,
    Change,
    Cluster,
    Edge,
    EdgeKind,
    Graph,
    GraphError,
    Kind,
    Mode,
    Node,
    Run,
    Status,
)

__all__ = [
    "DOT_TIMEOUT_SECONDS",
    "END",
    "FONT",
    "INSTALL_GRAPHVIZ",
    "MINUS",
    "RENDERERS",
    "START",
    "TIMES",
    "Change",
    "Cluster",
    "Edge",
    "EdgeKind",
    "Graph",
    "GraphError",
    "GraphvizError",
    "GraphvizNotFound",
    "History",
    "Kind",
    "Line",
    "Look",
    "Mode",
    "Node",
    "Run",
    "Status",
    "check_output",
    "diff",
    "edge_look",
    "legend",
    "main_path",
    "node_lines",
    "node_look",
    "node_tooltip",
    "overlay",
    "read_history",
    "render",
    "run_dot",
    "state_graph",
    "to_dot",
    "to_markdown",
    "to_mermaid",
    "to_png",
    "to_svg",
]
