"""The patch table: every change the emulator makes to moto, one row each, with the checks the row needs.

    install(Wiring(dispatch=lambdas.dispatch, ...))   # moto's version, each row's shape, the shape and source checks
    ...
    uninstall()                                       # every row undone

README.md (beside this module) says why each row exists and what AWS does; it is the checklist for a moto upgrade.
`probe()` runs every behaviour check on a patched moto of its own (the test tier calls it).
"""

from __future__ import annotations

from collections.abc import Iterable

from moto.awslambda.models import LambdaFunction
from moto.dynamodb.models.table import Table
from moto.dynamodb.responses import DynamoHandler
from moto.sns.responses import SNSResponse
from moto.sqs.responses import SQSResponse
from moto.stepfunctions.parser.asl.component.common.assign.assign_decl import AssignDecl
from moto.stepfunctions.parser.asl.component.common.error_name.error_equals_decl import ErrorEqualsDecl
from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import FailureEventException
from moto.stepfunctions.parser.asl.component.common.path import result_path
from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
from moto.stepfunctions.parser.asl.component.common.string.string_expression import StringJSONata, StringVariableSample
from moto.stepfunctions.parser.asl.component.state import state as state_module
from moto.stepfunctions.parser.asl.component.state.choice.state_choice import StateChoice
from moto.stepfunctions.parser.asl.component.state.exec.state_map.state_map import StateMap
from moto.stepfunctions.parser.asl.component.state.state import CommonStateField
from moto.stepfunctions.parser.asl.component.state.wait.wait_function.timestamp import Timestamp
from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction
from moto.stepfunctions.parser.asl.eval.environment import Environment
from moto.stepfunctions.parser.asl.eval.event.event_manager import EventHistoryContext, EventManager
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor
from moto.stepfunctions.parser.asl.utils import json_path
from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication, Execution
from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker
from moto.stepfunctions.parser.models import StepFunctionsParserBackend
from moto.stepfunctions.responses import StepFunctionResponse

from workflow.emulator import (
    checks,
    dynamodb,
    error_matching,
    express,
    interpreter,
    jsonata_engine,
    jsonata_failures,
    mocked_runs,
    patches,
    probe_system,
    probes,
    probes_asl,
    probes_mocks,
    services,
    state_machine_versions,
    test_state,
    virtual_time,
)
from workflow.emulator.patches import Check, CheckKind, Patch, moto_original
from workflow.emulator.wiring import Wiring

__all__ = ["Wiring", "install", "patch_table", "probe", "uninstall"]


def _front_doors(w: Wiring) -> list[Patch]:
    """Lambda's invocation and the service APIs (services.py, dynamodb.py)."""
    return [
        Patch(LambdaFunction, "_invoke_lambda", services.invoking(w.dispatch), (probes.LAMBDA_INVOCATIONS,)),
        Patch(
            DynamoHandler,
            "call_action",
            dynamodb.serving(w.dynamodb_fault, w.on_dynamodb_write, w.on_dynamodb_call),
            (probes.DYNAMODB_CALLS,),
        ),
        Patch(Table, "query", dynamodb.query_unsorted, (checks.QUERY_SORTS_ITS_MATCHES,)),
        Patch(Table, "all_items", dynamodb.all_items, (checks.QUERY_SORTS_ITS_MATCHES,)),
        Patch(StepFunctionResponse, "call_action", services.step_functions_calls(w.sfn_fault), (probes.SFN_CALLS,)),
        Patch(StepFunctionResponse, "get_execution_history", services.get_execution_history, (probes.HISTORY_PAGES,)),
        Patch(
            SQSResponse,
            "call_action",
            services.messaging_calls("sqs", w.messaging_fails, w.on_messaging),
            (probes.MESSAGING_CALLS,),
        ),
        Patch(
            SNSResponse,
            "call_action",
            services.messaging_calls("sns", w.messaging_fails, w.on_messaging),
            (probes.MESSAGING_CALLS,),
        ),
    ]


