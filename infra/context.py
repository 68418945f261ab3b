"""What an operator chooses per deployment: the CDK context (cdk.json, `-c key=value`, ORDERFLOW_CONTEXT), read and
checked before anything is built. See infra/README.md for each key."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from aws_cdk import aws_logs as logs

from handlers import env
from workflow.asl import WORKFLOW_TYPES
from workflow.manifest import DEFAULT_EXPRESS_LOG_LEVEL, EXPRESS_LOG_LEVELS, MANIFEST, Setting

LAMBDA_SYSTEM_LOG_LEVELS = ("DEBUG", "INFO", "WARN")
LAYER_VERSION_ARN = re.compile(r"arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:layer:[A-Za-z0-9_-]+:\d+")


@dataclass(frozen=True)
class StackSettings:
    """What an operator chooses per deployment (CDK context, see infra/README.md)."""

    workflow_type: str = "STANDARD"
    # Express workflows have no execution history, so their logs are the record; at ALL they can cost more than
    # the executions themselves. ERROR keeps failures (with their data: the failure route carries no customer data,
    # workflow.failure_route._failure_document) and drops the rest. At ALL every state's input would carry the order's
    # email and address, so ALL logs without data.
    express_log_level: str = DEFAULT_EXPRESS_LOG_LEVEL
    log_retention_days: int = 30
    # Lambda's system log lines (START, END, REPORT: about 350 bytes an invocation, $0.73 per 1M orders) are INFO;
    # WARN keeps only the platform's warnings and errors. INFO shows REPORT's memory use, for tuning memory sizes.
    lambda_system_log_level: str = "WARN"
    oidc_issuer: str | None = None
    oidc_audience: tuple[str, ...] = ()
    alert_emails: tuple[str, ...] = ()
    api_rate_limit: int = 50
    api_burst_limit: int = 100
    # Operator settings the manifest asks for (e.g. SLACK_MAX_ATTEMPTS); absent ones are left unset.
    function_settings: dict[str, str] = field(default_factory=dict)
    # A Powertools layer version ARN to use instead of the public SSM parameter of the locked release.
    powertools_layer_arn: str | None = None

    def __post_init__(self) -> None:
        if self.workflow_type not in WORKFLOW_TYPES:
            raise ValueError(f"workflowType must be one of {', '.join(WORKFLOW_TYPES)}, not {self.workflow_type!r}")
        if self.express_log_level not in EXPRESS_LOG_LEVELS:
            raise ValueError(f"expressLogLevel must be ALL, ERROR, FATAL or OFF, not {self.express_log_level!r}")
        if self.lambda_system_log_level not in LAMBDA_SYSTEM_LOG_LEVELS:
            raise ValueError(
                f"lambdaSystemLogLevel must be one of {', '.join(LAMBDA_SYSTEM_LOG_LEVELS)}, "
                f"not {self.lambda_system_log_level!r}"
            )
        if self.powertools_layer_arn is not None and not LAYER_VERSION_ARN.fullmatch(self.powertools_layer_arn):
            raise ValueError(
                "powertoolsLayerArn must be a Lambda layer version ARN "
                f"(arn:aws:lambda:<region>:<account>:layer:<name>:<version>), not {self.powertools_layer_arn!r}"
            )
        stuck = self.function_settings.get(env.STUCK_ORDER_MINUTES)
        if stuck is not None and not (stuck.replace(".", "", 1).isdigit() and float(stuck) > 0):
            raise ValueError(f"stuckOrderMinutes must be a number of minutes above 0, not {stuck!r}")
        if bool(self.oidc_issuer) != bool(self.oidc_audience):
            raise ValueError("a JWT authorizer needs both oidcIssuer and oidcAudience")

    @property
    def express(self) -> bool:
        return self.workflow_type == "EXPRESS"

    @classmethod
    def from_context(cls, node: Any) -> StackSettings:
        def text(key: str) -> str | None:
            value = node.try_get_context(key)
            return str(value).strip() if value not in (None, "") else None

        def items(key: str) -> tuple[str, ...]:
            value = node.try_get_context(key)
            if isinstance(value, list):
                return tuple(str(v).strip() for v in value if str(v).strip())
            return tuple(v.strip() for v in (text(key) or "").split(",") if v.strip())

        defaults = cls()
        return cls(
            workflow_type=(text("workflowType") or defaults.workflow_type).upper(),
            express_log_level=(text("expressLogLevel") or defaults.express_log_level).upper(),
            log_retention_days=int(text("logRetentionDays") or defaults.log_retention_days),
            lambda_system_log_level=(text("lambdaSystemLogLevel") or defaults.lambda_system_log_level).upper(),
            oidc_issuer=text("oidcIssuer"),
            oidc_audience=items("oidcAudience"),
            alert_emails=items("alertEmails"),
            api_rate_limit=int(text("apiRateLimit") or defaults.api_rate_limit),
            api_burst_limit=int(text("apiBurstLimit") or defaults.api_burst_limit),
            function_settings={
                **{name: value for name in _setting_names() if (value := text(name)) is not None},
                # After how long an accepted order that is not terminal is alerted as stuck (FindStuckOrders).
                **({env.STUCK_ORDER_MINUTES: minutes} if (minutes := text("stuckOrderMinutes")) else {}),
            },
            powertools_layer_arn=text("powertoolsLayerArn"),
        )


def _setting_names() -> list[str]:
    """The operator settings the functions take (the manifest's Setting references): each may be set in context."""
    names = {ref.name for f in MANIFEST.functions for ref in f.environment.values() if isinstance(ref, Setting)}
    return sorted(names)


_RETENTIONS = {
    1: logs.RetentionDays.ONE_DAY,
    3: logs.RetentionDays.THREE_DAYS,
    5: logs.RetentionDays.FIVE_DAYS,
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    60: logs.RetentionDays.TWO_MONTHS,
    90: logs.RetentionDays.THREE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
    400: logs.RetentionDays.THIRTEEN_MONTHS,
    545: logs.RetentionDays.EIGHTEEN_MONTHS,
    731: logs.RetentionDays.TWO_YEARS,
}


def log_retention(days: int) -> logs.RetentionDays:
    try:
        return _RETENTIONS[days]
    except KeyError:
        raise ValueError(f"logRetentionDays must be one of {sorted(_RETENTIONS)}, not {days}") from None
