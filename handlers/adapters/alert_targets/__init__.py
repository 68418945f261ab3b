"""The alert targets (the alert delivery's AlertTarget port), one module each:

- log: one structured line per alert (CloudWatch Logs), always on;
- slack: Block Kit messages to a Slack incoming webhook;
- webhook: every alert as JSON to any HTTP endpoint (an `alertId` for de-duplication);
- pagerduty: PagerDuty's Events API v2, one incident per order, resolved when the order is;
- teams: Adaptive Cards to a Microsoft Teams Workflows webhook;
- email: a readable e-mail through Amazon SES.

Each module has `build(TargetConfig) -> AlertTarget` and `problem(TargetConfig) -> str | None` (what is wrong with
its configuration, or None). Which exist, their secrets and settings are registered in handlers.alert_registry.

May import: the standard library, boto3/botocore, Powertools, the domain and the alert delivery's ports.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class TargetConfig:
    """What a target is built from: its secret's value (a URL, a key), its settings, and the delivery's limits."""

    secret: str | None = None
    settings: Callable[[str], str | None] = field(default=lambda _: None)
    max_attempts: int = 3
    timeout: float = 10.0
    # The execution link's template (ORDERFLOW_CONSOLE_URL), or None: the AWS console's.
    link_template: str | None = None


def https_url_problem(value: str | None, what: str) -> str | None:
    """None when `value` is an http(s) URL; otherwise what is wrong (a placeholder is not configured)."""
    if not value or not value.startswith(("https://", "http://")):
        return f"its secret holds no http(s) URL for {what}"
    return None
