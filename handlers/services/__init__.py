"""Services: the use cases, each behind one entry point, over ports they declare (typing.Protocol) and receive.

- alert_delivery: the AlertHandler's policy - de-duplication through the alert log, storms as one summary, the
  per-post time budget, partial batch failures. Ports: AlertLog, AlertTarget, a clock.
- fulfilment: the ProcessOrderWorker's use case, an order QUEUED -> PROCESSING -> FULFILLED. Port: Orders.
- orders_api: the HTTP API behind StartWorkflow (POST /orders, GET /orders/{orderId}), with the Idempotency-Key
  contract. It still speaks API Gateway's request/response model (handlers.adapters.http) and calls Step Functions
  through the client it is given, mapping its ClientErrors itself.

May import: the domain, handlers.observability (logging) and the standard library. Must not import: boto3,
`handlers.env` or `handlers.wiring` - clients, adapters, settings and the clock are passed in, so a unit test builds
a service from fakes with no environment and no network.
"""
