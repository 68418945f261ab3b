"""What the command groups share: the options that pick a target, connecting to it, calling the local API, and
printing a harness's report."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias, TypeVar

if TYPE_CHECKING:
    from workflow.ops.targets import Target

# What each command group registers its commands on.
Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"

DEFAULT_URL = "http://127.0.0.1:3000"


def workflow_type_argument(command: argparse.ArgumentParser, what: str) -> None:
    """--workflow-type STANDARD|EXPRESS (any case; default STANDARD), for the commands that build a state machine."""
    command.add_argument(
        "--workflow-type",
        type=str.upper,
        choices=("STANDARD", "EXPRESS"),
        default="STANDARD",
        help=f"{what} (default STANDARD)",
    )


def target_arguments(command: argparse.ArgumentParser, required: bool = False) -> None:
    """The options of every command that reads or changes a running system."""
    command.add_argument(
        "--target",
        choices=("local", "aws"),
        required=required,
        default=None if required else "local",
        help="the running local system (default) or the deployed stack" if not required else None,
    )
    command.add_argument("--stack", help="CloudFormation stack name (aws; default orderflow or $ORDERFLOW_STACK)")
    command.add_argument("--region", help="AWS region (aws; default from your AWS configuration)")
    command.add_argument(
        "--endpoint-url", help="AWS endpoint (local default http://127.0.0.1:4566 or $ORDERFLOW_AWS_ENDPOINT)"
    )


def connect(args: argparse.Namespace) -> Target:
    """The local system or the deployed stack; its TargetError says what to do when neither answers."""
    from workflow.ops.targets import connect as connect_target

    return connect_target(args.target, stack=args.stack, region=args.region, endpoint_url=args.endpoint_url)


def request(method: str, url: str, **kwargs: Any) -> tuple[int, dict[str, str], Any]:
    """One call to the orders API: status, headers and the body (JSON where it is JSON)."""
    import requests

    try:
        response = requests.request(method, url, timeout=10, **kwargs)
    except requests.ConnectionError:
        raise SystemExit(f"orderflow: nothing answers at {url}; is `orderflow up` (make run) running?") from None
    try:
        body = response.json()
    except ValueError:
        body = response.text
    return response.status_code, dict(response.headers), body


class Report(Protocol):
    @property
    def ok(self) -> bool: ...

    def text(self) -> str: ...

    def to_json(self) -> str: ...


def print_report(report: Report, as_json: bool) -> int:
    """A run's readable report, and with --json one JSON line last (what scripts and the tests parse)."""
    print(report.text())
    if as_json:
        print(report.to_json())
    return 0 if report.ok else 1


class Listed(Protocol):
    def to_dict(self) -> dict[str, Any]: ...


L = TypeVar("L", bound=Listed)


def print_listing(items: Sequence[L], as_json: bool, *, empty: str, header: str, row: Callable[[L], str]) -> int:
    """A listing as a table (or `empty` when there is nothing), or with --json as one JSON array."""
    if as_json:
        print(json.dumps([item.to_dict() for item in items], indent=2))
    elif not items:
        print(empty)
    else:
        print(header)
        for item in items:
            print(row(item))
    return 0
