"""ListStateMachineVersions and DeleteStateMachineVersion for moto, which publishes versions but serves neither: the
local system keeps versions as AWS does, so pruning them (workflow.ops.versions) is tested where it runs. moto
dispatches an action to the response's method of that name: two rows of the patch table add them.

As AWS answers them: versions newest first, paginated (maxResults up to 1000, an opaque nextToken); a version an
alias routes to cannot be deleted (ConflictException); deleting one that does not exist succeeds; version numbers
are never reused (moto counts them up from the last published).
"""

from __future__ import annotations

from typing import Any

from moto.core.exceptions import AWSError
from moto.core.responses import ActionResult, EmptyResult
from moto.stepfunctions.exceptions import InvalidArn
from moto.stepfunctions.responses import StepFunctionResponse

MAX_RESULTS = 1000
# The actions served here (each a method of StepFunctionResponse of that name).
ACTIONS = ("list_state_machine_versions", "delete_state_machine_version")


class ConflictException(AWSError):  # type: ignore[misc]
    TYPE = "ConflictException"
    STATUS = 400


def _machine(response: Any, arn: str) -> Any:
    backend = response.stepfunction_backend
    return backend.describe_state_machine(arn)


def list_state_machine_versions(self: StepFunctionResponse) -> ActionResult:
    machine = _machine(self, self._get_param("stateMachineArn"))
    limit = min(self._get_int_param("maxResults") or 100, MAX_RESULTS)
    token = self._get_param("nextToken")
    versions = sorted(machine.versions.values(), key=lambda v: v.version, reverse=True)
    start = int(token) if token and str(token).isdigit() else 0
    page = versions[start : start + limit]
    answer: dict[str, Any] = {
        "stateMachineVersions": [{"stateMachineVersionArn": v.arn, "creationDate": v.creation_date} for v in page]
    }
    if start + limit < len(versions):
        answer["nextToken"] = str(start + limit)
    return ActionResult(answer)


def delete_state_machine_version(self: StepFunctionResponse) -> EmptyResult:
    arn = str(self._get_param("stateMachineVersionArn"))
    source, _, number = arn.rpartition(":")
    if not number.isdigit():
        raise InvalidArn(f"Invalid State Machine Version Arn: '{arn}'")
    machine = _machine(self, source)
    for alias in machine.aliases.values():
        if any(route.get("stateMachineVersionArn") == arn for route in alias.routing_configuration):
            raise ConflictException(
                f"Version to be deleted must not be referenced by an alias. Aliases referencing it: [{alias.arn}]"
            )
    machine.versions.pop(int(number), None)
    if machine.latest_version is not None and machine.latest_version.arn == arn:
        machine.latest_version = max(machine.versions.values(), key=lambda v: v.version, default=None)
    return EmptyResult()
