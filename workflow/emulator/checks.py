"""The checks that read moto without running it: shapes (an attribute, a signature) and source text, kept only where
a probe (workflow.emulator.probes) cannot show what a row relies on. They run at every install."""

from __future__ import annotations

import inspect

from moto.dynamodb.models.table import Table
from moto.stepfunctions.parser.asl.eval.event.logging import CloudWatchLoggingConfiguration
from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor
from moto.stepfunctions.parser.asl.utils import boto_client
from moto.stepfunctions.parser.backend.execution import Execution
from moto.stepfunctions.parser.models import StepFunctionsParserBackend

from workflow.emulator.patches import Check, MotoChanged, moto_original


def _parser_scopes() -> None:
    # A probe cannot make two parses collide on demand, nor make moto's parser fail half-way through a scope.
    if not isinstance(getattr(Preprocessor, "_query_language_per_scope", None), list):
        raise MotoChanged("moto's Preprocessor no longer keeps its query-language scopes in a class-level list")


def _client_credentials() -> None:
    # The reused clients are right only while moto makes every client with the same fixed credentials: a probe sees
    # a client reused, not which credentials a state would have wanted.
    original = moto_original(boto_client, "boto_client_for")
    parameters = list(inspect.signature(original).parameters)
    body = inspect.getsource(original).split(") -> BaseClient:", 1)[-1]
    if parameters != ["region", "service", "state_credentials"] or "state_credentials" in body:
        raise MotoChanged("moto's boto_client_for now uses the state's credentials (or changed); cannot reuse clients")


def _express_start_follows_moto() -> None:
    # Our Express start is a copy of moto's Standard start with AWS's Express contract: what moto's start does that
    # ours must do as well is in its text, not in anything an Express execution shows.
    start = inspect.getsource(moto_original(StepFunctionsParserBackend, "start_execution"))
    for needed in ("_handle_name_input_idempotency", "copy.deepcopy", "cloud_watch_logging_session", "execution.start"):
        if needed not in start:
            raise MotoChanged(f"moto's start_execution no longer uses {needed}; the Express start cannot follow it")


def _express_execution_shape() -> None:
    parameters = list(inspect.signature(Execution.__init__).parameters)
    for needed in ("exec_arn", "cloud_watch_logging_session", "state_machine", "input_data"):
        if needed not in parameters:
            raise MotoChanged(f"moto's parser Execution no longer takes {needed}")
    if not hasattr(CloudWatchLoggingConfiguration, "from_logging_configuration"):
        raise MotoChanged("moto's CloudWatchLoggingConfiguration.from_logging_configuration is gone")


def _query_sorts_its_matches() -> None:
    # Unsorted items inside a Query are only as right as moto's Query, which sorts what it keeps: the results do not
    # change with the row, so no probe can tell it is there (it is faster, not different).
    query = inspect.getsource(moto_original(Table, "query"))
    for needed in ("self.all_items()", "self.sorted_items(", "possible_results.sort("):
        if needed not in query:
            raise MotoChanged(f"moto's Table.query no longer has {needed}: its matches may rely on all_items' order")
    if "sorted(" not in inspect.getsource(moto_original(Table, "all_items")):
        raise MotoChanged("moto's Table.all_items no longer sorts: drop the row that reads it unsorted in a Query")


PARSER_SCOPES = Check("the parser's query-language scopes are one class-level list", "shape", _parser_scopes)
CLIENT_CREDENTIALS = Check("moto's task clients ignore the state's credentials", "source", _client_credentials)
EXPRESS_START_SOURCE = Check(
    "moto's start_execution does what the Express start copies", "source", _express_start_follows_moto
)
EXPRESS_EXECUTION_SHAPE = Check(
    "moto's parser Execution and logging configuration take what the Express start gives",
    "shape",
    _express_execution_shape,
)
QUERY_SORTS_ITS_MATCHES = Check(
    "moto's Table.query sorts the matches it keeps from all_items", "source", _query_sorts_its_matches
)
