"""One pre-flight check's outcome, shared by infra.preflight (the command, and its account checks) and
infra.preflight_alerts (the alert targets' checks)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Check:
    name: str
    status: str  # ok | WARN | FAIL | skip
    detail: str
    fix: str = ""

    def line(self) -> str:
        fix = f"  -> {self.fix}" if self.fix and self.status in ("FAIL", "WARN", "skip") else ""
        return f"[{self.status:4}] {self.name}: {self.detail}{fix}"


def error_code(error: Exception) -> str:
    """The AWS error code of a failed call (its exception's name when it has none), for a check's detail."""
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Code", type(error).__name__))
