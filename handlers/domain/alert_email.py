"""Alerts as e-mail: the subject, a plain-text body and an HTML body of each notification (a failed or stuck order,
its resolution, a CloudWatch alarm) and of a storm's summary. The e-mail target (handlers.adapters.alert_targets.
email) sends them through SES.

- The subject is one line (a mail header: no line breaks, no control characters) of at most MAX_SUBJECT characters;
  the reason is what gets cut.
- The text and HTML bodies say the same, built from one list of blocks. In HTML every value is escaped
  (html.escape), and a link is only ever an http(s) URL, so no value can add markup, a script or a `javascript:` link.
- They show what the alert carries and nothing else: the order's id, step, error, cause and correlation id, never
  the customer's e-mail or shipping address (the alert carries none; keep it so).
- What to do next: a system failure is rerun once its cause is fixed (`orderflow rerun <order> --target aws`); a
  business failure (OrderValidationError, ...) is not, as its input or state is the cause: a corrected order is
  submitted instead. A stuck order has not failed, so it cannot be rerun yet.
"""

from __future__ import annotations

import html
import shlex
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from handlers.domain.alerts import (
    ORDER_STUCK,
    AlarmNotice,
    Alert,
    Notification,
    Resolution,
    execution_link,
)
from handlers.domain.errors import BUSINESS

MAX_SUBJECT = 200
# A Step Functions cause can be 32 KB of stack trace: the e-mail shows its start, the execution shows the rest.
MAX_CAUSE = 4000
# A storm lists this many orders of each group by id; the rest are counted.
MAX_LISTED = 20


@dataclass(frozen=True)
class AlertEmail:
    subject: str
    text: str
    html: str


def rerun_command(order_id: str) -> str:
    """The command that runs a FAILED order again on the deployed stack. The id is shell-quoted: it comes from the
    alert topic, and a command copied from an e-mail must not run anything but the rerun."""
    return f"orderflow rerun {shlex.quote(order_id)} --target aws"


def one_line(text: str, limit: int) -> str:
    """`text` on one line (control characters and line breaks as spaces, runs of spaces as one), cut to `limit`."""
    # Line and paragraph separators (U+2028, U+2029) need no rule of their own: str.split() splits on them.
    spaced = "".join(" " if unicodedata.category(c) == "Cc" else c for c in text)
    shown = " ".join(spaced.split())
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def _capped(text: str, limit: int = MAX_CAUSE) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


# The blocks a body is made of; rendered as text and as HTML by the same two functions.


@dataclass(frozen=True)
class Fields:
    rows: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Para:
    text: str


@dataclass(frozen=True)
class Command:
    text: str


@dataclass(frozen=True)
class Items:
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Link:
    url: str
    label: str


Block = Fields | Para | Command | Items | Link


def _safe_url(url: str) -> str:
    """An http(s) URL, or "" (a template that makes anything else - `javascript:`, `data:` - is not linked)."""
    return url if url.lower().startswith(("https://", "http://")) else ""


def render_text(heading: str, blocks: Sequence[Block]) -> str:
    parts = [f"{heading}\n{'=' * min(len(heading), 72)}"]
    for block in blocks:
        match block:
            case Fields(rows):
                width = max((len(label) for label, value in rows if value), default=0) + 1
                # A value's further lines (a stack trace's) are indented under its first.
                parts.append(
                    "\n".join(
                        f"{label + ':':<{width}} {value}".replace("\n", "\n" + " " * (width + 1))
                        for label, value in rows
                        if value
                    )
                )
            case Para(text):
                parts.append(text)
            case Command(text):
                parts.append(f"    {text}")
            case Items(lines):
                parts.append("\n".join(f"- {line}" for line in lines))
            case Link(url, label):
                if safe := _safe_url(url):
                    parts.append(f"{label}: {safe}")
    return "\n\n".join(parts) + "\n"


def render_html(heading: str, blocks: Sequence[Block]) -> str:
    esc = html.escape  # quote=True: values are safe in attributes too
    parts = [f"<h2>{esc(heading)}</h2>"]
    for block in blocks:
        match block:
            case Fields(rows):
                cells = "".join(
                    f'<tr><th align="left" valign="top" style="padding:2px 12px 2px 0">{esc(label)}</th>'
                    f'<td style="padding:2px 0;white-space:pre-wrap"><code>{esc(value)}</code></td></tr>'
                    for label, value in rows
                    if value
                )
                parts.append(f'<table cellspacing="0" cellpadding="0">{cells}</table>')
            case Para(text):
                parts.append(f"<p>{esc(text)}</p>")
            case Command(text):
                parts.append(f"<pre><code>{esc(text)}</code></pre>")
            case Items(lines):
                parts.append("<ul>" + "".join(f"<li>{esc(line)}</li>" for line in lines) + "</ul>")
            case Link(url, label):
                if safe := _safe_url(url):
                    parts.append(f'<p><a href="{esc(safe)}">{esc(label)}</a></p>')
    body = "\n".join(parts)
    return f'<!DOCTYPE html>\n<html><body style="font-family:sans-serif">\n{body}\n</body></html>\n'


def _email(subject: str, heading: str, blocks: Sequence[Block]) -> AlertEmail:
    heading = one_line(heading, MAX_SUBJECT)
    return AlertEmail(one_line(subject, MAX_SUBJECT), render_text(heading, blocks), render_html(heading, blocks))


