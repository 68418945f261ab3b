"""The pages' bodies, from what workflow.ops reads: orders, one order, executions, alerts, DLQs, the workflow.
The order page is views_order's, imported from here."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from workflow import graph as g
from workflow.console.detail import inline_svg
from workflow.console.orders import PAGE_SIZE, STATUSES, WINDOWS, Filter, Page
from workflow.console.render import Markup, badge, csrf_field, pretty, rows_html, table, when
from workflow.console.security import redact_text
from workflow.console.views_order import Csrf, order_live, order_page, state_panels, timeline, totals
from workflow.ops.alerts import LoggedAlert
from workflow.ops.dlq import DEAD_LETTER_QUEUES, Parked
from workflow.ops.executions import ExecutionSummary
from workflow.ops.update import UpdatePlan, WorkflowStatus

__all__ = [
    "Csrf",
    "alerts_page",
    "dlq_page",
    "executions_page",
    "order_live",
    "order_page",
    "order_rows",
    "orders_list",
    "orders_page",
    "state_panels",
    "timeline",
    "totals",
    "workflow_page",
    "workflow_svg",
]


def _order_link(order_id: str) -> Markup:
    return Markup('<a class="mono" href="/orders/{}">{}</a>').format(order_id, order_id)


def _query(wanted: Filter, **extra: str) -> str:
    params = {k: v for k, v in {"status": wanted.status or "", "window": wanted.window or "", **extra}.items() if v}
    return urlencode(params)


# Orders


def order_rows(result: Page) -> Markup:
    rows = []
    for row in result.rows:
        failed = (
            Markup('<span class="bad-text">{}: {}</span>').format(row.failed_state, row.failed_error)
            if row.failed_error
            else ""
        )
        rows.append(
            (
                _order_link(row.order_id),
                badge(row.status),
                when(row.submitted),
                when(row.updated),
                f"{row.total} {row.currency}".strip(),
                failed,
            )
        )
    if not rows:
        return Markup('<tr class="empty"><td colspan="6">No orders match.</td></tr>')
    return rows_html(rows)


def orders_page(result: Page, wanted: Filter) -> Markup:
    status_options = Markup("").join(
        Markup('<option value="{}"{}>{}</option>').format(
            s, Markup(" selected") if s == wanted.status else "", s or "any status"
        )
        for s in ("", *STATUSES)
    )
    window_options = Markup("").join(
        Markup('<option value="{}"{}>{}</option>').format(
            w, Markup(" selected") if w == wanted.window else "", f"last {w}" if w else "any time"
        )
        for w in ("", *WINDOWS)
    )
    form = Markup(
        '<form class="filters" method="get" action="/orders"><label>Status <select name="status">{}</select></label>'
        '<label>Submitted <select name="window">{}</select></label><button type="submit">Filter</button>'
        '<a href="/orders">Clear</a></form>'
    ).format(status_options, window_options)
    return Markup("<h1>Orders</h1>{}{}").format(form, orders_list(result, wanted))


def orders_list(result: Page, wanted: Filter) -> Markup:
    """The count, the rows and the pager: what the first page's live updates replace."""
    live = Markup("")
    if wanted.after is None:
        live = Markup(' data-live-url="/orders/rows?{}" data-live-every="2000"').format(_query(wanted))
    pager = Markup("")
    if result.next_token:
        pager = Markup('<a class="next" href="/orders?{}">Older orders →</a>').format(
            _query(wanted, page=result.next_token)
        )
    if wanted.after is not None:
        pager = Markup('<a href="/orders?{}">← Newest</a> {}').format(_query(wanted), pager)
    searched = Markup("")
    if result.searched_to:
        searched = Markup(" · no more found back to {}: older ones are on the next page").format(
            when(result.searched_to)
        )
    summary = Markup('<p class="muted">Newest first, {} a page{}{}</p>').format(
        PAGE_SIZE, " · updates live" if wanted.after is None else "", searched
    )
    head = Markup("").join(
        Markup("<th>{}</th>").format(h) for h in ("Order", "Status", "Submitted", "Updated", "Total", "Failed at")
    )
    return Markup(
        '<div id="orders-live"{}>{}<table><thead><tr>{}</tr></thead><tbody id="order-rows">{}</tbody></table>'
        '<p class="pager">{}</p></div>'
    ).format(live, summary, head, order_rows(result), pager)


# Executions, alerts, DLQs, the workflow


