"""Services: the use cases, each behind one entry point, over ports they declare (typing.Protocol) and are given.

- orders_api: StartWorkflow's use cases, submit (POST /orders) and read (GET /orders/{orderId}), and the
  Idempotency-Key contract on the key's one reservation record. Ports and records in orders_ports: Orders (the
  orders table: reserve, release, read), Executions (Step Functions: start, describe), the typed Submission and
  Accepted the HTTP adapter maps, and the outcomes it raises (RequestInFlight, DependencyUnavailable).
- order_creation: CreateOrder's use case, the order written once and carried on by the execution that owns it
  (OrderHandledElsewhere for any other). Port: Orders (create), records NewOrder and WrittenOrder.
- fulfilment: the ProcessOrderWorker's use case, an order CREATED -> FULFILLED in one write. Port: Orders.
- alert_delivery: the AlertHandler's policy - de-duplication through the alert log, storms as one summary, the
  per-post time budget, partial batch failures. Ports: AlertLog, AlertTarget, a clock.
- stuck_orders: FindStuckOrders' use case, each open order older than the limit alerted once. Ports: OpenOrders,
  AlertTopic.

May import: the domain, the standard library, handlers.observability (logging) and handlers.clock (formatting, and
a default for the clock a service is given). Must not import: boto3/botocore, `handlers.env`, `handlers.wiring` or
adapters - clients, adapters, settings and the clock are passed in, so a unit test builds a service from fakes with
no environment and no network.
"""
