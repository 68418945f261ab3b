"""A mocked result checked against the output of the API its Task calls: TestState's `mock.fieldValidationMode`
(https://docs.aws.amazon.com/step-functions/latest/apireference/API_MockInput.html):

- STRICT (the default): "All required fields must be present, and all present fields must conform to the API's
  schema"; PRESENT: "All present fields must conform to the API's schema"; NONE: no check;
- a field the API does not define is not checked (AWS answers such a mock SUCCEEDED, in STRICT too); a field it
  defines must have its type (string, number, boolean, array, object), an enum's value, a string's or blob's length
  and a number's range; a timestamp or blob is a string, as Step Functions writes them;
- fields are named as Step Functions names them: PascalCase, the first letter of botocore's member name upper-cased
  (https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html: "Parameters in Step Functions
  are expressed in PascalCase, even if the native service API is in camelCase");
- a mismatch is a ValidationException, "Mock result schema validation error: Field 'StatusCode' must be a number" or
  "... Required field 'ExecutionArn' is missing" (AWS's answers, recorded 2025-11-26);
- the API is the Resource's: an optimized integration (`arn:aws:states:::sqs:sendMessage`) or an AWS SDK integration
  (`arn:aws:states:::aws-sdk:sfn:startExecution`), its service named as Step Functions names it (sfn, eventbridge,
  cloudwatchlogs: botocore's service id, lower-cased, without spaces) and its action in camelCase; `.sync` of
  `states:startExecution` answers DescribeExecution (the polling API). A Lambda function called by its own ARN, an
  activity, `.waitForTaskToken`, an HTTP Task and any other `.sync` answer what a worker, a callback or an endpoint
  sends, which no API model holds: they are not checked. The optimized `lambda:invoke`'s `Payload` is the function's
  JSON output (https://docs.aws.amazon.com/step-functions/latest/dg/connect-lambda.html), any JSON value.
"""

from __future__ import annotations

import functools
import re
from typing import Any

import botocore.session
from botocore.model import OperationNotFoundError, Shape

from workflow.emulator.test_state_request import ValidationException

MODES = ("STRICT", "PRESENT", "NONE")
PREFIX = "Mock result schema validation error: "
_SDK = re.compile(r"^arn:[\w-]+:states:::aws-sdk:(?P<service>[\w-]+):(?P<action>\w+)(?P<pattern>\..*)?$")
_OPTIMIZED = re.compile(r"^arn:[\w-]+:states:::(?P<service>[\w-]+):(?P<action>\w+)(?P<pattern>\..*)?$")
# Step Functions' names for services whose botocore name differs and is not found from the service id.
# Step Functions' service names (the AWS SDK for Java v2 clients', lower case) where botocore's differ by more than
# dashes (supported-services-awssdk.html); a name neither finds is not checked (botocore's service ids are in each
# service's model: reading them all took 3.9 s and 456 MB, in the process that serves the local endpoint).
_SERVICES = {
    "states": "stepfunctions",
    "sfn": "stepfunctions",
    "eventbridge": "events",
    "cloudwatchlogs": "logs",
    "cognitoidentityprovider": "cognito-idp",
    "elasticloadbalancingv2": "elbv2",
    "elasticloadbalancing": "elb",
    "databasemigration": "dms",
    "costexplorer": "ce",
}
# .sync: the result is the polling API's (the Step Functions developer guide, connect-stepfunctions.html).
_SYNC = {("stepfunctions", "StartExecution"): "DescribeExecution"}
# Fields a Task's result holds as JSON, whatever the API's model says (a blob, a string).
_ANY_JSON = {
    ("lambda", "Invoke"): frozenset({"Payload"}),
    ("stepfunctions", "DescribeExecution"): frozenset({"Output"}),
}
_NUMBER = ("integer", "long", "float", "double")


@functools.lru_cache(maxsize=1)
def _session() -> Any:
    return botocore.session.get_session()


def _squashed(name: str) -> str:
    return re.sub(r"[\s_-]", "", name).lower()


@functools.lru_cache(maxsize=256)
def botocore_service(name: str) -> str | None:
    """The botocore service Step Functions' service name in a Resource means; None if none does."""
    if name in _SERVICES:
        return _SERVICES[name]
    available = _session().get_available_services()
    if name in available:
        return name
    squashed = {_squashed(service): service for service in available}
    return squashed.get(_squashed(name))


