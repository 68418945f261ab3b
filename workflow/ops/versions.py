"""Pruning a state machine's versions: every deploy and every `orderflow workflow update` publishes one, and AWS
allows 1,000 per state machine, after which publishing fails. Keep the newest N and every version an alias routes
to (`live`, or a rollback's target), and delete the rest.

Run by `orderflow workflow update` after it moves the alias, by `orderflow workflow prune`, and by `make deploy`
after `cdk deploy` (the stack's versions are RETAINed so the alias can move back; this is what bounds them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

DEFAULT_KEEP = 10
MAX_PAGES = 20  # 1,000 versions at most, 100 a page


@dataclass(frozen=True)
class Pruned:
    kept: list[str]  # newest first
    routed: list[str]  # kept because an alias routes to them
    deleted: list[str] = field(default_factory=list)


def versions(sfn: Any, state_machine_arn: str) -> list[str]:
    """Every version's ARN, newest first."""
    found: list[str] = []
    token: str | None = None
    for _ in range(MAX_PAGES):
        arguments: dict[str, Any] = {"stateMachineArn": state_machine_arn, "maxResults": 100}
        if token:
            arguments["nextToken"] = token
        page = sfn.list_state_machine_versions(**arguments)
        found += [v["stateMachineVersionArn"] for v in page.get("stateMachineVersions", [])]
        token = page.get("nextToken")
        if not token:
            break
    return sorted(found, key=_number, reverse=True)


def routed_versions(sfn: Any, state_machine_arn: str) -> set[str]:
    """The versions some alias of the state machine routes to."""
    routed: set[str] = set()
    for alias in sfn.list_state_machine_aliases(stateMachineArn=state_machine_arn).get("stateMachineAliases", []):
        described = sfn.describe_state_machine_alias(stateMachineAliasArn=alias["stateMachineAliasArn"])
        routed |= {route["stateMachineVersionArn"] for route in described.get("routingConfiguration", [])}
    return routed


def prune_versions(sfn: Any, state_machine_arn: str, keep: int = DEFAULT_KEEP, *, dry_run: bool = False) -> Pruned:
    """Delete all but the newest `keep` versions and those an alias routes to."""
    if keep < 1:
        raise ValueError(f"keep at least the newest version (--keep-versions >= 1), not {keep}")
    from botocore.exceptions import ClientError

    every = versions(sfn, state_machine_arn)
    routed = routed_versions(sfn, state_machine_arn)
    kept = [arn for i, arn in enumerate(every) if i < keep or arn in routed]
    deleted = []
    for arn in every:
        if arn in kept:
            continue
        if not dry_run:
            try:
                sfn.delete_state_machine_version(stateMachineVersionArn=arn)
            except ClientError as e:
                if e.response.get("Error", {}).get("Code") != "ConflictException":
                    raise
                kept.append(arn)  # an alias was moved to it meanwhile: it stays
                routed.add(arn)
                continue
        deleted.append(arn)
    return Pruned(kept=kept, routed=sorted(routed & set(kept), key=_number, reverse=True), deleted=deleted)


def _number(arn: str) -> int:
    tail = arn.rsplit(":", 1)[-1]
    return int(tail) if tail.isdigit() else -1
