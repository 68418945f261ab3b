"""JSONata and Variables in moto's Step Functions interpreter, as AWS runs them (moto pinned in requirements.lock).

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
   not parse or calls $eval, a field of the other query language, an Assign AWS would not store, a variable read
   where no state in its scope assigns it.

5. `Preprocessor.visitAssign_template_value_terminal_string_literal`: an Assign's string literal is the JSON
   string's value (moto kept its escapes: `say \\"hi\\"`); `StepFunctionResponse.describe_execution`: an
   execution whose output is a string answers it as JSON (moto answered the bare text).

6. `StateChoice._eval_state/_eval_state_output`: a matched rule's Assign and Output are the state's, also when
   the rule and the Default name the same next state. The Map iteration and Parallel branch workers' CustomErrorName:
   an inner state's States.* error reaches the Map's or Parallel's Retry and Catch as itself.

`check_compatible()` fails loudly when any of these moves in moto; a unit test calls it.
"""

from __future__ import annotations

import contextlib
import copy
import inspect
import json
from collections.abc import Callable
from typing import Any

from moto.stepfunctions.parser.api import EvaluationFailedEventDetails, HistoryEventType, InvalidDefinition
from moto.stepfunctions.parser.asl.component.common.assign.assign_decl import AssignDecl
from moto.stepfunctions.parser.asl.component.common.assign.assign_template_value_terminal import (
    AssignTemplateValueTerminalLit,
)
from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import (
    ILLEGAL_CUSTOM_ERROR_PREFIX,
    CustomErrorName,
)
from moto.stepfunctions.parser.asl.component.common.error_name.error_name import ErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
    FailureEvent,
    FailureEventException,
)
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import StatesErrorNameType
from moto.stepfunctions.parser.asl.component.common.query_language import QueryLanguageMode
from moto.stepfunctions.parser.asl.component.common.string import string_expression
from moto.stepfunctions.parser.asl.component.common.string.string_expression import (
    StringJSONata,
    StringVariableSample,
)
from moto.stepfunctions.parser.asl.component.state.choice.state_choice import StateChoice
from moto.stepfunctions.parser.asl.component.state.exec.execute_state import ExecutionState
from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration import iteration_worker
from moto.stepfunctions.parser.asl.component.state.exec.state_parallel import branches_decl
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import state_task_service_factory
from moto.stepfunctions.parser.asl.component.state.state import CommonStateField
from moto.stepfunctions.parser.asl.eval.environment import Environment
from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
from moto.stepfunctions.parser.asl.eval.variable_store import NoSuchVariable
from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor
from moto.stepfunctions.parser.backend.execution import Execution as ParserExecution
from moto.stepfunctions.parser.models import StepFunctionsParserBackend
from moto.stepfunctions.responses import StepFunctionResponse

from workflow import query, query_checks

_ = state_task_service_factory  # imported for its side effect: every Task class exists before _from_error is wrapped


class MotoChanged(RuntimeError):
    pass


_PENDING = "_orderflow_pending_assign"

_ORIGINAL_JSONATA = StringJSONata._eval_body
_ORIGINAL_VARIABLE_SAMPLE = StringVariableSample._eval_body
_ORIGINAL_ASSIGN = AssignDecl._eval_body
_ORIGINAL_SET_NEXT = {cls: cls.__dict__["_set_next"] for cls in (CommonStateField, StateChoice)}
_ORIGINAL_VALIDATE = StepFunctionsParserBackend.__dict__["_validate_definition"]
_ORIGINAL_ASSIGN_LITERAL = Preprocessor.visitAssign_template_value_terminal_string_literal
_ORIGINAL_DESCRIBE_EXECUTION = StepFunctionResponse.describe_execution
_ORIGINAL_CHOICE_STATE = StateChoice._eval_state
_ORIGINAL_CHOICE_OUTPUT = StateChoice._eval_state_output
_RULE_MATCHED = "_orderflow_choice_rule_matched"
# Where a Map iteration's or a Parallel branch's error is raised again in the state around it.
_REPORTERS = (iteration_worker, branches_decl)


def _task_classes() -> list[Any]:
    found, pending = [], [ExecutionState]
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return found


