"""A state's request written once and compiled to either query language (workflow.definition and
workflow.failure_route write theirs with it).

The requests are written with `Input`/`Context` references (and `Text` on the failure route) that become
`{% $states.input.x %}` (JSONata, what ships) or `"x.$": "$.x"` (JSONPath). Every state sees the execution's input
(a task's output is its input: no later state reads a result).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

JSONATA, JSONPATH = "JSONata", "JSONPath"
QUERY_LANGUAGES = (JSONATA, JSONPATH)
# A cut Text ends with this, then its full length ("… [cut, of 17000 characters]").
CUT_MARKER = "… [cut, of "


@dataclass(frozen=True)
class Input:
    """A value the state reads from its input, by dotted path: JSONata's `$states.input.<path>`, JSONPath's
    `$.<path>` (the key then ends in `.$`). The definition is written once and compiled to either language."""

    path: str


@dataclass(frozen=True)
class Text:
    """A string read on the failure route, where nothing may be missing: a field that is absent reads as "" and any
    other value as its string (a JSON Cause stays its text), cut to `limit` characters with a marker. On AWS an
    expression that evaluates to nothing raises States.QueryEvaluationError, and an error output may lack its Cause
    (a timeout, a runtime error, some service errors): on the failure route that would end the execution with no
    alert. `source` is the state's `input` or, in a Catch's Output, the caught `errorOutput`.

    JSONPath cannot default a missing field: there it is the plain `$.path` (the JSONPath edition's failure route
    fails on a missing field, where AlertNotPublished's alarm is what is left)."""

    path: str
    limit: int | None = None
    source: str = "input"
    # What a missing field reads as: "" where an empty string is accepted, a word where it is not (SNS refuses an
    # empty message attribute).
    default: str = ""

    def expression(self) -> str:
        """The JSONata expression, without its `{% %}`."""
        value = f"$states.{self.source}.{self.path}"
        text = f"$string({value})"
        if self.limit is not None:
            text = (
                f"($length({text}) > {self.limit} ? $substring({text}, 0, {self.limit}) & "
                f'"{CUT_MARKER}" & $string($length({text})) & " characters]" : {text})'
            )
        present = f"$exists({value})" if not self.default else f'($exists({value}) and {text} != "")'
        return f"{present} ? {text} : {json.dumps(self.default)}"


@dataclass(frozen=True)
class Context:
    """A value from the context object: JSONata's `$states.context.<path>`, JSONPath's `$$.<path>`."""

    path: str


EXECUTION_ARN = Context("Execution.Id")
ENTERED_AT = Context("State.EnteredTime")


@dataclass(frozen=True)
class Computed:
    """A value computed from the state's input, written once per language: a JSONata expression (without its
    `{% %}`), and JSONPath's intrinsic function call (`States.Format(...)`), which becomes a `.$` key."""

    jsonata: str
    jsonpath: str


def written(value: Any, language: str) -> Any:
    """A template in the query language: every Input, Text, Context and Computed in it becomes a `{% %}` (JSONata)
    or a `.$` key (JSONPath); everything else is a literal."""
    if isinstance(value, dict):
        fields: dict[str, Any] = {}
        for key, item in value.items():
            if isinstance(item, Computed) and language == JSONPATH:
                fields[f"{key}.$"] = item.jsonpath
            elif isinstance(item, Input | Text | Context) and language == JSONPATH:
                if isinstance(item, Text) and item.source != "input":
                    raise ValueError(f"JSONPath reads only the state's input, not {item}")
                fields[f"{key}.$"] = f"$$.{item.path}" if isinstance(item, Context) else f"$.{item.path}"
            else:
                fields[key] = written(item, language)
        return fields
    if isinstance(value, list):
        return [written(item, language) for item in value]
    if isinstance(value, Input | Text | Context | Computed) and language == JSONPATH:
        raise ValueError(f"JSONPath reads {value} only as an object's field (a `.$` key), not inside an array")
    if isinstance(value, Computed):
        return f"{{% {value.jsonata} %}}"
    if isinstance(value, Text):
        return f"{{% {value.expression()} %}}"
    if isinstance(value, Input):
        return f"{{% $states.input.{value.path} %}}"
    if isinstance(value, Context):
        return f"{{% $states.context.{value.path} %}}"
    return value


def request(fields: dict[str, Any], language: str) -> dict[str, Any]:
    """A Task's request, and its output: the state's own input, unchanged. No later state reads a task's result
    (it is in the history's TaskSucceeded event), so none is carried on: every state sees the execution's input."""
    if language == JSONATA:
        return {"arguments": written(fields, language), "output": "{% $states.input %}"}
    return {"parameters": written(fields, language), "result_path": None}
