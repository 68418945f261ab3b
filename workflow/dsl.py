"""Extensions of the `stepfunctions` DSL for fields its last release does not know.

- Retry: JitterStrategy and MaxDelaySeconds.
- LambdaInvoke: the optimised `lambda:invoke` integration with ResultSelector (the DSL's LambdaStep lacks it).
- SqsSendMessage / SnsPublish / DynamoDBUpdateItem: the native integrations, with ResultSelector.
- JSONata and variables (the SDK's open issue #204): `QueryLanguage`, `Arguments`, `Output`, `Assign`, `Items`,
  `ItemSelector` on the states that have them (Pass, Succeed, Fail, Wait, Choice, Parallel, Map and every Task here),
  `Output`/`Assign` on Catch, a Choice rule's `Condition` (with its own Assign/Output), and a top-level
  `QueryLanguage` (Graph). What they must satisfy is checked when the definition is compiled (workflow.asl.check,
  workflow.query_checks): every `{% %}` parses, no field of the other query language, no $eval, every variable
  assigned on every path before it is read, Assign's names and sizes.

Every Resource is written with a `${Partition}` placeholder instead of asking boto3 for the partition: the DSL's
`get_aws_partition()` makes a slow boto call per Task and would bake the build machine's partition into the ASL.
Placeholders are substituted at deploy time (CDK `definition_substitutions`) or by the local runtime.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from stepfunctions.steps import Catch as _DslCatch
from stepfunctions.steps import Choice as _DslChoice
from stepfunctions.steps import Fail as _DslFail
from stepfunctions.steps import Graph as _DslGraph
from stepfunctions.steps import Map as _DslMap
from stepfunctions.steps import Parallel as _DslParallel
from stepfunctions.steps import Pass as _DslPass
from stepfunctions.steps import Retry as _DslRetry
from stepfunctions.steps import Succeed as _DslSucceed
from stepfunctions.steps import Task as _DslTask
from stepfunctions.steps import Wait as _DslWait
from stepfunctions.steps.fields import Field

from workflow import query


class ExtraField(Enum):
    ResultSelector = "result_selector"
    JitterStrategy = "jitter_strategy"
    MaxDelaySeconds = "max_delay_seconds"


class JsonataField(Enum):
    """JSONata's and variables' fields (Block.is_field_allowed compares the values, so a second Enum works)."""

    QueryLanguage = "query_language"
    Arguments = "arguments"
    Output = "output"
    Assign = "assign"
    Items = "items"
    ItemSelector = "item_selector"


_STATE = [JsonataField.QueryLanguage, JsonataField.Output, JsonataField.Assign]
_TASK = [*_STATE, JsonataField.Arguments]


class Retry(_DslRetry):  # type: ignore[misc]
    """Retry with `jitter_strategy` ("FULL" | "NONE") and `max_delay_seconds`."""

    def allowed_fields(self) -> list[Any]:
        return [*super().allowed_fields(), ExtraField.JitterStrategy, ExtraField.MaxDelaySeconds]


class Catch(_DslCatch):  # type: ignore[misc]
    """Catch with `output` and `assign` (JSONata's way to shape what the next state gets, and to keep the error)."""

    def allowed_fields(self) -> list[Any]:
        return [*super().allowed_fields(), JsonataField.Output, JsonataField.Assign]


class Pass(_DslPass):  # type: ignore[misc]
    def allowed_fields(self) -> list[Any]:
        return [*super().allowed_fields(), *_STATE]


class Succeed(_DslSucceed):  # type: ignore[misc]
    def allowed_fields(self) -> list[Any]:
        return [*super().allowed_fields(), JsonataField.QueryLanguage, JsonataField.Output]


class Fail(_DslFail):  # type: ignore[misc]
    def allowed_fields(self) -> list[Any]:
        return [*super().allowed_fields(), JsonataField.QueryLanguage]


class Wait(_DslWait):  # type: ignore[misc]
    def allowed_fields(self) -> list[Any]:
        return [*super().allowed_fields(), *_STATE]


class Condition:
    """A JSONata Choice rule: `Choice.add_choice(Condition("{% $total > 100 %}", assign={...}), next_step)`."""

    def __init__(self, condition: str, assign: dict[str, Any] | None = None, output: Any = None) -> None:
        if not query.is_expression(condition):
            raise ValueError(f"a Condition is a JSONata expression in {{% %}}, not {condition!r}")
        self.condition, self.assign, self.output = condition, assign, output

    def to_dict(self) -> dict[str, Any]:
        rule: dict[str, Any] = {"Condition": self.condition}
        if self.assign is not None:
            rule["Assign"] = self.assign
        if self.output is not None:
            rule["Output"] = self.output
        return rule


class Choice(_DslChoice):  # type: ignore[misc]
    def allowed_fields(self) -> list[Any]:
        return [*super().allowed_fields(), *_STATE]


class Parallel(_DslParallel):  # type: ignore[misc]
    def allowed_fields(self) -> list[Any]:
        return [*super().allowed_fields(), *_TASK]


class Map(_DslMap):  # type: ignore[misc]
    """Map with `items` and `item_selector`; its iterator is written as an inline ItemProcessor."""

    def allowed_fields(self) -> list[Any]:
        return [*super().allowed_fields(), *_STATE, JsonataField.Items, JsonataField.ItemSelector]

    def to_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = super().to_dict()
        result["ItemProcessor"] = {"ProcessorConfig": {"Mode": "INLINE"}, **result.pop("Iterator")}
        return result


class Graph(_DslGraph):  # type: ignore[misc]
    """The state machine, with a top-level `query_language`."""

    def allowed_fields(self) -> list[Any]:
        return [*super().allowed_fields(), JsonataField.QueryLanguage]


class Task(_DslTask):  # type: ignore[misc]
    """A Task with JSONata's and variables' fields, for any Resource."""

    def allowed_fields(self) -> list[Any]:
        return [*super().allowed_fields(), *_TASK]


class _IntegrationTask(Task):
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


__all__ = [
    "Catch",
    "Choice",
    "Condition",
    "DynamoDBUpdateItem",
    "Fail",
    "Graph",
    "LambdaInvoke",
    "Map",
    "Parallel",
    "Pass",
    "Retry",
    "SnsPublish",
    "SqsSendMessage",
    "Succeed",
    "Task",
    "Wait",
]
