"""Shared construction of clients and adapters from the environment.

Handler modules call these once at import (Lambda's init phase), so clients are reused across warm invocations.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config

from handlers import env
from handlers.adapters.orders_store import OrdersStore

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


# Retries live in the workflow (visible in the execution history), not hidden in the SDK.
CLIENT_CONFIG = Config(retries={"mode": "standard", "total_max_attempts": 1}, connect_timeout=3, read_timeout=10)


def dynamodb() -> DynamoDBClient:
    return boto3.client("dynamodb", config=CLIENT_CONFIG)


def idempotency_ttl_seconds() -> int:
    return int(env.optional(env.IDEMPOTENCY_TTL_SECONDS) or 24 * 3600)


def orders_store() -> OrdersStore:
    return OrdersStore(
        dynamodb(),
        orders_table=env.require(env.ORDERS_TABLE),
        idempotency_table=env.require(env.IDEMPOTENCY_TABLE),
        lock_ttl=timedelta(seconds=idempotency_ttl_seconds()),
    )
