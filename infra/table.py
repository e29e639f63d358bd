"""The DynamoDB table of viewer-count samples, one item per channel and minute."""

import pulumi
import pulumi_aws as aws

from handler import schema


def samples_table(name: str, retention_days: int, protect: bool, parent) -> aws.dynamodb.Table:
    """Declare the samples table with the key schema the poller and the offline run share."""
    ttl = None
    if retention_days > 0:
        ttl = aws.dynamodb.TableTtlArgs(attribute_name=schema.TTL_ATTRIBUTE, enabled=True)

    # Keeps the samples for reports and trends. With protect, `pulumi destroy` stops with an
    # error instead of deleting the table, until protectTable is off and `pulumi up` has run.
    return aws.dynamodb.Table(
        f"{name}-samples",
        billing_mode=schema.BILLING_MODE,
        hash_key=schema.PARTITION_KEY,
        range_key=schema.SORT_KEY,
        attributes=[
            aws.dynamodb.TableAttributeArgs(
                name=definition["AttributeName"], type=definition["AttributeType"]
            )
            for definition in schema.ATTRIBUTE_DEFINITIONS
        ],
        ttl=ttl,
        point_in_time_recovery=aws.dynamodb.TablePointInTimeRecoveryArgs(enabled=protect),
        deletion_protection_enabled=protect,
        opts=pulumi.ResourceOptions(parent=parent, protect=protect),
    )
