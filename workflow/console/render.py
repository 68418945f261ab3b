"""HTML, server-rendered: the page frame and the pieces every page uses. Every value goes in through markupsafe's
escaping (`Markup(...).format(...)` escapes its arguments), so an order id, an error or a cause cannot become markup.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from markupsafe import Markup, escape

NAV = (
    ("/orders", "Orders"),
    ("/executions", "Executions"),
    ("/alerts", "Alerts"),
    ("/dlq", "DLQs"),
    ("/workflow", "Workflow"),
)
STATUS_TONES = {
    "FULFILLED": "ok",
    "SUCCEEDED": "ok",
    "DELIVERED": "ok",
    "FAILED": "bad",
    "TIMED_OUT": "bad",
    "ABORTED": "bad",
    "REDRIVING": "warn",
    "CLAIMED": "warn",
    "RUNNING": "run",
    "PENDING": "run",
    "CREATED": "run",
    "QUEUED": "run",
    "PROCESSING": "run",
}


def badge(status: str) -> Markup:
    tone = STATUS_TONES.get(status.upper(), "none")
    return Markup('<span class="badge {}">{}</span>').format(tone, status)


def page(title: str, body: Markup, *, where: str, active: str = "", read_only: bool = False) -> str:
    links = Markup("").join(
        Markup('<a href="{}"{}>{}</a>').format(href, Markup(' aria-current="page"') if href == active else "", text)
        for href, text in NAV
    )
    mode = Markup('<span class="mode">read-only</span>') if read_only else Markup("")
    return str(
        Markup(
            '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            "<title>{} · orderflow console</title>"
            '<link rel="stylesheet" href="/static/console.css"><script src="/static/console.js" defer></script>'
            '</head><body><header><a class="brand" href="/orders">orderflow</a><nav>{}</nav>'
            '<span class="where" title="where this console reads from">{} {}</span></header>'
            "<main>{}</main></body></html>\n"
        ).format(title, links, where, mode, body)
    )


def problem(status: int, title: str, detail: str) -> Markup:
    return Markup(
        '<section class="problem"><h1>{} · {}</h1><p>{}</p><p><a href="/orders">Back to the orders</a></p></section>'
    ).format(status, title, detail)


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]], *, empty: str, body_id: str = "") -> Markup:
    head = Markup("").join(Markup("<th>{}</th>").format(h) for h in headers)
    body = rows_html(rows)
    if not body:
        body = Markup('<tr class="empty"><td colspan="{}">{}</td></tr>').format(len(headers), empty)
    tbody_id = Markup(' id="{}"').format(body_id) if body_id else Markup("")
    return Markup("<table><thead><tr>{}</tr></thead><tbody{}>{}</tbody></table>").format(head, tbody_id, body)


def rows_html(rows: Iterable[Sequence[Any]]) -> Markup:
    return Markup("").join(
        Markup("<tr>{}</tr>").format(Markup("").join(Markup("<td>{}</td>").format(cell) for cell in row))
        for row in rows
    )


def pretty(value: Any) -> Markup:
    """A JSON value (already redacted), indented, escaped."""
    if value is None:
        return Markup('<span class="muted">none</span>')
    text = value if isinstance(value, str) else json.dumps(value, indent=2, sort_keys=True, default=str)
    return Markup('<pre class="json">{}</pre>').format(text)


def csrf_field(token: str) -> Markup:
    return Markup('<input type="hidden" name="csrf" value="{}">').format(token)


def when(text: str, precise: bool = False) -> Markup:
    """An ISO time, shown to the second (to the millisecond when `precise`), with the full value on hover."""
    if not text:
        return Markup('<span class="muted">\u2013</span>')
    short = text.replace("T", " ")[: 23 if precise else 19]
    return Markup('<time datetime="{}" title="{}">{}</time>').format(text, text, short)


__all__ = ["Markup", "badge", "csrf_field", "escape", "page", "pretty", "problem", "rows_html", "table", "when"]