def _next_step(alert: Alert) -> list[Block]:
    if alert.kind == ORDER_STUCK:
        return [
            Para(
                f"The order has not failed: nothing moved it on from {alert.failed_state}. Open its execution to see "
                "where it waits; once it has FAILED it can be run again with `orderflow rerun`."
            )
        ]
    if alert.failure == BUSINESS:
        return [
            Para(
                f"{alert.error} is a business failure: the order's input or state is the cause, so running it again "
                "cannot help. Submit a corrected order (with a new Idempotency-Key)."
            )
        ]
    return [Para("Once the cause is fixed, run the order again:"), Command(rerun_command(alert.order_id))]


def alert_email(alert: Alert, link: str) -> AlertEmail:
    """A failed or stuck order. `link` is its execution's page (execution_link), or ""."""
    # Its first line: a stack trace's message, without the frames the body shows.
    reason = one_line(next((line for line in alert.cause.splitlines() if line.strip()), ""), MAX_SUBJECT) or alert.error
    if alert.kind == ORDER_STUCK:
        subject = f"Order {alert.order_id} stuck in {alert.failed_state}"
    else:
        subject = f"Order {alert.order_id} failed at {alert.failed_state}: {reason}"
    rows = (
        ("Order", alert.order_id),
        ("Status" if alert.kind == ORDER_STUCK else "Step", alert.failed_state),
        ("Error", alert.error),
        ("Reason", _capped(alert.cause)),
        ("Correlation id", alert.correlation_id),
        ("When", alert.at),
        ("Total", f"{alert.total} {alert.currency}".strip() if alert.total else ""),
        ("Severity", alert.severity),
    )
    blocks: list[Block] = [Fields(rows), *_next_step(alert)]
    if link:
        blocks.append(Link(link, "Open the execution"))
    return _email(subject, f"Order {alert.order_id} {alert.verb} {alert.failed_state}", blocks)


def alarm_email(notice: AlarmNotice) -> AlertEmail:
    rows = (
        ("Alarm", notice.name),
        ("State", f"{notice.state} (was {notice.previous_state})"),
        ("Description", notice.description),
        ("Reason", _capped(notice.reason)),
        ("When", notice.at),
        ("Region", notice.region),
    )
    return _email(f"{notice.state}: {notice.name}", f"{notice.state}: {notice.name}", [Fields(rows)])


def resolution_email(resolved: Resolution) -> AlertEmail:
    rows = (
        ("Order", resolved.order_id),
        ("Status", resolved.status),
        ("Reason", resolved.reason),
        ("Correlation id", resolved.correlation_id),
        ("When", resolved.at),
    )
    subject = f"Resolved: order {resolved.order_id} is {resolved.status}"
    return _email(subject, subject, [Fields(rows), Para("Its incident is over: nothing to do.")])


def notification_email(notification: Notification, link_template: str | None) -> AlertEmail:
    """One notification's e-mail; `link_template` makes execution links (None: the AWS console's)."""
    match notification:
        case Alert():
            return alert_email(notification, execution_link(notification.execution_arn, link_template))
        case AlarmNotice():
            return alarm_email(notification)
        case Resolution():
            return resolution_email(notification)


def _listed(order_ids: Sequence[str]) -> str:
    shown = ", ".join(order_ids[:MAX_LISTED])
    return shown + (f" and {len(order_ids) - MAX_LISTED} more" if len(order_ids) > MAX_LISTED else "")


def storm_email(notifications: Sequence[Notification], link_template: str | None) -> AlertEmail:
    """Many alerts at once: one e-mail, grouped by where and why orders failed (largest group first), each group
    with its orders and what to do about them."""
    orders = [n for n in notifications if isinstance(n, Alert)]
    alarms = [n for n in notifications if isinstance(n, AlarmNotice)]
    resolved = [n for n in notifications if isinstance(n, Resolution)]
    groups: dict[tuple[str, str, str], list[Alert]] = {}
    for alert in orders:
        groups.setdefault((alert.verb, alert.failed_state, alert.error), []).append(alert)
    title = f"Alert storm: {len(orders)} orders failed" + (f", {len(alarms)} alarms" if alarms else "")
    blocks: list[Block] = []
    for (verb, state, error), group in sorted(groups.items(), key=lambda item: -len(item[1])):
        ids = [a.order_id for a in group]
        blocks.append(Para(f"{len(group)} {verb} {state} ({error}): {_listed(ids)}"))
        example = group[0]
        if example.kind == ORDER_STUCK:
            blocks.append(Para("Not failed: open their executions to see where they wait."))
        elif example.failure == BUSINESS:
            blocks.append(Para("A business failure: running them again cannot help; submit corrected orders."))
        else:
            blocks.append(Para("Once the cause is fixed, run each again, e.g.:"))
            blocks.append(Command(rerun_command(example.order_id)))
    if alarms:
        blocks.append(Items(tuple(f"alarm {a.name} is {a.state}" for a in alarms)))
    if resolved:
        blocks.append(Para(f"{len(resolved)} resolved: {_listed([r.order_id for r in resolved])}"))
    example_run = next((a for a in orders if a.execution_arn), None)
    if example_run is not None:
        link = execution_link(example_run.execution_arn, link_template)
        blocks.append(Link(link, f"One of them: order {example_run.order_id}'s execution"))
    return _email(title, title, blocks)
