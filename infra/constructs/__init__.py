"""The stack's parts, one module each: storage (tables, secrets), messaging (the topic key, queues, topics and their
subscriptions), functions (package, layer, log groups, roles, environment, grants, triggers), state_machine (the
compiled ASL, its role, version and `live` alias), api (HTTP API, routes, stage), monitoring (alarms, dashboard);
references resolves manifest references and IAM grants against what was built, names turns manifest names into ids.

Each part is a builder function that creates its resources in the scope it is given, which is the stack itself:
no part is a `Construct` subclass, because a child construct prefixes the logical id of everything below it, and
CloudFormation replaces a resource whose logical id changes (a table or queue with its data, the key, the state
machine with its history). tests/infra/test_logical_ids.py pins the stateful ones.

May import: aws_cdk and constructs; workflow.manifest and workflow.asl (what to build); infra.permissions (IAM as
data); handlers.domain.contract's route constants; each other. The operator's settings arrive as arguments (plain
values).
Must not import: infra.stack, infra.app or infra.nag (they compose and check these parts); workflow.emulator,
workflow.local, workflow.harness, the CLI or the operator tools; boto3 or anything that calls AWS at synth. Must
not: name a resource (function_name=, table_name=...: CloudFormation names them), list a resource the manifest does
not, or grant what the manifest's access or the compiled ASL does not ask for.
"""
