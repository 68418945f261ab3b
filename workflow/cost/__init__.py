"""`orderflow cost`: what an order costs on AWS, per 1M orders and per service, for both workflow types.

    model.py     the calculation (pure): usage x template facts x assumptions x a dated price table
    template.py  the billing facts of the synthesized CloudFormation templates
    run.py       usage per order, measured on a local system running a mix of orders
    snapshot.py  the committed figures (snapshot.json) a measured run is held to: a change shows in dollars
    prices-us-east-1.json  the price table, each price with its source

May import the workflow (asl, manifest), workflow.local (to run the local system), workflow.harness.meter (to meter
it) and workflow.ops (histories). Imported by the CLI and tests; model.py (pure) by workflow.ops.trace too.
"""