def _interpreter(w: Wiring) -> list[Patch]:
    """Speed, and AWS's timestamps (interpreter.py)."""
    clients = interpreter.reused_clients()
    return [
        Patch(
            ExecutionWorker,
            "_get_evaluation_entrypoint",
            interpreter.cached_entrypoint(w.programs_cached),
            (probes_asl.ONE_PARSE,),
        ),
        Patch(AmazonStateLanguageParser, "parse", staticmethod(interpreter.parse_alone), (checks.PARSER_SCOPES,)),
        Patch(json_path, "parse", interpreter.cached_json_path_parse(w.json_paths_cached), (probes_asl.JSON_PATHS,)),
        Patch(
            result_path, "parse", interpreter.cached_result_path_parse(w.json_paths_cached), (probes_asl.JSON_PATHS,)
        ),
        *[
            Patch(module, "boto_client_for", clients, (probes.TASK_CLIENTS, checks.CLIENT_CREDENTIALS))
            for module in interpreter.client_modules()
        ],
        Patch(
            retrier_decl,
            "time",
            virtual_time.RetryTime(w.retry_scale),
            (probes.RETRY_INTERVALS, probes_mocks.VIRTUAL_TIME),
        ),
        Patch(
            ExecutionWorker,
            "_get_evaluation_environment",
            mocked_runs.clocked_environment(interpreter.typed_context),
            (probes_asl.CONTEXT_FIELDS, probes_mocks.VIRTUAL_TIME),
        ),
        Patch(state_module, "datetime", interpreter.AWS_DATETIME, (probes_asl.ENTERED_TIME,)),
        Patch(ErrorEqualsDecl, "_eval_body", error_matching.error_equals, (probes_asl.ERROR_MATCHING,)),
    ]


def _jsonata() -> list[Patch]:
    """JSONata and variables as AWS evaluates them (jsonata_engine.py), failures as AWS reports them
    (jsonata_failures.py)."""
    engine, failures = jsonata_engine, jsonata_failures
    return [
        Patch(StringJSONata, "_eval_body", engine.eval_jsonata, (probes_asl.JSONATA_EXPRESSIONS,)),
        Patch(StringVariableSample, "_eval_body", engine.eval_variable_sample, (probes_asl.VARIABLE_READS,)),
        Patch(AssignDecl, "_eval_body", engine.eval_assign, (probes_asl.ASSIGN_AFTER_OUTPUT,)),
        *[
            Patch(cls, "_set_next", engine.flushing(moto_original(cls, "_set_next")), (probes_asl.ASSIGN_AFTER_OUTPUT,))
            for cls in engine.LEAVING
        ],
        *[
            Patch(
                cls,
                "_from_error",
                engine.passing_failure_events(moto_original(cls, "_from_error")),
                (probes_asl.TASK_ARGUMENTS, probes_asl.TASK_EVALUATION_EVENTS),
            )
            for cls in engine.tasks_with_from_error()
        ],
        Patch(
            StepFunctionsParserBackend,
            "_validate_definition",
            staticmethod(engine.validate_definition),
            (probes_asl.CREATION_CHECKS,),
        ),
        Patch(
            Preprocessor,
            "visitAssign_template_value_terminal_string_literal",
            engine.assign_literal,
            (probes_asl.ASSIGN_LITERALS,),
        ),
        Patch(
            StepFunctionResponse,
            "describe_execution",
            engine.describe_execution,
            (probes_asl.STRING_OUTPUTS, probes_asl.NULL_OUTPUTS),
        ),
        *[
            Patch(
                FailureEventException,
                name,
                failures.said_once(moto_original(FailureEventException, name)),
                (probes_asl.TASK_EVALUATION_EVENTS,),
            )
            for name in ("get_evaluation_failed_event_details", "get_execution_failed_event_details")
        ],
        Patch(CommonStateField, "_eval_body", failures.recording_evaluation_failures, (probes_asl.EVALUATION_EVENTS,)),
        Patch(StateMap, "_eval_execution", failures.map_input_in_json, (probes_asl.MAP_INPUT,)),
        Patch(StateChoice, "_eval_state", engine.choose, (probes_asl.CHOICE_RULES,)),
        Patch(StateChoice, "_eval_state_output", engine.choice_output, (probes_asl.CHOICE_RULES,)),
        *[
            Patch(module, "CustomErrorName", failures.reported_error_name, (probes_asl.INNER_ERRORS,))
            for module in failures.REPORTERS
        ],
    ]


