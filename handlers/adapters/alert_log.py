"""Which alerts were delivered where: one alert per failure and target, however often it is published.

A delivery first claims (fingerprint, target) with a conditional put; a claim already held or a delivery already
made within the de-duplication window means "duplicate, drop it". A failed delivery releases its claim so the
retry can deliver; a claim left by an invocation that died expires after a few minutes. Expiry is compared in the
condition (TTL deletion lags).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from handlers.domain.errors import AlertDeliveryError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

CLAIMED = "CLAIMED"
DELIVERED = "DELIVERED"


class DynamoDBAlertLog:
    """The alert delivery's AlertLog (handlers.services.alert_delivery), in a DynamoDB table."""

    def __init__(
        self,
        client: DynamoDBClient,
        table: str,
        window: timedelta = timedelta(days=20),
        claim_for: timedelta = timedelta(minutes=5),
    ) -> None:
        if window <= claim_for:
            raise ValueError(f"the de-duplication window ({window}) must outlast a delivery claim ({claim_for})")
        self._client = client
        self._table = table
        self._window = window
        self._claim_for = claim_for

    @staticmethod
    def key(fingerprint: str, target: str) -> str:
        return f"{target}|{fingerprint}"

    def claim(self, fingerprint: str, target: str, now: datetime) -> bool:
        """True: this caller delivers it. False: delivered already, or being delivered by someone else."""
        epoch = int(now.timestamp())
        try:
            self._client.put_item(
                TableName=self._table,
                Item={
                    "fingerprint": {"S": self.key(fingerprint, target)},
                    "status": {"S": CLAIMED},
                    "claimedUntil": {"N": str(int((now + self._claim_for).timestamp()))},
                    "expiresAt": {"N": str(int((now + self._window).timestamp()))},
                },
                ConditionExpression=(
                    "attribute_not_exists(fingerprint) OR expiresAt < :now OR (#s = :claimed AND claimedUntil < :now)"
                ),
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={":now": {"N": str(epoch)}, ":claimed": {"S": CLAIMED}},
            )
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise AlertDeliveryError(f"the alert log is unavailable: {e}") from e
        return True

    def delivered(self, fingerprints: Iterable[str], target: str, now: datetime) -> None:
        for fingerprint in fingerprints:
            self._client.update_item(
                TableName=self._table,
                Key={"fingerprint": {"S": self.key(fingerprint, target)}},
                UpdateExpression="SET #s = :delivered, deliveredAt = :now",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={":delivered": {"S": DELIVERED}, ":now": {"N": str(int(now.timestamp()))}},
            )

    def release(self, fingerprints: Iterable[str], target: str) -> None:
        for fingerprint in fingerprints:
            try:
                self._client.delete_item(
                    TableName=self._table,
                    Key={"fingerprint": {"S": self.key(fingerprint, target)}},
                    ConditionExpression="#s = :claimed",
                    ExpressionAttributeNames={"#s": "status"},
                    ExpressionAttributeValues={":claimed": {"S": CLAIMED}},
                )
            except ClientError as e:
                if e.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                    raise
