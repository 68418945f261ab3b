"""The pages' bodies, from what workflow.ops reads: orders, one order, executions, alerts, DLQs, the workflow."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from workflow import graph as g
from workflow.console.detail import TERMINAL, OrderView, Visit, inline_svg
from workflow.console.orders import STATUSES, WINDOWS, Filter, Page
from workflow.console.render import Markup, badge, csrf_field, pretty, rows_html, table, when
from workflow.console.security import redact_text
from workflow.ops.alerts import LoggedAlert
from workflow.ops.dlq import DEAD_LETTER_QUEUES, Parked
from workflow.ops.executions import ExecutionSummary
from workflow.ops.trace import LEFT_OUT, Entry, Timeline
from workflow.ops.update import UpdatePlan, WorkflowStatus

Csrf = Callable[[str], str]


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
                when(row.created),
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
    summary = Markup('<p class="muted">{} of {} orders match · newest first{}</p>').format(
        result.matching, result.total, " · updates live" if wanted.after is None else ""
    )
    head = Markup("").join(
        Markup("<th>{}</th>").format(h) for h in ("Order", "Status", "Submitted", "Updated", "Total", "Failed at")
    )
    return Markup(
        '<div id="orders-live"{}>{}<table><thead><tr>{}</tr></thead><tbody id="order-rows">{}</tbody></table>'
        '<p class="pager">{}</p></div>'
    ).format(live, summary, head, order_rows(result), pager)


# One order


def _seconds(value: float | None) -> str:
    if value is None:
        return "\u2013"
    return f"{value * 1000:.0f} ms" if value < 10 else f"{value:.1f} s"


def _at(value: datetime | None) -> Markup:
    return when(value.astimezone(UTC).isoformat(timespec="milliseconds") if value else "")


def state_panels(visits: Mapping[str, list[Visit]]) -> Markup:
    panels = []
    for name, seen in visits.items():
        parts = []
        for number, visit in enumerate(seen, 1):
            errors = Markup("").join(
                Markup('<li><b class="bad-text">{}</b> {}</li>').format(error, cause) for error, cause in visit.errors
            )
            parts.append(
                Markup(
                    '<div class="visit"><h3>Visit {} of {}</h3><dl><dt>Entered</dt><dd>{}</dd><dt>Took</dt><dd>{}</dd>'
                    "<dt>Attempts</dt><dd>{} ({} retries)</dd></dl>{}<h4>Input</h4>{}<h4>Output</h4>{}</div>"
                ).format(
                    number,
                    len(seen),
                    _at(visit.entered),
                    _seconds(visit.seconds),
                    visit.attempts or 1,
                    visit.retries,
                    Markup("<h4>Errors</h4><ul>{}</ul>").format(errors) if errors else "",
                    pretty(visit.input),
                    pretty(visit.output),
                )
            )
        panels.append(
            Markup('<section class="state" data-state="{}" hidden><h2>{}</h2>{}</section>').format(
                name, name, Markup("").join(parts)
            )
        )
    return Markup("").join(panels)


def _offset(entry: Entry, trace: Timeline) -> str:
    offset = trace.offset(entry)
    return f"{offset:+.0f} s" if entry.whole_seconds else f"{offset:+.3f} s"


def _took(seconds: float | None) -> str:
    return f"{seconds:.3f} s" if seconds is not None else ""


def timeline(view: OrderView) -> Markup:
    """workflow.ops.trace's timeline (what `orderflow trace` prints): each entry's offset from the request, its
    duration, kind, step and detail (failed ones red), then the totals and the order's cost on AWS."""
    trace = view.timeline
    if trace is None:
        return Markup(
            '<section class="trace"><h2>Timeline</h2><p class="muted">The timeline could not be built: the '
            "console's log says why.</p></section>"
        )
    rows = []
    for entry in trace.entries:
        step: Markup | str = entry.step
        if entry.kind in {"state", "notify", "retry", "catch"} and entry.step in view.visits:
            step = Markup('<button type="button" class="link" data-show-state="{}">{}</button>').format(
                entry.step, entry.step
            )
        rows.append(
            Markup(
                '<tr class="{}"><td class="num" title="{}">{}</td><td class="num">{}</td><td>{}</td><td>{}</td>'
                "<td>{}</td></tr>"
            ).format(
                "failed" if not entry.ok else entry.kind,
                entry.at.astimezone(UTC).isoformat(timespec="milliseconds"),
                _offset(entry, trace),
                _took(entry.duration),
                Markup('<span class="kind">{}</span>').format(entry.kind),
                step,
                redact_text(entry.detail),
            )
        )
    body = Markup("").join(rows) or Markup('<tr class="empty"><td colspan="5">Nothing recorded yet.</td></tr>')
    start = trace.start
    intro = Markup(
        '<p class="muted">Offsets from the request{} · the alert log keeps whole seconds · red: failed · the same as '
        "<code>orderflow trace {}</code></p>"
    ).format(
        Markup(" ({})").format(when(start.astimezone(UTC).isoformat(timespec="milliseconds"), precise=True))
        if start
        else "",
        trace.order_id,
    )
    return Markup(
        '<section class="trace"><h2>Timeline</h2>{}<table class="timeline"><thead><tr><th>Offset</th><th>Took</th>'
        "<th>Kind</th><th>Step</th><th>Detail</th></tr></thead><tbody>{}</tbody></table>{}</section>"
    ).format(intro, body, totals(trace))


