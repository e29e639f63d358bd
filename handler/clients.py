"""AWS clients, created once per Lambda container and reused by every invocation."""

import threading

import boto3
from botocore.config import Config

from .arns import region_of

# The poller retries on its own within the minute, so botocore sends each request once.
# Short timeouts keep one slow call from eating the minute.
CLIENT_CONFIG = Config(
    connect_timeout=2,
    read_timeout=5,
    # total_max_attempts counts the first request; max_attempts=1 would still allow one retry.
    retries={"total_max_attempts": 1, "mode": "standard"},
    max_pool_connections=16,
)


class AwsClients:
    """DynamoDB and S3 in the function's region, and one IVS client per channel region."""

    def __init__(self, session=None, config: Config = CLIENT_CONFIG):
        self._session = session or boto3.session.Session()
        self._config = config
        self._ivs_by_region: dict = {}
        self._lock = threading.Lock()
        self.dynamodb = self._session.client("dynamodb", config=config)
        self._s3 = None

    @property
    def s3(self):
        """The S3 client for snapshots, created on first use: most stacks poll without one."""
        with self._lock:
            if self._s3 is None:
                self._s3 = self._session.client("s3", config=self._config)
        return self._s3

    def ivs_for(self, channel_arn: str):
        """Return the IVS client for the region in the channel's ARN."""
        region = region_of(channel_arn)
        with self._lock:
            client = self._ivs_by_region.get(region)
            if client is None:
                client = self._session.client("ivs", region_name=region, config=self._config)
                self._ivs_by_region[region] = client
        return client