@functools.lru_cache(maxsize=256)
def api_of(resource: str) -> tuple[str, str] | None:
    """(botocore service, operation) whose output a Task of this Resource answers, or None where no API model holds
    the result (a Lambda function's or an activity's ARN, an HTTP Task, .waitForTaskToken, an unknown action)."""
    match = _SDK.match(resource) or _OPTIMIZED.match(resource)
    if match is None or match["service"] == "http":
        return None
    service_name, action, pattern = match["service"], match["action"], match["pattern"] or ""
    if pattern.startswith(".waitForTaskToken"):
        return None
    service = botocore_service(service_name)
    if service is None:
        return None
    model = _session().get_service_model(service)
    operation = next((op for op in model.operation_names if op.lower() == action.lower()), None)
    if operation is None:
        return None
    if pattern.startswith(".sync"):
        polled = _SYNC.get((service, operation))
        return (service, polled) if polled else None
    return service, operation


@functools.lru_cache(maxsize=256)
def _output_shape(service: str, operation: str) -> Shape | None:
    try:
        shape: Shape | None = _session().get_service_model(service).operation_model(operation).output_shape
    except OperationNotFoundError:
        return None
    return shape


def check_result(resource: str, result: Any, mode: str) -> None:
    """Raises ValidationException where `result` (the mock's result, parsed) does not conform to the output of the
    API the Resource calls, as `mode` checks it."""
    api = api_of(resource) if mode != "NONE" else None
    if api is None:
        return
    shape = _output_shape(*api)
    if shape is None:
        return
    if not isinstance(result, dict):
        raise ValidationException(PREFIX + "Mocked result must be a JSON object")
    _structure(shape, result, mode == "STRICT", _ANY_JSON.get(api, frozenset()))


def sfn_name(member: str) -> str:
    return member[:1].upper() + member[1:]


def _invalid(name: str, problem: str) -> ValidationException:
    return ValidationException(f"{PREFIX}Field '{name}' {problem}")


def _structure(shape: Any, value: dict[str, Any], strict: bool, any_json: frozenset[str] = frozenset()) -> None:
    members = {sfn_name(name): member for name, member in shape.members.items()}
    if strict:
        for required in shape.required_members:
            if sfn_name(required) not in value:
                raise ValidationException(f"{PREFIX}Required field '{sfn_name(required)}' is missing")
    for key, item in value.items():
        member = members.get(key)
        if member is not None and key not in any_json:
            _field(member, key, item, strict)


def _field(shape: Any, name: str, value: Any, strict: bool) -> None:
    """One field: its type, then what the model bounds (length, range, enum)."""
    kind = shape.type_name
    if kind == "structure":
        if getattr(shape, "is_document_type", False):
            return
        if not isinstance(value, dict):
            raise _invalid(name, "must be an object")
        _structure(shape, value, strict)
    elif kind == "list":
        if not isinstance(value, list):
            raise _invalid(name, "must be an array")
        _length(shape, name, len(value))
        for item in value:
            _field(shape.member, name, item, strict)
    elif kind == "map":
        if not isinstance(value, dict):
            raise _invalid(name, "must be an object")
        for item in value.values():
            _field(shape.value, name, item, strict)
    elif kind == "boolean":
        if not isinstance(value, bool):
            raise _invalid(name, "must be a boolean")
    elif kind in _NUMBER:
        _number(shape, name, value)
    else:  # string, blob, timestamp: Step Functions writes each as a JSON string
        if not isinstance(value, str):
            raise _invalid(name, "must be a string")
        enum = getattr(shape, "enum", None)
        if enum and value not in enum:
            raise _invalid(name, "is not an expected value")
        if kind != "timestamp":
            _length(shape, name, len(value))


def _number(shape: Any, name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _invalid(name, "must be a number")
    if shape.type_name in ("integer", "long") and not float(value).is_integer():
        raise _invalid(name, "must be an integer")
    bounds = shape.metadata
    if "min" in bounds and value < bounds["min"]:
        raise _invalid(name, "is less than the minimum value")
    if "max" in bounds and value > bounds["max"]:
        raise _invalid(name, "exceeds the maximum value")


def _length(shape: Any, name: str, length: int) -> None:
    bounds = shape.metadata
    if "min" in bounds and length < bounds["min"]:
        raise _invalid(name, "is smaller than the minimum length")
    if "max" in bounds and length > bounds["max"]:
        raise _invalid(name, "is larger than the maximum length")
