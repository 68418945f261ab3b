"""The order page's body (workflow.console.views): one order's glance, its execution on the graph, each state's
visits, and workflow.ops.trace's timeline with its totals."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from workflow.console.detail import TERMINAL, OrderView, Visit
from workflow.console.render import Markup, badge, csrf_field, pretty, when
from workflow.console.security import redact_text
from workflow.ops.trace import LEFT_OUT, Entry, Timeline

Csrf = Callable[[str], str]


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
