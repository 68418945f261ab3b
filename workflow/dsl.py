"""Extensions of the `stepfunctions` DSL for fields its last release does not know.

- Retry: JitterStrategy and MaxDelaySeconds.
- LambdaInvoke: the optimised `lambda:invoke` integration with ResultSelector (the DSL's LambdaStep lacks it).
- SqsSendMessage / SnsPublish / DynamoDBUpdateItem: the native integrations, with ResultSelector.

Every Resource is written with a `${Partition}` placeholder instead of asking boto3 for the partition: the DSL's
`get_aws_partition()` makes a slow boto call per Task and would bake the build machine's partition into the ASL.
Placeholders are substituted at deploy time (CDK `definition_substitutions`) or by the local runtime.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from stepfunctions.steps import Catch, Task
from stepfunctions.steps import Retry as _DslRetry
from stepfunctions.steps.fields import Field


class ExtraField(Enum):
    ResultSelector = "result_selector"
    JitterStrategy = "jitter_strategy"
    MaxDelaySeconds = "max_delay_seconds"


class Retry(_DslRetry):  # type: ignore[misc]
    """Retry with `jitter_strategy` ("FULL" | "NONE") and `max_delay_seconds`."""

    def allowed_fields(self) -> list[Any]:
        return [*super().allowed_fields(), ExtraField.JitterStrategy, ExtraField.MaxDelaySeconds]


class _IntegrationTask(Task):  # type: ignore[misc]
    service_api: str = ""

    def __init__(self, state_id: str, **kwargs: Any) -> None:
        kwargs[Field.Resource.value] = f"arn:${{Partition}}:states:::{self.service_api}"
        super().__init__(state_id, **kwargs)

    def allowed_fields(self) -> list[Any]:
        return [*super().allowed_fields(), ExtraField.ResultSelector]


class LambdaInvoke(_IntegrationTask):
    service_api = "lambda:invoke"


class SqsSendMessage(_IntegrationTask):
    service_api = "sqs:sendMessage"


class SnsPublish(_IntegrationTask):
    service_api = "sns:publish"


class DynamoDBUpdateItem(_IntegrationTask):
    service_api = "dynamodb:updateItem"


__all__ = ["Catch", "DynamoDBUpdateItem", "LambdaInvoke", "Retry", "SnsPublish", "SqsSendMessage"]
