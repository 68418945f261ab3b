"""The emulator: everything that changes moto's behaviour, so that moto serves AWS as the local system needs it.

    table.py                  the patch table: every row (owner, attribute, moto's original, ours, its checks);
                              install(Wiring) / uninstall() / probe()
    patches.py                Patch and Check, installing and undoing rows, moto's exact version (PINNED_MOTO)
    wiring.py                 Wiring: what a system plugs in (Lambda dispatcher, faults, listeners, retry scale)
    services.py               Lambda's invocation hook; the Step Functions, SQS and SNS API hooks
    dynamodb.py               DynamoDB serialized per table, its faults; reads of moto's backend (read_item)
    interpreter.py            the parse cache, cached JSONPaths, reused task clients, scaled retries, AWS timestamps
    error_matching.py         Retry and Catch rules matched as AWS matches them (States.ALL takes no States.Runtime)
    jsonata_engine.py         JSONata and variables as AWS evaluates them (moto wires no evaluator)
    jsonata_failures.py       a failing expression's error and events as AWS reports them; Map and Parallel errors
    express.py                Express's contract (at-least-once starts, no history behind the API, log records)
    state_machine_versions.py ListStateMachineVersions and DeleteStateMachineVersion
    test_state.py             TestState: one state (or one of a machine's) with mocks, retry and catch inspection
    test_state_request.py     TestState's request read and checked (definition, mock); Retry and Catch rules matched
    test_state_config.py      TestState's whole request read (stateConfiguration too); a mocked Map's threshold
    test_state_shapes.py      a mocked result checked against its API's output shape (fieldValidationMode)
    mock_config.py            Step Functions Local's mock configuration file, read and checked (SFN_MOCK_CONFIG)
    mocked_runs.py            StartExecution on <arn>#<case>: a whole execution with the case's mocked responses
    virtual_time.py           a mocked execution's clock: Waits and retry backoff take no wall time
    checks.py                 the shape and source-text checks (run at every install)
    probe_system.py           a patched moto of its own for the behaviour checks; probes.py, probes_asl.py,
                              probes_mocks.py: them
    README.md                 every patch, why it exists and what AWS does: the checklist for a moto upgrade

May import moto, boto3/botocore, workflow.query and workflow.query_checks (JSONata evaluation and the creation
checks) and handlers.arns (execution names from ARNs). Must not import workflow.local or workflow.harness (they
build on it), nor the CLI. Must not be imported by workflow.ops, workflow.graph, the workflow's definition or
manifest, handlers or infra: the deployed system never runs it.
"""
