"""The local console: a read-mostly web page for on-call engineers, served on loopback (`orderflow console`,
`orderflow up --console-port`). It shows the orders (newest first, filtered, paged, updated live), one order's
timeline and its execution on the state graph (a click on a state shows its input, output, errors, retries and
timing), the executions that failed and why, each alert's deliveries, the dead-letter queues, and what the `live`
alias runs against the compiled workflow. Its only changes are a DLQ redrive and the rerun of a FAILED order, each a
POST with a CSRF token from this process and the console's own Origin.

    console = Console(connect("local"), port=8900).start()   # or connect("aws"): read-only unless actions=True
    console.url; console.stop()

Everything is read through a workflow.ops.targets Target (its boto3 clients), so the same views serve the local
system and a deployed stack with the operator's credentials.

    app          ConsoleApp (routes, the loopback guard, POST checks, problem pages, headers) and Console (make_server)
    views        each page's body from what workflow.ops reads (the order page's imported from views_order)
    views_order  one order's page: its glance, the coloured graph, each state's visits, the timeline and totals
    orders       the orders list's pieces: filters, page tokens, rows, a shard's Query, merging shards into a page
    order_list   the orders list read: a Query per shard of the orders-by-time index a page, pages kept and refreshed
    detail       one order: its record redacted, its execution's events, each state's visits, the coloured graph
    render       the page frame and HTML pieces; every value escaped (markupsafe)
    security     CSRF tokens, the same-origin check, security headers, redaction of personal data and secrets
    bench        measure(): the server time of the orders list and of an order's page
    static/      console.css and console.js, served by the console itself (no CDN, no build, works offline)

May import: workflow.ops, workflow.graph, workflow.manifest and workflow.asl, handlers' domain and adapters (records
are read as the handlers store them), werkzeug and markupsafe. Must not import workflow.emulator, workflow.harness,
the CLI, or workflow.local, with one exception: workflow.local.guard's `refusal`, the loopback Host/Origin rule every
local server applies (standard library only; workflow.local's __init__ imports nothing). A local system is reached
only through its AWS endpoint.
"""

from workflow.console.app import Console, ConsoleApp

__all__ = ["Console", "ConsoleApp"]
