"""Where orderflow keeps state: the DynamoDB tables and the Secrets Manager secrets of the manifest.

Both are created in the stack's own scope with ids from their manifest names: their logical ids must never change
(a changed id replaces a table, and its data stays behind in a retained, orphaned one).
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.constructs.names import camel
from workflow.manifest import Manifest, Table


def add_tables(scope: Construct, manifest: Manifest) -> dict[str, dynamodb.Table]:
    return {table.name: _table(scope, table) for table in manifest.tables}


def _table(scope: Construct, table: Table) -> dynamodb.Table:
    built = dynamodb.Table(
        scope,
        f"{camel(table.name)}Table",
        partition_key=dynamodb.Attribute(name=table.partition_key, type=dynamodb.AttributeType.STRING),
        billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
        encryption=dynamodb.TableEncryption.AWS_MANAGED,
        point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
            point_in_time_recovery_enabled=True
        ),
        time_to_live_attribute=table.ttl_attribute,
        removal_policy=cdk.RemovalPolicy.RETAIN,
        # RETAIN keeps a table when the stack lets go of it; deletion protection refuses a DeleteTable by anyone
        # (a console click, a script) until an operator turns it off on purpose.
        deletion_protection=True,
    )
    for index in table.indexes:
        built.add_global_secondary_index(
            index_name=index.name,
            partition_key=dynamodb.Attribute(name=index.partition_key, type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name=index.sort_key, type=dynamodb.AttributeType.STRING),
            projection_type=dynamodb.ProjectionType.INCLUDE if index.projected else dynamodb.ProjectionType.KEYS_ONLY,
            non_key_attributes=list(index.projected) or None,
        )
    return built


def add_secrets(scope: Construct, manifest: Manifest) -> dict[str, secretsmanager.Secret]:
    """Each secret with a random placeholder value (never a value in the template); the operator puts the real one."""
    return {
        secret.name: secretsmanager.Secret(scope, f"{camel(secret.name)}Secret", description=secret.description)
        for secret in manifest.secrets
    }
