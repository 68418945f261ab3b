"""The local system: AWS served in-process by moto (as patched by workflow.emulator), provisioned from the manifest,
with our handlers run in-process.

    runtime.py       LocalRuntime's life cycle: start/stop, resolving the manifest's references (names:
                     workflow.ops.local_names), provisioning, serving the API and the AWS endpoint
    inspection.py    what a running system answers about itself: executions, orders, queues, and the waits for them
                     (a mixin of LocalRuntime)
    config.py        RuntimeConfig
    provisioning.py  the resources, created as the CDK stack creates them on AWS
    lambdas.py       in-process Lambda invocations, in the Lambda runtime's error shape (the emulator's dispatcher)
    calls.py         every AWS call each function makes, recorded (the integration tier's least-privilege check)
    poller.py        SQS event sources: batching windows, visibility, partial batch failures; the queues' ticks (Ticker)
    api.py           the HTTP API stand-in (h11), with http_framing.py and guard.py (loopback only, problem bodies)
    faults.py        fault plans, the dice that roll them, and the faults the services' hooks ask for
    observer.py      what the system tells an observer of the calls it served (the harness's meter)
    waiting.py       the one bounded wait (poll_until), and quiesce (until the system is quiet)
    receiver.py      a loopback webhook with programmable answers (tests, notebooks, chaos)
    samples.py       the sample order (tests, notebooks)

May import workflow.emulator, moto, boto3, the workflow, its ops package, and handlers (they run here). Must not
import workflow.harness (the harnesses build on it) nor the CLI. Must not be imported by workflow.ops, workflow.graph,
the workflow's definition or manifest, handlers or infra: only by the CLI, workflow.cost, workflow.harness, tests,
notebooks and bench. The deployed system never runs it.
"""
