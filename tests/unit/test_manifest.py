"""The manifest checks itself, for the local runtime and AWS alike: names it refers to exist, a queue's visibility
timeout covers its consumer, and (with the compiled ASL) no Lambda Task gives up before its function does."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from workflow import asl
from workflow.manifest import MANIFEST, Manifest, ManifestError, QueueUrl, ReadSecret, TableAccess


def with_function(manifest: Manifest, name: str, **changes: Any) -> Manifest:
    functions = tuple(replace(f, **changes) if f.name == name else f for f in manifest.functions)
    return replace(manifest, functions=functions)


def with_queue(manifest: Manifest, name: str, **changes: Any) -> Manifest:
    return replace(manifest, queues=tuple(replace(q, **changes) if q.name == name else q for q in manifest.queues))


def test_the_manifest_and_its_definition_pass_their_checks() -> None:
    asl.check_manifest(asl.compile_order_workflow(), MANIFEST)
    states = asl.compile_order_workflow()["States"]
    # Today's margins: the Task waits 30 s for a 10 s function; the order queue's visibility is 6x the worker's.
    assert states["CreateOrder"]["TimeoutSeconds"] == 30
    assert MANIFEST.function("CreateOrder").timeout == 10
    assert MANIFEST.queue("orders").visibility_timeout == 6 * MANIFEST.function("ProcessOrderWorker").timeout


def test_a_queue_whose_visibility_is_under_six_times_its_consumer_s_timeout_is_refused() -> None:
    with pytest.raises(ManifestError, match=r"queue orders: visibility timeout 179s is under 6x ProcessOrderWorker's"):
        with_queue(MANIFEST, "orders", visibility_timeout=179)
    with pytest.raises(ManifestError, match=r"queue alerts: .* under 6x AlertHandler's timeout \(181s\)"):
        with_function(MANIFEST, "AlertHandler", timeout=181)


def test_a_lambda_task_that_times_out_before_its_function_is_refused() -> None:
    slow = with_function(MANIFEST, "NotifyOrder", timeout=31)
    with pytest.raises(asl.DefinitionError, match=r"Task NotifyOrder times out after 30s, before its function "):
        asl.check_manifest(asl.compile_order_workflow(), slow)
    # Equal is enough: the Task waits as long as the function may run.
    asl.check_manifest(asl.compile_order_workflow(), with_function(MANIFEST, "NotifyOrder", timeout=30))


def test_a_task_on_a_resource_the_manifest_does_not_name_is_refused() -> None:
    definition = asl.compile_order_workflow()
    definition["States"]["NotifyOrder"]["Arguments"]["FunctionName"] = "arn:aws:lambda:us-east-1:1:function:x"
    with pytest.raises(asl.DefinitionError, match="Task NotifyOrder names no resource of the manifest"):
        asl.tasks(definition, MANIFEST.substitutions)


def test_names_the_manifest_does_not_have_are_refused() -> None:
    with pytest.raises(ManifestError, match=r"function CreateOrder's access names the table 'order', which"):
        with_function(MANIFEST, "CreateOrder", access=(TableAccess("order", ("GetItem",)),))
    with pytest.raises(ManifestError, match=r"function AlertHandler's access names the secret 'pager'"):
        with_function(MANIFEST, "AlertHandler", access=(ReadSecret("pager"),))
    with pytest.raises(ManifestError, match=r"queue orders names the queue 'orders-dead'"):
        with_queue(MANIFEST, "orders", dead_letter_queue="orders-dead")
    with pytest.raises(ManifestError, match=r"output Extra names the queue 'nope'"):
        replace(MANIFEST, outputs={**MANIFEST.outputs, "Extra": QueueUrl("nope")})


def test_every_dead_letter_queue_has_an_alarm() -> None:
    with pytest.raises(ManifestError, match="queue alerts-dlq is a dead-letter queue without an alarm"):
        with_queue(MANIFEST, "alerts-dlq", alarm=None)
    alarm = MANIFEST.queue("orders-dlq").alarm
    with pytest.raises(ManifestError, match="queue orders has a DLQ alarm but is no queue's dead-letter queue"):
        with_queue(MANIFEST, "orders", alarm=alarm)


def test_dead_letter_queues_their_sources_and_outputs_come_from_the_queues() -> None:
    assert [q.name for q in MANIFEST.dead_letter_queues()] == ["orders-dlq", "alerts-dlq", "stuck-checks-dlq"]
    assert MANIFEST.source_queue("alerts-dlq").name == "alerts"
    assert MANIFEST.output_key(QueueUrl("orders-dlq")) == "OrderDlqUrl"
    assert MANIFEST.output_key(QueueUrl("orders")) == "OrderQueueUrl"
    with pytest.raises(KeyError):
        MANIFEST.source_queue("orders")
