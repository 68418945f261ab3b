"""The console's HTTP side: routes, the loopback guard, CSRF and same-origin checks on POSTs, the security headers,
plain problem pages for every error, and `Console`, which serves it all on loopback with werkzeug's make_server."""

from __future__ import annotations

import errno
import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from importlib import resources
from typing import Any
from urllib.parse import urlencode

from botocore.exceptions import BotoCoreError, ClientError
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from handlers.domain.identifiers import is_order_id
from workflow.console import views
from workflow.console.detail import NoSuchOrder, OrderReader
from workflow.console.order_list import OrderList
from workflow.console.orders import BadFilter, Filter
from workflow.console.render import Markup, page, problem
from workflow.console.security import SECURITY_HEADERS, CsrfTokens, same_origin

# The one rule every local server applies to Host and Origin: guard.py is standard library only and workflow.local's
# __init__ imports nothing, so this brings in none of the local system (the package docstring's one exception).
from workflow.local.guard import refusal
from workflow.ops import alerts, dlq, executions, rerun, update
from workflow.ops.targets import Target, TargetError

_log = logging.getLogger(__name__)

STATIC = {"console.css": "text/css; charset=utf-8", "console.js": "text/javascript; charset=utf-8"}
ROUTES = Map(
    [
        Rule("/", endpoint="home", methods=["GET"]),
        Rule("/orders", endpoint="orders", methods=["GET"]),
        Rule("/orders/rows", endpoint="order_rows", methods=["GET"]),
        Rule("/orders/<order_id>", endpoint="order", methods=["GET"]),
        Rule("/orders/<order_id>/live", endpoint="order_live", methods=["GET"]),
        Rule("/orders/<order_id>/rerun", endpoint="rerun", methods=["POST"]),
        Rule("/executions", endpoint="executions", methods=["GET"]),
        Rule("/alerts", endpoint="alerts", methods=["GET"]),
        Rule("/dlq", endpoint="dlq", methods=["GET"]),
        Rule("/dlq/<queue>/redrive", endpoint="redrive", methods=["POST"]),
        Rule("/workflow", endpoint="workflow", methods=["GET"]),
        Rule("/static/<name>", endpoint="static", methods=["GET"]),
    ],
    strict_slashes=False,
)
EXECUTION_STATUSES = ("RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")


