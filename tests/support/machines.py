"""State machines written with workflow.dsl, shared by the DSL's unit tests and the conformance suite that runs them."""

from __future__ import annotations

from stepfunctions.steps import Chain

from workflow import dsl


def priced_orders() -> Chain:
    start = dsl.Pass("Start", assign={"customer": "{% $states.input.customer %}", "limit": 100})
    price = dsl.Map(
        "Price",
        items="{% $states.input.lines %}",
        item_selector={"qty": "{% $states.context.Map.Item.Value.qty %}", "price": 2},
        assign={"total": "{% $sum($states.result) %}"},
    )
    price.attach_iterator(dsl.Pass("Line", output="{% $states.input.qty * $states.input.price %}"))
    rejected = dsl.Pass("Rejected", output={"rejected": "{% $customer %}"})
    price.add_catch(
        dsl.Catch(
            error_equals=["States.ALL"],
            next_step=rejected,
            assign={"why": '{% $exists($states.errorOutput.Error) ? $states.errorOutput.Error : "" %}'},
        )
    )
    check = dsl.Choice("Check")
    check.add_choice(dsl.Condition("{% $total > $limit %}", assign={"over": True}), dsl.Fail("TooBig", error="Over"))
    check.default_choice(dsl.Succeed("Done", output={"customer": "{% $customer %}", "total": "{% $total %}"}))
    return Chain([start, price, check])
