"""The alert targets, registered in one place: a target is a module of handlers.adapters.alert_targets and one line
here (name, label, module, its secret, its settings). Everything else derives from that line:

- the manifest (workflow.manifest): the target's secret, the AlertHandler's environment, access and the stack
  outputs, so CDK creates the secret and grants the read, and the local runtime stores `local_env`'s value in it;
- the AlertHandler (handlers.wiring): which targets ALERT_TARGETS turns on, each built from its secret and settings;
- preflight (infra.preflight): every target that is on, checked with its module's `problem` before a deploy.

ALERT_TARGETS names the targets that are on (comma-separated; default `slack`). The log target is always on.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING

from handlers import env

if TYPE_CHECKING:
    from handlers.adapters.alert_targets import TargetConfig
    from handlers.services.alert_delivery import AlertTarget

DEFAULT_TARGETS = "slack"


@dataclass(frozen=True)
class TargetSecret:
    # The manifest's secret name. Its CloudFormation logical id derives from it: renaming one replaces the secret.
    name: str
    # The AlertHandler's environment variable that holds the secret's ARN.
    arn_env: str
    # Locally, the variable whose value `orderflow up` stores in the secret (as SLACK_WEBHOOK_URL is).
    local_env: str
    # The stack output that names the secret.
    output: str
    # What the operator puts in it (the secret's description).
    holds: str


@dataclass(frozen=True)
class TargetSpec:
    name: str
    label: str
    # The module of handlers.adapters.alert_targets with build(TargetConfig) and problem(TargetConfig).
    module: str
    secret: TargetSecret | None = None
    # The environment variables it reads besides its secret (operator settings: manifest Settings, CDK context).
    settings: tuple[str, ...] = ()

    def load(self) -> ModuleType:
        return importlib.import_module(f"handlers.adapters.alert_targets.{self.module}")


# fmt: off
TARGETS = (
    TargetSpec("log", "log", "log"),
    TargetSpec("slack", "Slack", "slack", TargetSecret("slack-webhook", env.SLACK_WEBHOOK_SECRET_ARN, env.SLACK_WEBHOOK_URL, "SlackWebhookSecretArn", "the Slack incoming-webhook URL alerts are posted to (https://hooks.slack.com/...)")),  # noqa: E501
    TargetSpec("webhook", "webhook", "webhook", TargetSecret("alert-webhook", env.ALERT_WEBHOOK_SECRET_ARN, env.ALERT_WEBHOOK_URL, "AlertWebhookSecretArn", "a generic webhook URL every alert is POSTed to as JSON (the 'webhook' target)")),  # noqa: E501
    TargetSpec("pagerduty", "PagerDuty", "pagerduty", TargetSecret("pagerduty-routing-key", "PAGERDUTY_SECRET_ARN", "PAGERDUTY_ROUTING_KEY", "PagerDutySecretArn", "the PagerDuty Events API v2 routing key (32 characters) of the service alerts open incidents in"), settings=("PAGERDUTY_EVENTS_URL",)),  # noqa: E501
    TargetSpec("teams", "Microsoft Teams", "teams", TargetSecret("teams-webhook", "TEAMS_WEBHOOK_SECRET_ARN", "TEAMS_WEBHOOK_URL", "TeamsWebhookSecretArn", "the Microsoft Teams Workflows webhook URL alerts are posted to as Adaptive Cards (https://...)")),  # noqa: E501
    TargetSpec("email", "e-mail", "email", settings=("ALERT_EMAIL_FROM", "ALERT_EMAIL_TO")),
)
# fmt: on
BY_NAME = {spec.name: spec for spec in TARGETS}
ALWAYS_ON = "log"


def target_names(names: str | None) -> list[str]:
    """ALERT_TARGETS as names, in order, without repeats (default: slack); the log is on whatever it says."""
    listed = [n.strip().lower() for n in (names if names is not None else DEFAULT_TARGETS).split(",") if n.strip()]
    return list(dict.fromkeys(n for n in listed if n != ALWAYS_ON))


def configured_targets(
    names: str | None,
    config_of: Callable[[TargetSpec], TargetConfig],
    report: Callable[[str], None],
) -> list[AlertTarget]:
    """The log target, then each target ALERT_TARGETS names whose configuration holds (its module's `problem` is
    None). An unknown or unconfigured one is reported (`report`) and left out: the others still get the alert."""
    targets: list[AlertTarget] = [BY_NAME[ALWAYS_ON].load().build(config_of(BY_NAME[ALWAYS_ON]))]
    for name in target_names(names):
        spec = BY_NAME.get(name)
        if spec is None:
            report(f"unknown alert target {name!r} in ALERT_TARGETS: the targets are {', '.join(sorted(BY_NAME))}")
            continue
        module, config = spec.load(), config_of(spec)
        if (problem := module.problem(config)) is not None:
            report(f"alert target {name} is not configured: {problem}")
            continue
        targets.append(module.build(config))
    return targets


def target_settings(specs: Iterable[TargetSpec] = TARGETS) -> tuple[str, ...]:
    """Every setting the targets read, once each."""
    return tuple(dict.fromkeys(setting for spec in specs for setting in spec.settings))