class Problem(Exception):
    def __init__(self, status: int, title: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail = status, title, detail


class ConsoleApp:
    """The WSGI application. `own_origin` is set once the server knows its port."""

    def __init__(self, target: Target, *, actions: bool | None = None, list_max_age: float | None = None) -> None:
        self.target = target
        self.actions = target.name == "local" if actions is None else actions
        self.own_origin = ""
        self.tokens = CsrfTokens()
        self.orders = OrderList(
            target, max_age=list_max_age if list_max_age is not None else (1.0 if target.name == "local" else 5.0)
        )
        self.reader = OrderReader(target)

    # WSGI

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        started = time.perf_counter()
        request = Request(environ)
        response = self.respond(request)
        response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
        return response(environ, start_response)

    def respond(self, request: Request) -> Response:
        reason = refusal(request.headers.get("Host"), request.headers.get("Origin"))
        if reason is not None:
            return self._problem(Problem(403, "Forbidden", reason))
        try:
            endpoint, arguments = ROUTES.bind_to_environ(request.environ).match()
            if request.method == "POST":
                self._check_post(request, endpoint, arguments)
            handler: Callable[..., Response] = getattr(self, f"on_{endpoint}")
            return handler(request, **arguments)
        except Problem as p:
            return self._problem(p)
        except NotFound:
            return self._problem(Problem(404, "Not Found", "There is no such page in the console."))
        except MethodNotAllowed:
            return self._problem(Problem(405, "Method Not Allowed", "This page does not take that method."))
        except HTTPException as e:
            return self._problem(Problem(e.code or 400, e.name, "The request could not be read."))
        except (TargetError, BotoCoreError) as e:
            return self._problem(Problem(503, "Service Unavailable", f"{self.target.where} could not be read: {e}"))
        except ClientError as e:
            message = e.response.get("Error", {}).get("Message", "")
            return self._problem(Problem(502, "Bad Gateway", f"AWS refused {e.operation_name}: {message}"))
        except Exception:
            _log.exception("console: %s %s failed", request.method, request.path[:200])
            return self._problem(
                Problem(500, "Internal Server Error", "The console failed on this page; its log says why.")
            )

    def _check_post(self, request: Request, endpoint: str, arguments: Mapping[str, Any]) -> None:
        if not self.actions:
            raise Problem(403, "Forbidden", f"This console is read-only against {self.target.where}.")
        if not same_origin(request.headers.get("Origin"), request.headers.get("Referer"), self.own_origin):
            raise Problem(403, "Forbidden", "A change must come from a page of this console (Origin or Referer).")
        purpose = f"rerun:{arguments.get('order_id')}" if endpoint == "rerun" else f"redrive:{arguments.get('queue')}"
        if not self.tokens.valid(request.form.get("csrf"), purpose):
            raise Problem(
                403, "Forbidden", "The form's token is missing or not this console's: reload the page and try again."
            )

    def _html(self, title: str, body: Markup, active: str = "", status: int = 200) -> Response:
        html = page(title, body, where=self.target.where, active=active, read_only=not self.actions)
        return self._secure(Response(html, status=status, content_type="text/html; charset=utf-8"))

    @staticmethod
    def _secure(response: Response) -> Response:
        for name, value in SECURITY_HEADERS:
            response.headers[name] = value
        return response

    def _problem(self, p: Problem) -> Response:
        return self._html(p.title, problem(p.status, p.title, p.detail), status=p.status)

    def _fragment(self, body: Markup | str) -> Response:
        return self._secure(Response(str(body), content_type="text/html; charset=utf-8"))

    # Pages

    def on_home(self, request: Request) -> Response:
        return self._secure(Response(status=303, headers={"Location": "/orders"}))

    def _filter(self, request: Request) -> Filter:
        try:
            return Filter.parse(request.args.get("status"), request.args.get("window"), request.args.get("page"))
        except BadFilter as e:
            raise Problem(400, "Bad Request", str(e)) from None

    def on_orders(self, request: Request) -> Response:
        wanted = self._filter(request)
        return self._html("Orders", views.orders_page(self.orders.page(wanted), wanted), "/orders")

    def on_order_rows(self, request: Request) -> Response:
        wanted = self._filter(request)
        return self._fragment(views.orders_list(self.orders.page(wanted), wanted))

    def _view(self, order_id: str) -> Any:
        try:
            return self.reader.read(order_id)
        except NoSuchOrder:
            raise Problem(404, "Not Found", f"No order {order_id} in {self.target.where}.") from None

    def on_order(self, request: Request, order_id: str) -> Response:
        view = self._view(order_id)
        notice = {"started": "A rerun was started: this page follows it."}.get(request.args.get("rerun", ""), "")
        body = views.order_page(view, csrf=self.tokens.issue, actions=self.actions, notice=notice)
        return self._html(f"Order {order_id}", body, "/orders")

    def on_order_live(self, request: Request, order_id: str) -> Response:
        shown = request.args.get("fp")
        if shown:  # what the page shows: a cheap marker tells whether anything changed, before the whole read
            try:
                if self.reader.marker(order_id) == shown:
                    return self._secure(Response(status=204))
            except NoSuchOrder:
                raise Problem(404, "Not Found", f"No order {order_id} in {self.target.where}.") from None
        view = self._view(order_id)
        if shown == view.fingerprint:
            return self._secure(Response(status=204))
        return self._fragment(views.order_live(view, csrf=self.tokens.issue, actions=self.actions))

    def on_rerun(self, request: Request, order_id: str) -> Response:
        if not is_order_id(order_id):
            raise Problem(404, "Not Found", f"No order {order_id} in {self.target.where}.")
        try:
            rerun.rerun_order(self.target, order_id)
        except rerun.RerunRefused as e:
            raise Problem(409, "Conflict", str(e)) from None
        return self._secure(Response(status=303, headers={"Location": f"/orders/{order_id}?rerun=started"}))

    def on_executions(self, request: Request) -> Response:
        status = (request.args.get("status") or "").upper() or None
        if status is not None and status not in EXECUTION_STATUSES:
            raise Problem(400, "Bad Request", f"unknown execution status: use one of {', '.join(EXECUTION_STATUSES)}")
        listed = executions.executions(self.target, status=status, limit=25)
        return self._html("Executions", views.executions_page(listed, status), "/executions")

    def on_alerts(self, request: Request) -> Response:
        return self._html("Alerts", views.alerts_page(alerts.recent_alerts(self.target, limit=50)), "/alerts")

    def on_dlq(self, request: Request) -> Response:
        parked = {queue: dlq.peek(self.target, queue, limit=100) for queue in dlq.DEAD_LETTER_QUEUES}
        notice = ""
        if request.args.get("redriven") in dlq.DEAD_LETTER_QUEUES:
            moved = request.args.get("moved", "")
            notice = (
                f"{moved if moved.isdigit() else 'The'} message(s) moved back to the {request.args['redriven']} queue."
            )
        body = views.dlq_page(parked, csrf=self.tokens.issue, actions=self.actions, notice=notice)
        return self._html("DLQs", body, "/dlq")

    def on_redrive(self, request: Request, queue: str) -> Response:
        if queue not in dlq.DEAD_LETTER_QUEUES:
            raise Problem(404, "Not Found", "There is no such dead-letter queue.")
        result = dlq.redrive_messages(self.target, queue)
        query = urlencode({"redriven": queue, "moved": str(len(result.moved))})
        return self._secure(Response(status=303, headers={"Location": f"/dlq?{query}"}))

    def on_workflow(self, request: Request) -> Response:
        plan = update.plan_update(self.target)
        try:
            status: update.WorkflowStatus | None = update.workflow_status(self.target)
        except (TargetError, ClientError):
            status = None
        return self._html("Workflow", views.workflow_page(plan, status, views.workflow_svg(plan)), "/workflow")

    def on_static(self, request: Request, name: str) -> Response:
        if name not in STATIC:
            raise Problem(404, "Not Found", "There is no such file.")
        data = resources.files("workflow.console").joinpath("static", name).read_bytes()
        response = self._secure(Response(data, content_type=STATIC[name]))
        response.headers["Cache-Control"] = "no-cache"
        return response


class _QuietHandler(WSGIRequestHandler):
    timeout = 30  # a client that opens a connection and sends nothing does not hold a thread for good

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        _log.debug("console: %s %s", self.requestline[:200], code)


class Console:
    """The console served on loopback: `Console(target).start()`; `.url`; `.stop()`. Port 0 picks a free one."""

    def __init__(
        self, target: Target, host: str = "127.0.0.1", port: int = 8900, *, actions: bool | None = None
    ) -> None:
        if host not in {"127.0.0.1", "localhost", "::1"}:
            raise ValueError(f"the console serves loopback only, not {host!r}")
        self.app = ConsoleApp(target, actions=actions)
        self.host, self.port = host, port
        self._server: BaseWSGIServer | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the console is not started")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self._server.server_port}"

    def start(self) -> Console:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        try:
            server = make_server(self.host, self.port, self.app, threaded=True, request_handler=_QuietHandler)
        except SystemExit:  # werkzeug reports a port in use on stderr and exits
            raise OSError(errno.EADDRINUSE, f"port {self.port} is in use") from None
        self._server = server
        self.app.own_origin = self.url
        threading.Thread(target=server.serve_forever, name="console", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Console:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
