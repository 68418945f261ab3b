"""The domain: orderflow's rules, as plain Python. Pure: no boto3, no HTTP, no clock, no environment, no I/O.

- order: the order model, its input and business rules, identifiers and Idempotency-Key rules (OrderStatus too).
- money, currencies: exact Decimal amounts with bounds, ISO 4217 minor units.
- errors: the domain errors; the workflow's Retry/Catch match their class names.
- alerts: what the alert topic carries (failed and stuck orders, resolutions, CloudWatch alarms), its severity and
  incident, and how it reads in Slack; alert_routes: which targets get which alerts (ALERT_ROUTES);
  alert_email and teams_card: how an alert reads as an e-mail and as a Teams Adaptive Card.
- json_input: the strict reader of untrusted JSON (the limits the OpenAPI document quotes).

May import: the standard library and other domain modules. Must not import: boto3/botocore, Powertools,
urllib.request, `handlers.env`, or any of handlers' services, adapters or entry points. Everything here is testable
with plain values.
"""
