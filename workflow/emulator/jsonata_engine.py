"""JSONata and Variables in moto's Step Functions interpreter, as AWS runs them (the rows of workflow.emulator.table).

moto parses JSONata state machines but never wires an evaluator (getmoto/moto#10105): every `{% %}` fails with a
TypeError, and a JSONPath read of a variable (`"Variable": "$counter"`) quietly evaluates to nothing. Its way in
splices `$states` and every variable into the expression's text as JSON (unescaped strings break it). Here:

1. `StringJSONata._eval_body` / `StringVariableSample._eval_body`: every expression, and every JSONPath variable
   read, is evaluated by workflow.query with `$states` and the variables it reads bound by name. Its failure is
   States.QueryEvaluationError (catchable, as AWS documents), not the uncatchable States.Runtime.
2. `AssignDecl._eval_body` + `State._set_next` / `StateChoice._set_next`: a state's Assign is evaluated against the
   variables as the state found them and takes effect when the state is left, after its Output ("the variable's new
   value is available in the next state": https://docs.aws.amazon.com/step-functions/latest/dg/workflow-variables.html).
   moto writes them at once, so the Output of the same state saw the new values.
3. `_from_error` of every Task kind that overrides ExecutionState's: a FailureEventException raised while preparing
   the task (an `Arguments` expression failing) keeps its own error instead of becoming, say,
   DynamoDB.AmazonDynamoDBException.
4. `StepFunctionsParserBackend._validate_definition`: CreateStateMachine and UpdateStateMachine refuse what AWS
   refuses when a definition is created (workflow.query_checks.creation_problems): a JSONata expression that does
   not parse or calls $eval, a field of the other query language, an Assign AWS would not store. A variable no
   state in its scope assigns is accepted, as AWS accepts it: its read fails at run time.

5. `Preprocessor.visitAssign_template_value_terminal_string_literal`: an Assign's string literal is the JSON
   string's value (moto kept its escapes: `say \\"hi\\"`); `StepFunctionResponse.describe_execution`: an
   execution whose output is a string answers it as JSON (moto answered the bare text).

6. `StateChoice._eval_state/_eval_state_output`: a matched rule's Assign and Output are the state's, also when
   the rule and the Default name the same next state.

How a failure is reported (the QueryEvaluationError's cause and EvaluationFailed event, a Map's input that is not an
array, a Map's or Parallel's inner States.* error) is workflow.emulator.jsonata_failures'.

Each is a row of the patch table (workflow.emulator.table); its probes run a tiny definition through it
(workflow.emulator.probes).
"""

from __future__ import annotations

import contextlib
import copy
import json
from collections.abc import Callable
from typing import Any

from moto.stepfunctions.parser.api import InvalidDefinition
from moto.stepfunctions.parser.asl.component.common.assign.assign_decl import AssignDecl
from moto.stepfunctions.parser.asl.component.common.assign.assign_template_binding import AssignTemplateBinding
from moto.stepfunctions.parser.asl.component.common.assign.assign_template_value_terminal import (
    AssignTemplateValueTerminalLit,
)
from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
    FailureEventException,
)
from moto.stepfunctions.parser.asl.component.common.jsonata.jsonata_template_binding import JSONataTemplateBinding
from moto.stepfunctions.parser.asl.component.common.query_language import QueryLanguageMode
from moto.stepfunctions.parser.asl.component.common.string.string_expression import (
    StringJSONata,
    StringVariableSample,
)
from moto.stepfunctions.parser.asl.component.state.choice.state_choice import StateChoice
from moto.stepfunctions.parser.asl.component.state.exec.execute_state import ExecutionState
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import state_task_service_factory
from moto.stepfunctions.parser.asl.component.state.state import CommonStateField
from moto.stepfunctions.parser.asl.eval.environment import Environment
from moto.stepfunctions.parser.asl.eval.variable_store import NoSuchVariable
from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor
from moto.stepfunctions.parser.backend.execution import Execution as ParserExecution
from moto.stepfunctions.parser.models import StepFunctionsParserBackend
from moto.stepfunctions.responses import StepFunctionResponse

from workflow import query, query_checks
from workflow.emulator.jsonata_failures import PREFIX, query_failure
from workflow.emulator.patches import moto_original

_ = state_task_service_factory  # imported for its side effect: every Task class exists before _from_error is wrapped


_PENDING = "_orderflow_pending_assign"

_VALIDATE = moto_original(StepFunctionsParserBackend, "_validate_definition")
_DESCRIBE_EXECUTION = moto_original(StepFunctionResponse, "describe_execution")
_RULE_MATCHED = "_orderflow_choice_rule_matched"
# The states that leave through _set_next (a Choice has its own).
LEAVING = (CommonStateField, StateChoice)


