"""Services: the use cases, each behind one entry point, over ports they declare (typing.Protocol) and are given.

- alert_delivery: the AlertHandler's policy - de-duplication through the alert log, storms as one summary, the
  per-post time budget, partial batch failures. Ports: AlertLog, AlertTarget, a clock.
- fulfilment: the ProcessOrderWorker's use case, an order CREATED -> FULFILLED in one write. Port: Orders.
- stuck_orders: FindStuckOrders' use case, each open order older than the limit alerted once. Ports: OpenOrders,
  AlertTopic.
- orders_api: the HTTP API behind StartWorkflow (POST /orders, GET /orders/{orderId}) and its Idempotency-Key
  contract, on the key's one reservation record. Not yet behind ports: it speaks API Gateway's request/response model
  (handlers.adapters.http), takes the OrdersStore itself, reads handlers.clock and maps the Step Functions client's
  ClientErrors.

May import: the domain, the standard library and handlers.observability (logging). Must not import: boto3,
`handlers.env`, `handlers.wiring` or (orders_api aside) adapters - clients, adapters, settings and the clock are
passed in, so a unit test builds a service from fakes with no environment and no network.
"""