def check_compatible() -> None:
    if "self.expression" not in inspect.getsource(StringJSONata.__init__):
        raise MotoChanged("StringJSONata no longer keeps its expression in .expression")
    if "self.expression" not in inspect.getsource(StringVariableSample.__init__):
        raise MotoChanged("StringVariableSample no longer keeps its expression in .expression")
    if not callable(getattr(string_expression, "eval_jsonata_expression", None)):
        raise MotoChanged("moto's string expressions no longer evaluate through eval_jsonata_expression")
    assign_source = inspect.getsource(_ORIGINAL_ASSIGN)
    if "declaration_bindings" not in assign_source or "variable_store.set" not in assign_source:
        raise MotoChanged("AssignDecl no longer evaluates declaration_bindings into variable_store.set")
    state_body = inspect.getsource(CommonStateField._eval_body)
    if state_body.find("_eval_state_output") > state_body.find("_set_next") or "_set_next" not in state_body:
        raise MotoChanged("a state no longer leaves through _set_next after its output")
    if "ex.failure_event" not in inspect.getsource(ExecutionState.__dict__["_from_error"]):
        raise MotoChanged("ExecutionState._from_error no longer passes a FailureEventException's event through")
    if list(inspect.signature(_ORIGINAL_VALIDATE.__func__).parameters) != ["definition"]:
        raise MotoChanged("StepFunctionsParserBackend._validate_definition(definition) changed")
    if "_inner_string_of(ctx.string_literal())" not in inspect.getsource(_ORIGINAL_ASSIGN_LITERAL):
        raise MotoChanged("Preprocessor reads an Assign's string literal differently; its escapes may be kept")
    if "isinstance(execution.output, str)" not in inspect.getsource(_ORIGINAL_DESCRIBE_EXECUTION):
        raise MotoChanged("DescribeExecution no longer passes a str output through as JSON text")
    for module in _REPORTERS:
        if getattr(module, "CustomErrorName", None) not in (CustomErrorName, _reported_error_name):
            raise MotoChanged(f"{module.__name__} no longer names an inner error with CustomErrorName")
    choice_source = inspect.getsource(_ORIGINAL_CHOICE_STATE) + inspect.getsource(_ORIGINAL_CHOICE_OUTPUT)
    if "self.default_state.state_name == next_state_name" not in choice_source or "rule.next_stmt" not in (
        choice_source
    ):
        raise MotoChanged("StateChoice no longer picks its Default by the next state's name")
    if not hasattr(StatesErrorNameType, "StatesQueryEvaluationError"):
        raise MotoChanged("moto has no States.QueryEvaluationError")


def _state_name(env: Environment) -> str:
    state = env.states.context_object.context_object_data.get("State") or {}
    return str(state.get("Name", ""))


def _query_failure(env: Environment, text: str, reason: str) -> FailureEventException:
    error = StatesErrorNameType.StatesQueryEvaluationError.to_name()
    state = _state_name(env)
    cause = f"An error occurred while executing the state '{state}'. The JSONata expression '{text.strip()}' {reason}"
    return FailureEventException(
        failure_event=FailureEvent(
            env=env,
            error_name=StatesErrorName(typ=StatesErrorNameType.StatesQueryEvaluationError),
            event_type=HistoryEventType.EvaluationFailed,
            event_details=EventDetails(
                evaluationFailedEventDetails=EvaluationFailedEventDetails(error=error, cause=cause, state=state)
            ),
        )
    )


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


def _value(env: Environment, text: str, with_states: bool) -> Any:
    try:
        expression = query.parse(text)
        result = query.evaluate(expression, _variables(env, expression.references, with_states))
    except query.Undefined:
        raise _query_failure(env, text, "returned nothing (undefined).") from None
    except query.QueryError as error:
        raise _query_failure(env, text, f"failed: {error}") from None
    if not isinstance(result, str | int | float | bool | list | dict | None):
        raise _query_failure(env, text, "returned an unsupported result type.")
    # The value may be a part of $states or of a variable: the next state must not see it change under it.
    return copy.deepcopy(result) if isinstance(result, list | dict) else result


def _eval_jsonata(self: StringJSONata, env: Environment) -> None:
    env.stack.append(_value(env, self.expression, with_states=True))


def _eval_variable_sample(self: StringVariableSample, env: Environment) -> None:
    # A JSONPath field reading a variable ("$counter", "$order.items[0]"): the same read, without $states.
    env.stack.append(_value(env, self.expression, with_states=self.query_language_mode == QueryLanguageMode.JSONata))


def _eval_assign(self: AssignDecl, env: Environment) -> None:
    declarations: dict[str, Any] = {}
    for binding in self.declaration_bindings:
        binding.eval(env=env)
        declarations.update(env.stack.pop())
    # The latest Assign wins: a Catch's Assign replaces the failed task's (which never took effect).
    env.__dict__[_PENDING] = declarations


def _flushing(original: Callable[[Any, Environment], None]) -> Callable[[Any, Environment], None]:
    def _set_next(self: Any, env: Environment) -> None:
        declarations = env.__dict__.pop(_PENDING, None)
        if declarations:
            for name, value in declarations.items():
                env.variable_store.set(variable_identifier=name, variable_value=value)
        original(self, env)

    return _set_next