def totals(trace: Timeline) -> Markup:
    """The total latency, the workflow's time, the queue wait, the alert deliveries, the first failure, the cost."""
    facts: list[tuple[str, Markup | str]] = []
    ended = next((e for e in reversed(trace.entries) if e.kind in ("status", "worker") and e.step in TERMINAL), None)
    if trace.latency is not None and ended is not None:
        facts.append(("Total latency", f"{trace.latency:.3f} s (request → {ended.step})"))
    else:
        facts.append(("Total latency", f"not finished: {trace.status}"))
    runs = [e for e in trace.entries if e.kind == "execution" and e.duration is not None]
    if runs:
        facts.append(("Workflow", f"{sum(e.duration or 0.0 for e in runs):.3f} s in {len(runs)} execution(s)"))
    if trace.queue_wait is not None:
        facts.append(("Queue wait", f"{trace.queue_wait:.3f} s (QUEUED → the worker's receive)"))
    deliveries = [e for e in trace.entries if e.kind == "delivery"]
    if deliveries:
        facts.append(
            (
                "Alert deliveries",
                Markup(", ").join(
                    Markup("{} {} {}").format(e.step, badge(e.detail.split(":")[0].upper()), _offset(e, trace))
                    for e in deliveries
                ),
            )
        )
    failed = trace.failures()
    if failed:
        first = failed[0]
        facts.append(
            (
                "First failure",
                Markup('<span class="bad-text">{} at {}: {}</span>').format(
                    first.step, _offset(first, trace), redact_text(first.detail)
                ),
            )
        )
    if trace.cost is not None:
        cost = trace.cost
        services = ", ".join(f"{service} ${usd:.7f}" for service, usd in cost.by_service.items() if usd)
        facts.append(
            (
                "Cost on AWS",
                Markup(
                    '${} for this order (${} per million like it; {}) <span class="muted">{}; prices {}; '
                    "not included: {}</span>"
                ).format(
                    f"{cost.total:.7f}",
                    f"{cost.total * 1_000_000:,.2f}",
                    cost.workflow_type,
                    services,
                    cost.prices_checked,
                    LEFT_OUT,
                ),
            )
        )
    return Markup('<dl class="totals">{}</dl>').format(
        Markup("").join(Markup("<dt>{}</dt><dd>{}</dd>").format(name, value) for name, value in facts)
    )


def order_live(view: OrderView, *, csrf: Csrf, actions: bool) -> Markup:
    """The part of the order page that follows the execution (what the live updates replace)."""
    glance = Markup("")
    if view.status == "FAILED":
        form = Markup("")
        if actions and "submits a corrected order" not in view.advice:
            form = Markup(
                '<form method="post" action="/orders/{}/rerun" data-confirm="Run order {} again?">{}'
                '<button type="submit" class="danger">Rerun this order</button></form>'
            ).format(view.order_id, view.order_id, csrf_field(csrf(f"rerun:{view.order_id}")))
        glance = Markup(
            '<section class="glance bad"><h2>Failed at <button type="button" class="link" '
            'data-show-state="{}">{}</button></h2>'
            '<p><b>{}</b></p><p>{}</p><p class="advice">Next: {}</p>{}</section>'
        ).format(
            view.failure["state"],
            view.failure["state"] or "an unknown step",
            view.failure["error"] or "no error recorded",
            view.failure["cause"],
            view.advice,
            form,
        )
    else:
        glance = Markup('<section class="glance {}"><p class="advice">{}</p></section>').format(
            "ok" if view.status == "FULFILLED" else "run", view.advice
        )
    done = Markup(' data-live-done="1"') if view.terminal else ""
    states = Markup("").join(
        Markup('<button type="button" class="chip" data-show-state="{}">{}</button>').format(name, name)
        for name in view.visits
    )
    return Markup(
        '<div id="order-live" data-live-url="/orders/{}/live?fp=" data-live-fp="{}" data-live-every="1000"{}>'
        '<p class="statusline">Order {} · execution {} <span class="muted">({})</span></p>{}'
        '<div class="columns"><div class="graphbox"><p class="muted">Click a state (or a name below) for its input, '
        "output, errors, retries and timing.</p>{}"
        '<p class="chips">{}</p></div><div class="side"><div '
        'id="state-detail"><p id="state-note" class="muted">Pick a state (on the graph, below it or in the timeline): '
        "its input, output, errors, retries and timing show here.</p>{}</div></div></div>{}</div>"
    ).format(
        view.order_id,
        view.fingerprint,
        done,
        badge(view.status),
        badge(view.execution_status),
        view.events_note,
        glance,
        Markup(view.svg),
        states,
        state_panels(view.visits),
        timeline(view),
    )


def order_page(view: OrderView, *, csrf: Csrf, actions: bool, notice: str = "") -> Markup:
    shown = {k: v for k, v in view.record.items() if k != "history"}
    banner = Markup('<p class="notice">{}</p>').format(notice) if notice else ""
    return Markup(
        '<p class="crumbs"><a href="/orders">Orders</a> /</p><h1 class="mono">{}</h1>{}{}'
        "<details><summary>The order's record (personal fields redacted)</summary>{}<p class=\"muted "
        'mono">{}</p></details>'
    ).format(
        view.order_id,
        banner,
        order_live(view, csrf=csrf, actions=actions),
        pretty(shown),
        view.execution_arn,
    )


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