def executions_page(listed: list[ExecutionSummary], status: str | None) -> Markup:
    options = Markup(" ").join(
        Markup('<a href="/executions{}"{}>{}</a>').format(
            f"?status={s}" if s else "", Markup(' aria-current="page"') if (s or None) == status else "", s or "all"
        )
        for s in ("", "RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")
    )
    rows = [
        (
            _order_link(e.order_id.split("-redrive-")[0]) if e.order_id.startswith("ord_") else e.order_id,
            badge(e.status),
            when(e.started),
            when(e.stopped),
            Markup('<b class="bad-text">{}</b>').format(e.error) if e.error else "",
            redact_text(e.cause),
        )
        for e in listed
    ]
    return Markup('<h1>Executions</h1><p class="filters">{}</p>{}').format(
        options,
        table(
            ("Execution", "Status", "Started", "Stopped", "Failed step: error", "Cause"), rows, empty="No executions."
        ),
    )


def alerts_page(alerts: list[LoggedAlert]) -> Markup:
    rows = []
    for alert in alerts:
        subject = _order_link(alert.subject) if alert.subject.startswith("ord_") else alert.subject
        deliveries = Markup(" ").join(
            Markup("{} {}").format(name, badge(status)) for name, status in alert.deliveries.items()
        )
        rows.append((when(alert.when), alert.kind, subject, redact_text(alert.what), deliveries))
    return Markup(
        '<h1>Alerts</h1><p class="muted">Each alert and what each target did with it (the alert log; the log target '
        "gets every alert).</p>{}"
    ).format(
        table(("Latest delivery", "Kind", "Subject", "What", "Targets"), rows, empty="No alerts in the alert log.")
    )


def dlq_page(parked: Mapping[str, list[Parked]], *, csrf: Csrf, actions: bool, notice: str = "") -> Markup:
    sections = []
    for queue, messages in parked.items():
        rows = [
            (
                Markup('<span class="mono">{}</span>').format(p.message_id),
                when(p.sent_at),
                p.receive_count,
                _order_link(p.order_id) if p.order_id and p.order_id.startswith("ord_") else (p.order_id or "\u2013"),
                p.reason,
            )
            for p in messages
        ]
        form = Markup("")
        if messages and actions:
            form = Markup(
                '<form method="post" action="/dlq/{}/redrive" data-confirm="Move every message in the {} DLQ back to '
                'its queue?">{}'
                '<button type="submit">Redrive all {} to the {} queue</button> <span class="muted">Fix the cause '
                "first: a message that fails again comes back here.</span></form>"
            ).format(queue, queue, csrf_field(csrf(f"redrive:{queue}")), len(messages), queue)
        sections.append(
            Markup(
                '<section class="queue"><h2>{} DLQ <span class="count">{}</span></h2><p '
                'class="muted">{}</p>{}{}</section>'
            ).format(
                queue,
                len(messages),
                DEAD_LETTER_QUEUES[queue].parked_reason,
                table(("Message", "Sent", "Receives", "About", "Why parked"), rows, empty="Empty."),
                form,
            )
        )
    banner = Markup('<p class="notice">{}</p>').format(notice) if notice else ""
    return Markup(
        '<h1>Dead-letter queues</h1>{}<p class="muted">Reading a DLQ counts as a receive (as on AWS); messages stay '
        "in place.</p>{}"
    ).format(banner, Markup("").join(sections))


def workflow_page(plan: UpdatePlan, status: WorkflowStatus | None, svg: str) -> Markup:
    same = plan.current == plan.proposed
    facts = Markup(
        '<dl><dt>Alias</dt><dd>{}</dd><dt>Runs</dt><dd class="mono">{}</dd><dt>Type</dt><dd>{}</dd>'
        "<dt>Against the compiled definition</dt><dd>{}</dd>{}</dl>"
    ).format(
        plan.alias_name,
        plan.live_version_arn or "no version",
        plan.workflow_type,
        badge("SAME")
        if same
        else Markup('{} <span class="muted">publish it with <code>orderflow workflow update</code></span>').format(
            badge("DIFFERS")
        ),
        Markup("<dt>Template version</dt><dd>{}</dd>").format(
            "live runs a scripted update a deploy would revert"
            if status.scripted
            else "live runs the template's version"
        )
        if status is not None and status.template_version_arn
        else "",
    )
    diff = plan.diff()
    return Markup(
        '<h1>The workflow</h1>{}<h2>What live runs → the compiled definition</h2><div class="graphbox">{}</div>'
        "<details{}><summary>ASL diff</summary>{}</details>"
    ).format(facts, Markup(svg), Markup(" open") if diff else "", pretty(diff or "no differences"))


def workflow_svg(plan: UpdatePlan) -> str:
    old, new = json.loads(plan.current), json.loads(plan.proposed)
    graph: Any = g.diff(old, new, title="live → compiled") if old != new else g.state_graph(new)
    return inline_svg(g.to_svg(graph))
