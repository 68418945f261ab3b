"""The order workflow and everything that runs, draws and operates it.

    definition.py  the state machine in the `stepfunctions` DSL (a pure function)
    dsl.py         what the DSL lacks (Retry jitter and max delay, ResultSelector, native integrations)
    asl.py         compile to ASL with ${placeholders}, and the build-time checks
    manifest.py    the one list of resources: functions, tables, queues, topics, secrets, substitutions, outputs
    golden/        the reviewed ASL, diffed by a test
    openapi.py     the orders API's OpenAPI document, from the constants the handlers enforce
    graph/         state graphs: a definition, an execution on it, a diff (pure: events come in as data)
    ops/           operator tools, the same against the local system and AWS
    local/         the embedded local system on moto, and the harnesses that check it (chaos, fuzz)
    cost/          what an order costs on AWS: the templates' facts x the usage a local run meters x dated prices
    cli/           the `orderflow` console script, one module per command group

Imports run downwards: cli uses cost, ops, local and graph; cost uses local; local uses ops (chaos reads what
operators read); ops and graph use the workflow itself; nothing here is imported by handlers/ (which ship to Lambda
alone).
"""
