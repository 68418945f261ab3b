"""Construct ids from manifest names: they make the logical ids CloudFormation keeps (tests/infra pins them)."""

from __future__ import annotations


def camel(name: str) -> str:
    """ "order-events" -> "OrderEvents", "alert_log" -> "AlertLog"."""
    return "".join(part.capitalize() for part in name.replace("_", "-").split("-"))
