"""Attribute names and key schema of the samples table.

The stack, the poller and the offline run all read the table layout from here, so a key or the
TTL attribute cannot drift between them. None of the names is a DynamoDB reserved word.
"""

PARTITION_KEY = "channelArn"
SORT_KEY = "minuteStart"
VIEWER_COUNT = "viewerCount"
LIVE = "live"
TTL_ATTRIBUTE = "expiresAt"

ATTRIBUTE_DEFINITIONS = [
    {"AttributeName": PARTITION_KEY, "AttributeType": "S"},
    {"AttributeName": SORT_KEY, "AttributeType": "N"},
]
KEY_SCHEMA = [
    {"AttributeName": PARTITION_KEY, "KeyType": "HASH"},
    {"AttributeName": SORT_KEY, "KeyType": "RANGE"},
]
BILLING_MODE = "PAY_PER_REQUEST"


def create_table_request(table_name: str) -> dict:
    """Build the CreateTable arguments that match the table the stack declares."""
    return {
        "TableName": table_name,
        "AttributeDefinitions": ATTRIBUTE_DEFINITIONS,
        "KeySchema": KEY_SCHEMA,
        "BillingMode": BILLING_MODE,
    }
