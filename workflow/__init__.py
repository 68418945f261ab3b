"""The order workflow and everything that runs, draws and operates it.

    definition.py  the state machine in the `stepfunctions` DSL (a pure function)
    retries.py     its retry policies (one per workflow type) and the error names they retry
    failure_route.py  its failure route: RecordFailure, PublishFailure, and the Catch that leads a step there
    query_language.py  its requests, written once and compiled to JSONata or JSONPath
    dsl.py         what the DSL lacks (Retry jitter and max delay, ResultSelector, native integrations)
    asl.py         compile to ASL with ${placeholders}, and the build-time checks
    query.py       JSONata as Step Functions speaks it: parse, check and evaluate `{% … %}` (the DSL, asl, emulator)
    query_checks.py  what a definition's query languages and variables must satisfy (AWS's creation checks)
    manifest.py    the one list of resources: functions, tables, queues, topics, secrets, substitutions, outputs
    resources.py   what the manifest is made of (references, resources, triggers, access) and its self-checks
    golden/        the reviewed ASL, diffed by a test
    openapi.py     the orders API's OpenAPI document, from the constants the handlers enforce
    openapi_schemas.py  its JSON Schemas, one per resource
    graph/         state graphs: a definition, an execution on it, a diff (pure: events come in as data)
    ops/           operator tools, the same against the local system and AWS
    emulator/      everything that changes moto: one patch table, its checks, the moto version pin
    local/         the embedded local system on moto: runtime, provisioning, the API stand-in, pollers
    harness/       chaos, fuzz and the meter: checks that start a local system and judge it
    cost/          what an order costs on AWS: the templates' facts x the usage a local run meters x dated prices
    cli/           the `orderflow` console script, one module per command group
    testing/       the pytest kit: TestState, whole executions and mock-file cases on an in-process patched moto

Imports run downwards: cli uses cost, harness, ops, local and graph; cost uses local and the harness's meter;
harness uses local and ops (chaos reads what operators read); local uses the emulator and ops; testing uses the
emulator and ops' local names (never local, harness or the CLI) and is imported only by tests and the bench; the
emulator uses moto and the workflow's JSONata; ops and graph use the workflow itself; nothing here is imported by
handlers/ (which ship to Lambda alone).
"""
