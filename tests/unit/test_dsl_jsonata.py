"""The DSL writes JSONata and variables (workflow.dsl), and a compile refuses what AWS or the run would refuse."""

from __future__ import annotations

from typing import Any

import pytest
from stepfunctions.steps import Chain

from tests.support.machines import priced_orders
from workflow import asl, dsl


def test_the_dsl_writes_jsonata_and_variables() -> None:
    definition = asl.compile_chain(priced_orders(), query_language="JSONata")
    assert definition["QueryLanguage"] == "JSONata"
    states = definition["States"]
    assert states["Start"]["Assign"] == {"customer": "{% $states.input.customer %}", "limit": 100}
    assert states["Price"]["Items"] == "{% $states.input.lines %}"
    assert states["Price"]["ItemProcessor"]["ProcessorConfig"] == {"Mode": "INLINE"}
    assert states["Price"]["ItemProcessor"]["States"]["Line"]["Output"].startswith("{%")
    assert states["Price"]["Catch"][0]["Assign"] == {
        "why": '{% $exists($states.errorOutput.Error) ? $states.errorOutput.Error : "" %}'
    }
    assert states["Check"]["Choices"] == [
        {"Condition": "{% $total > $limit %}", "Assign": {"over": True}, "Next": "TooBig"}
    ]
    assert "Iterator" not in states["Price"]


def compile_states(*states: Any) -> dict[str, Any]:
    return asl.compile_chain(Chain(list(states)), query_language="JSONata")


@pytest.mark.parametrize(
    ("state", "message"),
    [
        (dsl.Pass("P", output="{% 1 + %}"), "does not parse"),
        (dsl.Pass("P", output="{% $eval('1') %}"), r"\$eval"),
        (dsl.Pass("P", result_path="$.x"), "ResultPath is a JSONPath field"),
        (dsl.Pass("P", output="{% $never %}"), r"\$never is read, but no state"),
        (dsl.Pass("P", assign={"states": 1}), "reserved"),
    ],
)
def test_a_compile_refuses(state: Any, message: str) -> None:
    with pytest.raises(asl.DefinitionError, match=message):
        compile_states(state)


def test_a_compile_refuses_a_read_before_the_assignment() -> None:
    with pytest.raises(asl.DefinitionError, match=r"\$x is read on a path where no earlier state assigns it"):
        compile_states(dsl.Pass("Read", output="{% $x %}"), dsl.Pass("Write", assign={"x": 1}))


def test_jsonata_fields_refused_in_a_jsonpath_definition() -> None:
    with pytest.raises(asl.DefinitionError, match="Output is a JSONata field"):
        asl.compile_chain(Chain([dsl.Pass("P", output={"a": 1})]))


def test_condition_must_be_an_expression() -> None:
    with pytest.raises(ValueError, match="JSONata expression"):
        dsl.Condition("$.total > 100")


def test_the_graph_shows_what_states_assign_and_output() -> None:
    from workflow import graph as g

    drawn = g.state_graph(asl.compile_chain(priced_orders(), query_language="JSONata"))
    nodes = {node.id: node for node in drawn.nodes}
    assert nodes["Start"].detail == "sets $customer, $limit"
    assert nodes["Price"].detail == "sets $total"
    assert "Output" in nodes["Done"].tooltip
    labels = {(edge.source, edge.target): edge.label for edge in drawn.edges}
    assert labels[("Price", "Rejected")] == "catch States.ALL · sets $why"
    assert labels[("Check", "TooBig")] == "$total > $limit · sets $over"
    assert labels[("Check", "Done")] == "default"
