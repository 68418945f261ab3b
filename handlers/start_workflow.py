"""StartWorkflow: the HTTP API's function. POST /orders starts the order's execution; GET reads an order."""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

from handlers import env, observability, wiring
from handlers.adapters.http import BadRequest, Request
from handlers.orders_api import OrdersApi

api = OrdersApi(
    sfn=boto3.client("stepfunctions", config=wiring.CLIENT_CONFIG),
    store=wiring.orders_store(),
    state_machine_arn=env.require(env.STATE_MACHINE_ARN),
    requests=DynamoDBPersistenceLayer(table_name=env.require(env.REQUESTS_TABLE), boto3_client=wiring.dynamodb()),
    key_ttl_seconds=wiring.idempotency_ttl_seconds(),
)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    observability.bind(context)
    api.register_context(context)
    try:
        request = Request.from_event(event)
    except BadRequest as e:
        return e.response().to_event()
    return api.handle(request).to_event()