def _state_machines(w: Wiring) -> list[Patch]:
    """Express's contract (express.py), the versions API (state_machine_versions.py) and TestState (test_state.py)."""
    backend = StepFunctionsParserBackend
    return [
        Patch(
            backend,
            "start_execution",
            mocked_runs.starting_cases(express.starting(w.duplicate_express_start)),
            (probes.EXPRESS, probes_mocks.MOCK_CASES, checks.EXPRESS_START_SOURCE, checks.EXPRESS_EXECUTION_SHAPE),
        ),
        *[
            Patch(backend, name, express.refusing_express(moto_original(backend, name)), (probes.EXPRESS,))
            for name in express.REFUSING
        ],
        Patch(backend, "list_executions", express.list_executions, (probes.EXPRESS,)),
        *[
            Patch(StepFunctionResponse, name, getattr(state_machine_versions, name), (probes.VERSIONS,), adds=True)
            for name in state_machine_versions.ACTIONS
        ],
        Patch(StepFunctionResponse, "test_state", test_state.test_state, (probes.TEST_STATE,), adds=True),
    ]


def _mocked_runs() -> list[Patch]:
    """Step Functions Local's mock configuration (mocked_runs.py) and virtual time (virtual_time.py); their
    StartExecution and environment rows are in _state_machines and _interpreter."""
    cases, clock = (probes_mocks.MOCK_CASES,), (probes_mocks.VIRTUAL_TIME,)
    return [
        Patch(Execution, "_get_start_execution_worker", mocked_runs.get_start_execution_worker, cases),
        Patch(Environment, "get_current_mocked_response", mocked_runs.get_current_mocked_response, cases),
        Patch(EventManager, "add_event", virtual_time.add_event, clock),
        Patch(
            Environment,
            "as_inner_frame_of",
            virtual_time.forking(moto_original(Environment, "as_inner_frame_of")),
            clock,
        ),
        Patch(EventHistoryContext, "integrate", virtual_time.integrate, clock),
        Patch(
            WaitFunction, "_wait_interval", virtual_time.waiting(moto_original(WaitFunction, "_wait_interval")), clock
        ),
        Patch(
            Timestamp,
            "_get_wait_seconds",
            virtual_time.counting_from_clock(moto_original(Timestamp, "_get_wait_seconds")),
            clock,
        ),
        Patch(
            BaseExecutionWorkerCommunication,
            "_reflect_execution_status",
            virtual_time.stopping_at_clock(
                moto_original(BaseExecutionWorkerCommunication, "_reflect_execution_status")
            ),
            clock,
        ),
    ]


def patch_table(wiring: Wiring) -> list[Patch]:
    """Every row, in the order they are installed."""
    return [*_front_doors(wiring), *_interpreter(wiring), *_jsonata(), *_state_machines(wiring), *_mocked_runs()]


def install(wiring: Wiring) -> None:
    """Asserts moto's exact version, checks every row, and installs the table (replacing one installed before)."""
    patches.uninstall()
    interpreter.forget_programs()
    test_state.forget_programs()
    patches.install(patch_table(wiring))


def uninstall() -> None:
    patches.uninstall()
    interpreter.forget_programs()
    test_state.forget_programs()


def _answer_nothing(function: str, event: object) -> services.InvokeResult:
    return "{}", False, ""


def checks_of(kinds: Iterable[CheckKind]) -> list[Check]:
    """Every check the table's rows need, of these kinds, each once."""
    return patches.unique_checks(patch_table(Wiring(dispatch=_answer_nothing)), kinds)


def probe() -> list[str]:
    """Every behaviour check, run on a patched moto of its own: the problems found (none: this moto fits)."""
    return probe_system.run(checks_of(["behaviour"]), install, uninstall)
