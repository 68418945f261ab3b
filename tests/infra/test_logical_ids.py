"""The logical ids of every stateful resource, written out: CloudFormation replaces a resource whose logical id
changes, and a replaced table, queue, topic, secret, key or state machine leaves its data (messages, history,
encrypted topics' subscribers' trust) behind. A refactoring that moves a resource under another construct changes its
id; this fails first. Change a list here only to replace that resource on purpose."""

from __future__ import annotations

import pytest

from tests.infra.conftest import Synth, resources

STATEFUL: dict[str, set[str]] = {
    "AWS::DynamoDB::Table": {
        "OrdersTable315BB997",
        "IdempotencyTable22A5A209",
        # RequestsTable419243C7 (Powertools' request records) was removed on purpose: the key's reservation is the
        # one record of a POST now. The table is retained, and its records were only ever 24 hours old.
        "AlertLogTable13B5F413",
    },
    "AWS::SQS::Queue": {
        "OrdersQueue3DFA1D51",
        "OrdersDlqQueue7F774FA5",
        "AlertsQueue4709902F",
        "AlertsDlqQueue806323D9",
        "StuckChecksQueue58AB5E6B",
        "StuckChecksDlqQueue91400836",
    },
    "AWS::SNS::Topic": {"AlertsTopic3414BE91", "OrderEventsTopic9AB57471", "AlarmsTopicABBEC356"},
    "AWS::SecretsManager::Secret": {
        "SlackWebhookSecretD7DD20C0",
        "AlertWebhookSecretB7C7747E",
        "PagerdutyRoutingKeySecretC9A4460B",
        "TeamsWebhookSecret8FD71C48",
    },
    "AWS::KMS::Key": {"TopicKeyB2E0C9CB"},
    "AWS::StepFunctions::StateMachine": {"OrdersA9B65338"},
    # Log groups hold the only record of Express executions; a replaced one starts empty.
    "AWS::Logs::LogGroup": {
        "StartWorkflowLogsE08073C8",
        "ValidateOrderLogsD4C4B179",
        "CreateOrderLogsDBC8C1AA",
        "NotifyOrderLogs18DEE05A",
        "ProcessOrderWorkerLogsA94DB104",
        "AlertHandlerLogs84B30D1A",
        "FindStuckOrdersLogs7531D7FB",
        "StateMachineLogs3CB16D3C",
        "ApiAccessLogsE9DF007D",
    },
}
# The version and alias carry the workflow type in their ids on purpose (infra/constructs/state_machine.py).
PUBLISHED: dict[str, dict[str, set[str]]] = {
    "STANDARD": {
        "AWS::StepFunctions::StateMachineVersion": {"OrdersStandardVersion"},
        "AWS::StepFunctions::StateMachineAlias": {"StandardLiveAlias"},
    },
    "EXPRESS": {
        "AWS::StepFunctions::StateMachineVersion": {"OrdersExpressVersion"},
        "AWS::StepFunctions::StateMachineAlias": {"ExpressLiveAlias"},
    },
}


@pytest.mark.parametrize("workflow_type", ["STANDARD", "EXPRESS"])
def test_stateful_logical_ids_never_change(synth: Synth, workflow_type: str) -> None:
    template = synth.standard if workflow_type == "STANDARD" else synth.express
    for kind, ids in {**STATEFUL, **PUBLISHED[workflow_type]}.items():
        # Every pinned id is still there: a changed one would be missing. A new resource (a new alert target's secret)
        # adds an id without replacing anything; pin it here once it holds data worth keeping.
        missing = ids - set(resources(template, kind))
        assert not missing, f"{kind}: {sorted(missing)} would be replaced on deploy"
