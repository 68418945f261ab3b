"""The local system: AWS served in-process by moto, provisioned from the manifest, with our handlers run in-process.

    runtime.py       LocalRuntime: start/stop, resolving the manifest's references (names: workflow.ops.local_names),
                     serving the API and the AWS endpoint
    provisioning.py  the resources, created as the CDK stack creates them on AWS
    moto_hooks.py    the places we reach into moto (pinned exactly; a test fails when they move)
    lambdas.py       in-process Lambda invocations, in the Lambda runtime's error shape
    calls.py         every AWS call each function makes, recorded (the integration tier's least-privilege check)
    poller.py        SQS event sources: batching windows, visibility, partial batch failures; the queues' ticks
    api.py           the HTTP API stand-in (h11), with http_framing.py and guard.py (loopback only, problem bodies)
    faults.py        fault plans and the dice that roll them
    waiting.py       the one bounded wait (poll_until)
    receiver.py      a loopback webhook with programmable answers (tests, notebooks, chaos)
    samples.py       the sample order (tests, notebooks)
    chaos.py, fuzz/  harnesses: orders under faults (invariants checked); the API fuzzed from its OpenAPI document

May import moto, boto3, the workflow, graph and ops packages, and handlers (they run here). Must not be imported by
workflow.ops, workflow.graph, the workflow's definition or manifest, handlers or infra: only by the CLI, tests,
notebooks and bench. The deployed system never runs it.
"""