def tasks_with_from_error() -> list[Any]:
    """Every Task class that has its own _from_error (ExecutionState's included)."""
    found, pending = [], [ExecutionState]
    while pending:
        cls = pending.pop()
        if "_from_error" in vars(cls) and cls not in found:
            found.append(cls)
        pending.extend(cls.__subclasses__())
    return found


_FIELD = "_orderflow_field"
# A component's place among a state's fields, as AWS names it in a QueryEvaluationError ('Output/result').
_FIELD_LABELS = {
    "Output": "Output",
    "AssignDecl": "Assign",
    "ItemSelector": "ItemSelector",
    "Error": "Error",
    "Cause": "Cause",
    "ConditionStringJSONata": "Condition",
}
_BINDINGS = (JSONataTemplateBinding, AssignTemplateBinding)


def _field_label(component: Any) -> str | None:
    name = type(component).__name__
    if name in _FIELD_LABELS:
        return _FIELD_LABELS[name]
    if name.startswith("Arguments"):
        return "Arguments"
    if name.endswith("JSONata") and not any(part in name for part in ("String", "Template", "Condition")):
        return name.removesuffix("JSONata")  # ItemsJSONata, SecondsJSONata, MaxConcurrencyJSONata, ...
    return None


def label_fields(program: Any) -> None:
    """Writes on each JSONata expression of a parsed program the field it is in ('Output/result',
    'Arguments/TableName', 'Assign/x'): AWS's QueryEvaluationError names it, moto's components do not know it.
    Done once per parsed program (workflow.emulator.interpreter.cached_entrypoint)."""
    pending: list[tuple[Any, tuple[str, ...]]] = [(program, ())]
    seen: set[int] = set()
    while pending:
        component, trail = pending.pop()
        if id(component) in seen:
            continue
        seen.add(id(component))
        if isinstance(component, StringJSONata):
            component.__dict__[_FIELD] = "/".join(trail)
            continue
        if isinstance(component, CommonStateField | StateChoice):
            trail = ()  # a state's fields start at the state (a Map's or Parallel's inner states too)
        label = _field_label(component)
        if label:
            trail = (*trail, label)
        if isinstance(component, _BINDINGS):
            trail = (*trail, str(component.identifier))
        children = vars(component).values() if hasattr(component, "__dict__") else ()
        for child in children:
            if isinstance(child, list | tuple):
                pending.extend((item, trail) for item in child)
            elif isinstance(child, dict):
                pending.extend((item, trail) for item in child.values())
            elif hasattr(child, "__dict__") and not isinstance(child, type):
                pending.append((child, trail))


def _field(env: Environment, component: Any) -> str:
    return str(vars(component).get(_FIELD) or env.next_field_name or "")


def _variables(env: Environment, names: frozenset[str], with_states: bool) -> dict[str, Any]:
    bound: dict[str, Any] = {}
    for name in names:
        if name == query.RESERVED_VARIABLE:
            if with_states:
                bound[name] = env.states._states_data
            continue
        with contextlib.suppress(NoSuchVariable):  # unbound: undefined, as in JSONata
            bound[name] = env.variable_store.get(name)
    return bound


def _value(env: Environment, text: str, with_states: bool, field: str = "") -> Any:
    try:
        expression = query.parse(text)
        result = query.evaluate(expression, _variables(env, expression.references, with_states))
    except query.Undefined:
        raise query_failure(env, text, "returned nothing (undefined).", field) from None
    except query.QueryError as error:
        # As recorded on AWS: "... threw an error during evaluation. T1006: Attempted to invoke a non-function"
        code = f"{error.code}: " if error.code else ""
        raise query_failure(env, text, f"threw an error during evaluation. {code}{error}", field) from None
    if not isinstance(result, str | int | float | bool | list | dict | None):
        raise query_failure(env, text, "returned an unsupported result type.", field)
    # The value may be a part of $states or of a variable: the next state must not see it change under it.
    return copy.deepcopy(result) if isinstance(result, list | dict) else result


def eval_jsonata(self: StringJSONata, env: Environment) -> None:
    env.stack.append(_value(env, self.expression, with_states=True, field=_field(env, self)))


def eval_variable_sample(self: StringVariableSample, env: Environment) -> None:
    # A JSONPath field reading a variable ("$counter", "$order.items[0]"): the same read, without $states.
    env.stack.append(_value(env, self.expression, with_states=self.query_language_mode == QueryLanguageMode.JSONata))


