"""Adapters: where handlers meet AWS and HTTP. Each turns a boto3/urllib/API Gateway shape into domain values and
domain errors, or the errors of the port it implements (a botocore ClientError becomes e.g. OrderStoreUnavailable or
StepFunctionsThrottled by its error code, never by its message), so the workflow's Retry/Catch and the services see
only our class names.

- orders_store: orders and Idempotency-Key reservations in DynamoDB: the orders API's, CreateOrder's and the
  fulfilment's Orders ports (typed records: Reservation, StoredOrder, WrittenOrder), and whole records for operators.
- executions: the state machine's executions (Step Functions): the orders API's Executions port.
- http: API Gateway HTTP API events in and out of the orders API: routes, who the caller is, the typed requests,
  answers and RFC 9457 problem bodies.
- alert_log: which alert went to which target (DynamoDB conditional writes): the alert delivery's AlertLog port.
- alert_dlq: the alert DLQ (SQS), where an alert a target refused for good is parked at once.
- order_events: the order-events topic (SNS) NotifyOrder publishes to.
- open_orders: the orders table's sparse open-orders index (FindStuckOrders' OpenOrders port).
- alert_topic: the alert topic (SNS), for alerts published outside the workflow (a stuck order).
- json_webhook: JSON POSTs with bounded retries honouring Retry-After (urllib), for Slack and generic webhooks.
- alert_targets: the log, Slack, webhook, PagerDuty, Teams and e-mail targets (the alert delivery's AlertTarget
  port) and which are on.

May import: boto3/botocore, the standard library (urllib), Powertools, handlers.observability, handlers.clock,
handlers.arns, the domain, and the ports a service declares (http also calls the service it maps, typed only).
Must not import: entry points, `handlers.wiring`, or `handlers.env` (clients, names and settings are passed in).
"""
