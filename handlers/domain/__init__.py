"""The domain: orderflow's rules, as plain Python. Pure: no boto3, no HTTP, no clock, no environment, no I/O.

- order: the order model (OrderStatus, Order, OrderItem, Address), its wire form and the business rules beyond its
  shape; order_input: untrusted JSON (a request, a task's input, a stored record) read into it, every problem with
  its field path; identifiers: order ids, Idempotency-Keys (form, per-caller scope, request fingerprint) and
  correlation ids; listing: an order's keys in the orders-by-time index (its shard, its acceptance time and id).
- contract: the API's contract as data: its routes, statuses, and every field's limits and patterns (the manifest,
  the OpenAPI document and infra read them here).
- money, currencies: exact Decimal amounts with bounds, ISO 4217 minor units.
- errors: the domain errors (the workflow's Retry/Catch match their class names; adapters raise them for botocore's).
- json_input: the strict reader of untrusted JSON (the limits the OpenAPI document quotes).
- alerts: what the alert topic carries (failed and stuck orders, resolutions, CloudWatch alarms), its severity,
  incident and fingerprint; alert_routes: which targets get which alerts (ALERT_ROUTES). How an alert reads:
  slack_message (Block Kit), teams_card (an Adaptive Card), alert_email (an e-mail), pagerduty_event (an Events API
  v2 event).

May import: the standard library, other domain modules, and handlers.arns (Step Functions' ARN grammar, pure string
functions: an alert's identity and link). Must not import: boto3/botocore, Powertools, urllib.request,
`handlers.env`, or any of handlers' services, adapters or entry points. Everything here is testable with plain
values.
"""
