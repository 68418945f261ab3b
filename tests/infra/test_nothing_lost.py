"""Nothing easy to lose: every way a message or an event reaches us has somewhere to go when it cannot be handled, and
the tables refuse deletion. The test walks the synthesized template, so a subscription, event source mapping or
asynchronous target added later without a dead-letter queue fails here."""

from __future__ import annotations

from typing import Any

import pytest

from tests.infra.conftest import Synth, resources

# Services that invoke a Lambda function asynchronously (their failures after Lambda's retries are dropped unless
# the function has an on-failure destination).
ASYNC_INVOKERS = {"events.amazonaws.com", "sns.amazonaws.com", "s3.amazonaws.com", "scheduler.amazonaws.com"}


def _logical_id(value: Any) -> str:
    """The resource a Ref or Fn::GetAtt names."""
    if "Ref" in value:
        return str(value["Ref"])
    return str(value["Fn::GetAtt"][0])


@pytest.mark.parametrize("variant", ["standard", "express"])
def test_every_subscription_mapping_and_async_target_has_a_dead_letter_queue(synth: Synth, variant: str) -> None:
    template = getattr(synth, variant)
    queues = resources(template, "AWS::SQS::Queue")
    subscriptions = resources(template, "AWS::SNS::Subscription")
    assert subscriptions
    for name, subscription in subscriptions.items():
        redrive = subscription["Properties"].get("RedrivePolicy")
        assert redrive, f"SNS subscription {name} drops what it cannot deliver"
        assert _logical_id(redrive["deadLetterTargetArn"]) in queues, name
    mappings = resources(template, "AWS::Lambda::EventSourceMapping")
    assert mappings
    for name, mapping in mappings.items():
        source = _logical_id(mapping["Properties"]["EventSourceArn"])
        redrive = queues[source]["Properties"].get("RedrivePolicy")
        assert redrive, f"event source mapping {name} reads {source}, which has no dead-letter queue"
        assert redrive["maxReceiveCount"] >= 1
        assert mapping["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"], name
    rules = resources(template, "AWS::Events::Rule")
    assert rules
    for name, rule in rules.items():
        for target in rule["Properties"]["Targets"]:
            assert _logical_id(target["DeadLetterConfig"]["Arn"]) in queues, f"rule {name}'s target has no DLQ"
    invoke_configs = {
        _logical_id(c["Properties"]["FunctionName"]) if isinstance(c["Properties"]["FunctionName"], dict) else "": c
        for c in resources(template, "AWS::Lambda::EventInvokeConfig").values()
    }
    for name, permission in resources(template, "AWS::Lambda::Permission").items():
        if permission["Properties"]["Principal"] in ASYNC_INVOKERS:
            function = _logical_id(permission["Properties"]["FunctionName"])
            config = invoke_configs.get(function)
            assert config is not None, f"{function} is invoked asynchronously ({name}) with no on-failure destination"
            assert config["Properties"]["DestinationConfig"]["OnFailure"]["Destination"], function


@pytest.mark.parametrize("variant", ["standard", "express"])
def test_tables_refuse_deletion_and_are_retained(synth: Synth, variant: str) -> None:
    for name, table in resources(getattr(synth, variant), "AWS::DynamoDB::Table").items():
        assert table["Properties"]["DeletionProtectionEnabled"] is True, name
        assert table["DeletionPolicy"] == "Retain", name


def _orders_indexes(synth: Synth) -> dict[str, Any]:
    (orders,) = [t for n, t in resources(synth.standard, "AWS::DynamoDB::Table").items() if n.startswith("OrdersTable")]
    return {index["IndexName"]: index for index in orders["Properties"]["GlobalSecondaryIndexes"]}


def test_the_open_orders_index_is_sparse_and_projects_what_the_stuck_check_reads(synth: Synth) -> None:
    index = _orders_indexes(synth)["open-orders"]
    assert [k["AttributeName"] for k in index["KeySchema"]] == ["openShard", "openSince"]
    assert index["Projection"]["ProjectionType"] == "INCLUDE"
    assert set(index["Projection"]["NonKeyAttributes"]) == {"status", "updatedAt", "executionArn", "correlationId"}


def test_the_orders_by_time_index_projects_a_list_row_but_not_the_failure(synth: Synth) -> None:
    """The console's orders list reads it (workflow.console.orders). CloudFormation adds one index to a table per
    deploy: the orders table has these two and gains no other in the same change."""
    indexes = _orders_indexes(synth)
    assert set(indexes) == {"open-orders", "orders-by-time"}
    index = indexes["orders-by-time"]
    assert [(k["AttributeName"], k["KeyType"]) for k in index["KeySchema"]] == [
        ("listShard", "HASH"),
        ("listKey", "RANGE"),
    ]
    assert index["Projection"]["ProjectionType"] == "INCLUDE"
    assert set(index["Projection"]["NonKeyAttributes"]) == {"status", "updatedAt", "currency", "total"}
