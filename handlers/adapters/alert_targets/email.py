"""E-mail: each alert as a readable e-mail (text and HTML, handlers.domain.alert_email) through Amazon SES (its v2
API; the IAM action is ses:SendEmail, which the manifest's SendEmail() grants on the sender's identity).

Settings: ALERT_EMAIL_FROM, the sender (a bare address whose identity, or its domain, SES has verified), and
ALERT_EMAIL_TO, the recipients (comma-separated). No secret.

What SES answers decides what happens to the alert:
- throttled, a 5xx, no connection (after the SDK's own bounded retries): AlertDeliveryError, so SQS redelivers it;
- refused for good (MessageRejected - e.g. a sender or, in the SES sandbox, a recipient not verified -, the MAIL
  FROM domain not verified, sending paused, access denied): AlertRefused, so it is parked in the alert DLQ at once
  with SES's reason, and a redrive after the fix sends it.

Like every target, an e-mail is sent at least once: a send whose answer is lost (a read timeout) is retried, and
may arrive twice.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError

from handlers import observability
from handlers.adapters.alert_targets import TargetConfig
from handlers.domain.alert_email import AlertEmail, notification_email, storm_email
from handlers.domain.alerts import Notification
from handlers.domain.errors import AlertDeliveryError, AlertRefused

# The settings it reads (as handlers.alert_registry registers them).
SENDER_SETTING = "ALERT_EMAIL_FROM"
RECIPIENTS_SETTING = "ALERT_EMAIL_TO"
# SES takes at most 50 recipients per message.
MAX_RECIPIENTS = 50
# A connection to SES's regional endpoint is made in well under this; what is slower is an outage, to retry later.
CONNECT_TIMEOUT = 5.0

# SES error codes (v2, and v1's spelling where it differs) that no retry can change: the message, the identity or
# the account's SES set-up must be fixed first. Any other error - throttling (TooManyRequestsException,
# LimitExceededException, Throttling), a 5xx - is retried.
REFUSED_CODES = frozenset(
    {
        "MessageRejected",
        "MailFromDomainNotVerifiedException",
        "MailFromDomainNotVerified",
        "NotFoundException",
        "BadRequestException",
        "InvalidParameterValue",
        "AccountSuspendedException",
        "SendingPausedException",
        "AccountSendingPausedException",
        "ConfigurationSetDoesNotExist",
        "ConfigurationSetSendingPausedException",
        "AccessDenied",
        "AccessDeniedException",
    }
)

# Plausible, not RFC 5322: a bare address (no display name: infra scopes the SES grant on the sender's identity,
# the address and its domain, taken from this setting as written), a dotted domain.
_ADDRESS = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
    r"[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
)
# An address in SES's messages, alone or at the end of an identity's ARN (`...:identity/alerts@example.com`).
_ANY_ADDRESS = re.compile(r"[^\s@<>,;:\"'()\[\]/]+@[^\s@<>,;:\"'()\[\]/]+")


class SesClient(Protocol):
    """What the target needs of boto3's SESv2 client."""

    def send_email(self, **kwargs: Any) -> Mapping[str, Any]: ...


def is_address(value: str) -> bool:
    return len(value) <= 254 and _ADDRESS.fullmatch(value) is not None


def recipients_of(value: str | None) -> tuple[str, ...]:
    """ALERT_EMAIL_TO as addresses, in order, without blanks or repeats."""
    return tuple(dict.fromkeys(r.strip() for r in (value or "").split(",") if r.strip()))


def _masked(text: str, keep: str) -> str:
    """SES's message with addresses other than `keep` (the sender) shown as their domain only: the reason goes to
    the logs and the alert DLQ, the recipients' addresses need not."""
    return _ANY_ADDRESS.sub(lambda m: m.group(0) if m.group(0) == keep else "…@" + m.group(0).rpartition("@")[2], text)


