"""Fixtures shared by every suite: DynamoDB Local and a fresh samples table per test."""

import os
import uuid

import pytest
from hypothesis import settings

from handler import schema

# Timing varies on a loaded 2-core machine; a property test must fail on wrong results only.
# In CI the examples are derandomized, so that a run can be repeated exactly.
settings.register_profile("project", deadline=None, derandomize=bool(os.environ.get("CI")))
settings.load_profile("project")

# No test may reach AWS: dummy credentials and a fixed region for every boto3 client.
os.environ.setdefault("AWS_ACCESS_KEY_ID", "test")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "test")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-west-2")
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"


@pytest.fixture(scope="session")
def dynamodb_local():
    from local.dynamodb_local import DynamoDBLocal, DynamoDBLocalError

    try:
        server = DynamoDBLocal().start()
    except DynamoDBLocalError as error:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"DynamoDB Local is not available: {error}")
    yield server
    server.stop()


@pytest.fixture
def dynamodb(dynamodb_local):
    return dynamodb_local.client()


@pytest.fixture
def table_name(dynamodb):
    name = f"samples-{uuid.uuid4().hex[:12]}"
    dynamodb.create_table(**schema.create_table_request(name))
    yield name
    dynamodb.delete_table(TableName=name)