def _passing_failure_events(original: Callable[..., Any]) -> Callable[..., Any]:
    def _from_error(self: Any, env: Environment, ex: Exception) -> Any:
        # The attempt failed: an Assign it evaluated before failing (a later ResultSelector failed) never happens.
        env.__dict__.pop(_PENDING, None)
        if isinstance(ex, FailureEventException):
            return ex.failure_event
        return original(self, env, ex)

    return _from_error


def _assign_literal(self: Preprocessor, ctx: Any) -> AssignTemplateValueTerminalLit:
    # moto keeps the JSON text between the quotes, escapes and all: `say \"hi\"` would be assigned with backslashes.
    return AssignTemplateValueTerminalLit(value=json.loads(ctx.string_literal().getText()))


def _reported_error_name(error_name: str | None) -> ErrorName:
    """An inner state's error, raised again by the Map or Parallel around it. moto names it CustomErrorName, which
    refuses a "States." name: an iteration failing with States.Timeout or States.QueryEvaluationError became
    States.Runtime (uncatchable) instead of itself."""
    if error_name is not None and error_name.startswith(ILLEGAL_CUSTOM_ERROR_PREFIX):
        with contextlib.suppress(ValueError):
            return StatesErrorName.from_name(error_name)
    return CustomErrorName(error_name)


def _choose(self: StateChoice, env: Environment) -> None:
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


def _choice_output(self: StateChoice, env: Environment) -> None:
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


def _describe_execution(self: StepFunctionResponse) -> Any:
    # The interpreter keeps an execution's output as a value, and moto's DescribeExecution takes a str for JSON
    # already written: an execution whose output is the string "ok" answered `ok`, which is not JSON.
    answer = _ORIGINAL_DESCRIBE_EXECUTION(self)
    execution = self.stepfunction_backend.describe_execution(self._get_param("executionArn"))
    result = answer.result
    if isinstance(execution, ParserExecution) and isinstance(execution.output, str) and isinstance(result, dict):
        result["output"] = json.dumps(execution.output)
    return answer


def _invalid(message: str) -> InvalidDefinition:
    # moto's own InvalidDefinition carries no error code; AWS's does.
    return InvalidDefinition(message, exception_type="InvalidDefinition")


def _validate_definition(definition: str) -> None:
    try:
        _ORIGINAL_VALIDATE.__func__(definition)
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


def _patches() -> list[tuple[Any, str, Any, Any]]:
    """Every replacement the engine makes: (owner, attribute, moto's original, ours). One table for both directions."""
    patches: list[tuple[Any, str, Any, Any]] = [
        (StringJSONata, "_eval_body", _ORIGINAL_JSONATA, _eval_jsonata),
        (StringVariableSample, "_eval_body", _ORIGINAL_VARIABLE_SAMPLE, _eval_variable_sample),
        (AssignDecl, "_eval_body", _ORIGINAL_ASSIGN, _eval_assign),
        (StepFunctionsParserBackend, "_validate_definition", _ORIGINAL_VALIDATE, staticmethod(_validate_definition)),
        (Preprocessor, "visitAssign_template_value_terminal_string_literal", _ORIGINAL_ASSIGN_LITERAL, _assign_literal),
        (StepFunctionResponse, "describe_execution", _ORIGINAL_DESCRIBE_EXECUTION, _describe_execution),
        (StateChoice, "_eval_state", _ORIGINAL_CHOICE_STATE, _choose),
        (StateChoice, "_eval_state_output", _ORIGINAL_CHOICE_OUTPUT, _choice_output),
    ]
    patches += [(cls, "_set_next", original, _flushing(original)) for cls, original in _ORIGINAL_SET_NEXT.items()]
    patches += [(module, "CustomErrorName", CustomErrorName, _reported_error_name) for module in _REPORTERS]
    patches += [
        (cls, "_from_error", cls.__dict__["_from_error"], _passing_failure_events(cls.__dict__["_from_error"]))
        for cls in _task_classes()
        if "_from_error" in cls.__dict__
    ]
    return patches


_INSTALLED: list[tuple[Any, str, Any, Any]] = []


def install() -> None:
    check_compatible()
    if _INSTALLED:
        return
    _INSTALLED.extend(_patches())
    for owner, name, _, replacement in _INSTALLED:
        setattr(owner, name, replacement)


def uninstall() -> None:
    for owner, name, original, _ in _INSTALLED:
        setattr(owner, name, original)
    _INSTALLED.clear()