@dataclass
class EmailTarget:
    ses: SesClient
    sender: str
    recipients: tuple[str, ...]
    link_template: str | None
    name: str = "email"

    def post(self, notification: Notification) -> None:
        self._send(notification_email(notification, self.link_template))

    def post_summary(self, notifications: list[Notification]) -> None:
        self._send(storm_email(notifications, self.link_template))

    def _send(self, message: AlertEmail) -> None:
        try:
            sent = self.ses.send_email(
                FromEmailAddress=self.sender,
                Destination={"ToAddresses": list(self.recipients)},
                Content={
                    "Simple": {
                        "Subject": {"Data": message.subject, "Charset": "UTF-8"},
                        "Body": {
                            "Text": {"Data": message.text, "Charset": "UTF-8"},
                            "Html": {"Data": message.html, "Charset": "UTF-8"},
                        },
                    }
                },
            )
        except ClientError as e:
            error = e.response.get("Error", {})
            code = str(error.get("Code") or "unknown")
            reason = f"SES answered {code}: {_masked(str(error.get('Message') or ''), self.sender)}"
            if code in REFUSED_CODES:
                raise AlertRefused(reason) from e
            raise AlertDeliveryError(reason) from e
        except ParamValidationError as e:  # the same request would be refused again: a person must look at it
            raise AlertRefused(f"the e-mail is not a valid SES request: {e}") from e
        except BotoCoreError as e:  # no connection, a timeout: SES may be fine a moment later
            raise AlertDeliveryError(f"SES could not be reached: {type(e).__name__}") from e
        observability.logger.info(
            "alert e-mailed",
            extra={"subject": message.subject, "recipients": len(self.recipients), "message_id": sent.get("MessageId")},
        )


def build(config: TargetConfig) -> EmailTarget:
    """A target on an SESv2 client in the environment's region (Lambda's AWS_REGION), whose calls are bounded by the
    delivery's limits: `max_attempts` tries (the SDK's standard retries back off on throttling and 5xx), each
    connecting within CONNECT_TIMEOUT and reading within `timeout` seconds. Targets are built for every batch; the
    client is made once per limits and region and reused, as the other functions' clients are."""
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    return EmailTarget(
        ses=_client(max(1, config.max_attempts), config.timeout, region),
        sender=str(config.settings(SENDER_SETTING) or "").strip(),
        recipients=recipients_of(config.settings(RECIPIENTS_SETTING)),
        link_template=config.link_template,
    )


@functools.lru_cache(maxsize=8)
def _client(max_attempts: int, timeout: float, region: str | None) -> Any:
    client_config = Config(
        connect_timeout=min(CONNECT_TIMEOUT, timeout),
        read_timeout=timeout,
        retries={"mode": "standard", "total_max_attempts": max_attempts},
    )
    return boto3.client("sesv2", region_name=region, config=client_config)


def problem(config: TargetConfig) -> str | None:
    """What is wrong with the sender or the recipients, or None. Recipients are named by position, not echoed: the
    answer is logged."""
    sender = str(config.settings(SENDER_SETTING) or "").strip()
    if not sender:
        return f"{SENDER_SETTING} is not set: the address alerts are sent from (an identity SES has verified)"
    if not is_address(sender):
        return (
            f"{SENDER_SETTING} is {sender!r}, not a bare e-mail address like alerts@example.com (SES must have it, "
            "or its domain, verified)"
        )
    recipients = recipients_of(config.settings(RECIPIENTS_SETTING))
    if not recipients:
        return f"{RECIPIENTS_SETTING} lists no recipient: the addresses alerts are sent to, comma-separated"
    wrong = [str(i) for i, recipient in enumerate(recipients, start=1) if not is_address(recipient)]
    if wrong:
        which = (
            f"recipient {wrong[0]} of {len(recipients)} is"
            if len(wrong) == 1
            else f"recipients {', '.join(wrong)} of {len(recipients)} are"
        )
        return f"{RECIPIENTS_SETTING}: {which} not a bare e-mail address (like oncall@example.com)"
    if len(recipients) > MAX_RECIPIENTS:
        return f"{RECIPIENTS_SETTING} lists {len(recipients)} recipients; SES takes at most {MAX_RECIPIENTS} per e-mail"
    return None
