"""The harnesses: checks that start a local system, drive it, and judge what it did.

    chaos.py            `orderflow chaos`: orders under a fault plan, duplicates and malformed ones, then reruns
    chaos_report.py     what the clients were told against what the system holds: the invariants and the report
    chaos_incidents.py  the incident targets' invariants (PagerDuty triggers and resolves, Teams cards)
    fuzz/               `orderflow fuzz`: the API fuzzed from its OpenAPI document (schemathesis)
    meter.py            what the system served, counted as AWS bills it (`orderflow cost` reads it)
    progress.py         the progress bar of a long run on a terminal (chaos, fuzz, cost, bench): silent otherwise

May import workflow.local, workflow.emulator, the workflow, its ops package and handlers. Must not be imported by
workflow.local or workflow.emulator (they come first), workflow.ops, workflow.graph, the workflow's definition or
manifest, handlers or infra: only by the CLI, workflow.cost (the meter), tests and bench.
"""
