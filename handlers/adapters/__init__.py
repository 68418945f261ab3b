"""Adapters: where handlers meet AWS and HTTP. Each turns a boto3/urllib/API Gateway shape into domain values and
domain errors (a botocore ClientError becomes e.g. OrderStoreUnavailable by its error code, never by its message),
so the workflow's Retry/Catch and the services see only domain class names.

- orders_store: orders and Idempotency-Key locks in DynamoDB.
- alert_log: which alert went to which target (DynamoDB conditional writes): the alert delivery's AlertLog port.
- order_events: the order-events topic (SNS) NotifyOrder publishes to.
- open_orders: the orders table's sparse open-orders index (FindStuckOrders' OpenOrders port).
- alert_topic: the alert topic (SNS), for alerts published outside the workflow (a stuck order).
- json_webhook: JSON POSTs with bounded retries honouring Retry-After (urllib), for Slack and generic webhooks.
- alert_targets: the log, Slack and webhook targets (the alert delivery's AlertTarget port) and which are on.
- http: API Gateway HTTP API events in and out, who the caller is, RFC 9457 problem bodies.

May import: boto3/botocore, the standard library (urllib), Powertools, the domain, and the ports a service declares.
Must not import: entry points, `handlers.wiring`, or `handlers.env` (clients, names and settings are passed in).
"""
