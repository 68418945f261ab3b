"""Microsoft Teams: Adaptive Cards to a Teams Workflows webhook (its URL in the target's secret). The channel's
"Post to a channel when a webhook request is received" workflow posts each card it is sent. It answers 202 once it has
taken the request, before it posts: a card Teams cannot render fails in the flow's run history, not here, which is why
the unit tests hold every card to the Adaptive Card schema. Office 365 connectors (outlook.office.com,
*.webhook.office.com) are retired; `problem` says so rather than let every alert fail."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from handlers import observability
from handlers.adapters.alert_targets import TargetConfig, https_url_problem
from handlers.adapters.json_webhook import JsonWebhook
from handlers.domain.alerts import Notification
from handlers.domain.teams_card import storm_card, teams_card, teams_message

# http:// is for a receiver on this machine only (the local runtime's, the tests'): anything else would carry the
# alerts, and the webhook's signature in its query, in clear text.
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
WHAT = "a Microsoft Teams Workflows webhook"


@dataclass
class TeamsTarget:
    webhook: JsonWebhook
    link_template: str | None
    name: str = "teams"

    def post(self, notification: Notification) -> None:
        attempts = self.webhook.post(teams_message(teams_card(notification, self.link_template)))
        observability.logger.info("alert posted to Teams", extra={"attempts": attempts})

    def post_summary(self, notifications: list[Notification]) -> None:
        attempts = self.webhook.post(teams_message(storm_card(notifications, self.link_template)))
        observability.logger.info(
            "alert storm summary posted to Teams", extra={"alerts": len(notifications), "attempts": attempts}
        )


def build(config: TargetConfig) -> TeamsTarget:
    webhook = JsonWebhook(str(config.secret), name="Teams", max_attempts=config.max_attempts, timeout=config.timeout)
    return TeamsTarget(webhook, config.link_template)


def problem(config: TargetConfig) -> str | None:
    """What is wrong with the secret's URL, or None. The URL is never part of the answer: its query is the
    webhook's signature, and the answer is logged and printed by preflight."""
    if (wrong := https_url_problem(config.secret, WHAT)) is not None:
        return wrong
    try:
        url = urlsplit(str(config.secret).strip())
        host = (url.hostname or "").lower()
    except ValueError:  # an unbalanced [ in the host: no host we could post to
        return f"its secret holds a URL without a host for {WHAT}"
    if not host:
        return f"its secret holds a URL without a host for {WHAT}"
    if url.scheme == "http" and host not in LOOPBACK_HOSTS:
        return f"its secret holds an http:// URL for {WHAT}: use https:// (http:// is for 127.0.0.1 or localhost)"
    if host == "outlook.office.com" or host.endswith(".webhook.office.com"):
        return (
            "its secret holds an Office 365 connector URL, and those connectors are retired: create a Teams "
            "Workflows webhook ('Post to a channel when a webhook request is received') and store its URL"
        )
    return None
