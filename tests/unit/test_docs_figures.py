"""The figures the README and docs state that follow from the definition alone (no run needed): the Express worst
path, Standard's time to fail at CreateOrder, the happy path and its billed transitions, and what Step Functions
bills for them per 1M orders. Each is computed here from workflow.asl and the price table and read back from the
text, so a new state fails here until the docs say what it changes. The cost table is held to the committed cost
snapshot; other measured figures (orders/s, the mixed run's totals) are `make bench`'s and `make cost`'s, dated in
docs/cost-and-speed.md, and not checked here."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.support.derived import happy_path
from workflow import asl
from workflow.cost.model import MILLION, Prices

REPO = Path(__file__).resolve().parents[2]
TRANSITION_USD = Prices.load()["stepfunctions.standard.transition"]


def text(path: str) -> str:
    return (REPO / path).read_text(encoding="utf-8")


def stated(path: str, pattern: str) -> list[Any]:
    """What `pattern` finds in the file (re.findall: a string per match, a tuple with two groups or more); at least
    one match, or the docs no longer state the figure."""
    found = re.findall(pattern, text(path))
    assert found, f"{path} no longer states {pattern!r}: update this test with the docs"
    return found


def failure_path(definition: dict[str, Any], step: str) -> list[str]:
    """The states entered when `step` fails for good: the happy path up to it, its last (States.ALL) Catch, then
    each Next to the end."""
    path = happy_path(definition)
    entered = path[: path.index(step) + 1]
    name = definition["States"][step]["Catch"][-1]["Next"]
    while name is not None:
        entered.append(name)
        name = definition["States"][name].get("Next")
    return entered


def test_the_express_worst_path_is_the_one_the_docs_state() -> None:
    worst = asl.budget(asl.compile_order_workflow("EXPRESS"))[0]
    assert worst.seconds is not None
    failing = worst.states[worst.states.index("PublishFailure") - 1]  # the step whose failure the alert reports
    (seconds, step) = stated("docs/local-aws.md", r"(\d+) s for Express \(through (\w+)'s failure and the alert\)")[0]
    assert (float(seconds), step) == (worst.seconds, failing), "docs/local-aws.md states the Express worst path"


def test_standard_s_time_to_fail_at_create_order_is_the_one_the_docs_state() -> None:
    """Standard's policy on an Express machine: every attempt of each step up to CreateOrder, to its timeout."""
    standard = asl.compile_order_workflow("STANDARD")
    path = happy_path(standard)
    budgets = [asl.state_budget(n, standard["States"][n]).seconds for n in path[: path.index("CreateOrder") + 1]]
    assert all(b is not None for b in budgets)
    (seconds,) = stated("docs/local-aws.md", r"Standard's own policy would take (\d+) s to fail at CreateOrder")
    assert float(seconds) == sum(b for b in budgets if b is not None), "docs/local-aws.md states Standard's time"


@pytest.mark.parametrize("path", ["docs/architecture.md", "docs/cost-and-speed.md", "workflow/definition.py"])
def test_the_happy_path_s_billed_transitions_are_the_ones_the_docs_state(path: str) -> None:
    steps = happy_path()
    assert {int(n) for n in stated(path, r"(\d+) billed transitions")} == {len(steps)}, f"{path}: its transitions"
    if path != "docs/cost-and-speed.md":  # the diagram: the line that counts them names every state on the way
        (line,) = [line for line in text(path).splitlines() if "billed transitions" in line]
        assert re.findall(r"[A-Z]\w+", line.split("(")[0]) == steps, f"{path}: its happy path: {line}"


def test_the_happy_path_is_the_one_the_cost_page_names() -> None:
    (named,) = stated("docs/cost-and-speed.md", r"every state on the happy path does work: `([\w →\n]+)`")
    assert named.split() == " → ".join(happy_path()).split(), "docs/cost-and-speed.md names the happy path"


def test_step_functions_per_million_orders_is_the_one_the_docs_state() -> None:
    """Standard bills every state entered: the happy path's transitions at the table's price, per 1M orders."""
    transitions = len(happy_path())
    ((dollars, count),) = stated("docs/cost-and-speed.md", r"Step Functions \$([\d,.]+) \((\d+) billed transitions\)")
    expected = (f"{transitions * TRANSITION_USD * MILLION:,.2f}", transitions)
    assert (dollars, int(count)) == expected, "docs/cost-and-speed.md: Step Functions' dollars and transitions"


@pytest.mark.parametrize(
    ("path", "pattern"),
    [
        ("docs/cost-and-speed.md", r"a state added to the happy path costs \$(\d+) per 1M orders"),
        ("docs/extending.md", r"a Standard transition is \$(\d+) per 1M orders"),
    ],
)
def test_a_transition_per_million_orders_is_the_price_the_docs_state(path: str, pattern: str) -> None:
    assert {float(d) for d in stated(path, pattern)} == {TRANSITION_USD * MILLION}, f"{path}: a transition's price"


def test_a_failing_order_s_transitions_are_the_ones_the_docs_state() -> None:
    """A failed validation: JSONata's Catch writes the failure document, JSONPath needs a <Step>Failed Pass more."""
    jsonata = len(failure_path(asl.compile_order_workflow(), "ValidateOrder"))
    jsonpath = len(failure_path(asl.compile_order_workflow(query_language="JSONPath"), "ValidateOrder"))
    (figures,) = stated("docs/cost-and-speed.md", r"A failing order costs (\d+) transitions, not (\d+)")
    assert (int(figures[0]), int(figures[1])) == (jsonata, jsonpath), "docs/cost-and-speed.md: a failing order"


def test_the_cost_table_is_the_committed_snapshot() -> None:
    """docs/cost-and-speed.md's totals and fixed costs are workflow/cost/snapshot.json's (`make regen` rewrites it
    from a measured run; the cost test holds a measured run to it)."""
    from workflow.cost.snapshot import load

    snapshot = load()
    ((standard, express),) = stated(
        "docs/cost-and-speed.md", r"\| total, every order succeeding \| \$([\d.,]+) \| \$([\d.,]+) \|"
    )
    totals = tuple(f"{snapshot[k]['total_per_million']:,.2f}" for k in ("standard", "express"))
    assert (standard, express) == totals, "docs/cost-and-speed.md's cost table (make regen rewrote the snapshot)"
    ((fixed_standard, fixed_express),) = stated(
        "docs/cost-and-speed.md", r"\| fixed per month, whatever the volume \| \$([\d.,]+) \(.*?\) \| \$([\d.,]+) \|"
    )
    fixed = tuple(f"{snapshot[k]['fixed_per_month']:,.2f}" for k in ("standard", "express"))
    assert (fixed_standard, fixed_express) == fixed, "docs/cost-and-speed.md's fixed monthly cost"
    ratio = snapshot["standard"]["total_per_million"] / snapshot["express"]["total_per_million"]
    (times,) = stated("docs/cost-and-speed.md", r"per 1M it is (\d+) times cheaper than STANDARD")
    assert int(times) == int(ratio), "docs/cost-and-speed.md: how many times cheaper Express is"