def eval_assign(self: AssignDecl, env: Environment) -> None:
    declarations: dict[str, Any] = {}
    for binding in self.declaration_bindings:
        binding.eval(env=env)
        declarations.update(env.stack.pop())
    # The latest Assign wins: a Catch's Assign replaces the failed task's (which never took effect).
    env.__dict__[_PENDING] = declarations


def flushing(original: Callable[[Any, Environment], None]) -> Callable[[Any, Environment], None]:
    def _set_next(self: Any, env: Environment) -> None:
        declarations = env.__dict__.pop(_PENDING, None)
        if declarations:
            for name, value in declarations.items():
                env.variable_store.set(variable_identifier=name, variable_value=value)
        original(self, env)

    return _set_next


def passing_failure_events(original: Callable[..., Any]) -> Callable[..., Any]:
    def _from_error(self: Any, env: Environment, ex: Exception) -> Any:
        # The attempt failed: an Assign it evaluated before failing (a later ResultSelector failed) never happens.
        env.__dict__.pop(_PENDING, None)
        if isinstance(ex, FailureEventException):
            details = (ex.failure_event.event_details or {}).get("evaluationFailedEventDetails")
            if details is not None and not str(details.get("cause", "")).startswith(PREFIX):
                # The task writes this event as it is (moto decorates only ExecutionFailed's): AWS's EvaluationFailed
                # cause starts "An error occurred while executing the state 'S' (entered at the event id #n)." and
                # names its location; the error output a Catch reads is the same.
                decorated = ex.get_evaluation_failed_event_details()
                if decorated is not None:
                    ex.failure_event.event_details["evaluationFailedEventDetails"] = decorated
            return ex.failure_event
        return original(self, env, ex)

    return _from_error


def assign_literal(self: Preprocessor, ctx: Any) -> AssignTemplateValueTerminalLit:
    # moto keeps the JSON text between the quotes, escapes and all: `say \"hi\"` would be assigned with backslashes.
    return AssignTemplateValueTerminalLit(value=json.loads(ctx.string_literal().getText()))


def choose(self: StateChoice, env: Environment) -> None:
    # Which rule matched, not only where it goes: a rule and the Default may name the same next state, and moto took
    # the Default's Assign and Output whenever the names matched.
    for rule in self.choices_decl.rules:
        rule.eval(env)
        if env.stack.pop() is True:
            if not rule.next_stmt:
                raise RuntimeError(f"Missing Next definition for state_choice rule '{rule}' in choices '{self}'.")
            env.stack.append(rule.next_stmt.name)
            env.__dict__[_RULE_MATCHED] = True
            return
    if self.default_state is None:
        raise RuntimeError("No branching option reached in state %s", self.name)
    env.__dict__[_RULE_MATCHED] = False
    env.stack.append(self.default_state.state_name)


def choice_output(self: StateChoice, env: Environment) -> None:
    next_state_name: str = env.stack.pop()
    if not env.__dict__.pop(_RULE_MATCHED, False):
        if self.assign_decl:
            self.assign_decl.eval(env=env)
        if self.output:
            self.output.eval(env=env)
    if self._is_language_query_jsonpath():
        if self.output_path:
            self.output_path.eval(env=env)
        else:
            env.states.reset(input_value=env.stack.pop())
    env.next_state_name = next_state_name


def describe_execution(self: StepFunctionResponse) -> Any:
    # The interpreter keeps an execution's output as a value, and moto's DescribeExecution takes a str for JSON
    # already written: an execution whose output is the string "ok" answered `ok`, which is not JSON.
    answer = _DESCRIBE_EXECUTION(self)
    execution = self.stepfunction_backend.describe_execution(self._get_param("executionArn"))
    result = answer.result
    if isinstance(execution, ParserExecution) and isinstance(result, dict):
        if isinstance(execution.output, str):
            result["output"] = json.dumps(execution.output)
        elif execution.output is None and getattr(execution.status, "value", execution.status) == "SUCCEEDED":
            result["output"] = "null"  # an execution whose output is null: moto left the output out
    return answer


def _invalid(message: str) -> InvalidDefinition:
    # moto's own InvalidDefinition carries no error code; AWS's does.
    return InvalidDefinition(message, exception_type="InvalidDefinition")


def validate_definition(definition: str) -> None:
    try:
        _VALIDATE(definition)
    except InvalidDefinition as error:
        raise _invalid(error.message) from None
    try:
        document = json.loads(definition)
    except ValueError:
        return  # moto's parse already accepted it; nothing of ours to check
    problems = query_checks.creation_problems(document)
    if problems:
        raise _invalid(
            "Invalid State Machine Definition: "
            + ", ".join(f"'SCHEMA_VALIDATION_FAILED: {problem.message} at {problem.where}'" for problem in problems)
        )
