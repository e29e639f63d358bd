"""The poller: its role, log group, Lambda function and the every-minute schedule."""

import json
from pathlib import Path

import pulumi
import pulumi_aws as aws

from handler import environment
from handler.snapshots import SNAPSHOT_PREFIX, snapshot_key

HANDLER_DIR = Path(__file__).resolve().parent.parent / "handler"
# Lambda imports handler/poller.py from the root of the zip and calls its `handler` function.
HANDLER = "handler.poller.handler"
RUNTIME = "python3.13"
# Below the one-minute period. Scheduler may invoke anywhere within a minute, so two polls can
# start less than 60 s apart. The reserved concurrency of 1 then makes the second one wait.
TIMEOUT_SECONDS = 50
MEMORY_MB = 256
LOG_RETENTION_DAYS = 14
SCHEDULE_EXPRESSION = "rate(1 minute)"
# The smallest event age EventBridge Scheduler and Lambda accept; with no retries, a minute that
# failed is never replayed after it is over.
MAX_EVENT_AGE_SECONDS = 60


def handler_archive(channel_arns: list[str]) -> pulumi.AssetArchive:
    """Zip the handler package as it is, without caches, plus the list of channels to poll."""
    files = {
        f"handler/{path.name}": pulumi.FileAsset(str(path))
        for path in sorted(HANDLER_DIR.glob("*.py"))
    }
    # The list goes into the code, not an environment variable: Lambda allows 4 KB for all
    # environment variables together, which about 60 ARNs would fill.
    files[f"handler/{environment.CHANNELS_FILE.name}"] = pulumi.StringAsset(
        json.dumps(channel_arns)
    )
    return pulumi.AssetArchive(files)


def assume_role_policy(service: str, account_id=None) -> pulumi.Output[str]:
    statement = {
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": "sts:AssumeRole",
    }
    if account_id is None:
        return pulumi.Output.from_input(
            json.dumps({"Version": "2012-10-17", "Statement": [statement]})
        )
    return pulumi.Output.from_input(account_id).apply(
        lambda account: json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {**statement, "Condition": {"StringEquals": {"aws:SourceAccount": account}}}
                ],
            }
        )
    )


# IAM allows 10,240 characters for all inline policies of a role together. Up to this many
# channels, the policy names every channel ARN and snapshot key (about 150 characters each).
EXACT_RESOURCE_LIMIT = 40


def channel_resources(channels: list[str]) -> list[str]:
    """Return the channel ARNs, or above EXACT_RESOURCE_LIMIT one pattern per region and account.

    A pattern such as arn:aws:ivs:us-west-2:123456789012:channel/* also covers channels of that
    account the stack does not serve, which is the price of fitting IAM's size limit.
    """
    if len(channels) <= EXACT_RESOURCE_LIMIT:
        return sorted(channels)
    return sorted({arn.rsplit("/", 1)[0] + "/*" for arn in channels})


def snapshot_resources(bucket: str, channels: list[str]) -> list[str]:
    if len(channels) <= EXACT_RESOURCE_LIMIT:
        return sorted(f"{bucket}/{snapshot_key(arn)}" for arn in channels)
    return [f"{bucket}/{SNAPSHOT_PREFIX}*"]


def poller_policy(
    channel_arns, table_arn, log_group_arn, bucket_arn=None, lists_streams=False
) -> pulumi.Output[str]:
    """Build the poller's policy: each statement names the exact ARNs it needs.

    Stacks of more than EXACT_RESOURCE_LIMIT channels get per-region patterns instead, so that
    the policy stays within IAM's size limit.
    """

    def document(values):
        channels, table, log_group, bucket = values
        statements = [
            {
                "Sid": "ReadAndAnnotateChannels",
                "Effect": "Allow",
                "Action": ["ivs:GetStream", "ivs:PutMetadata"],
                "Resource": channel_resources(channels),
            },
            {
                "Sid": "StoreSamples",
                "Effect": "Allow",
                "Action": ["dynamodb:BatchWriteItem", "dynamodb:BatchGetItem"],
                "Resource": [table],
            },
            {
                "Sid": "WriteLogs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": [f"{log_group}:*"],
            },
        ]
        if lists_streams:
            # IVS offers no resource-level permission for ListStreams, so it needs "*". The poller
            # uses it only where a region has more channels than GetStream serves well.
            statements.append(
                {
                    "Sid": "ListLiveStreams",
                    "Effect": "Allow",
                    "Action": "ivs:ListStreams",
                    "Resource": "*",
                }
            )
        if bucket is not None:
            statements.append(
                {
                    "Sid": "WriteSnapshots",
                    "Effect": "Allow",
                    "Action": "s3:PutObject",
                    "Resource": snapshot_resources(bucket, channels),
                }
            )
        return json.dumps({"Version": "2012-10-17", "Statement": statements}, separators=(",", ":"))

    return pulumi.Output.all(
        pulumi.Output.all(*channel_arns), table_arn, log_group_arn, bucket_arn
    ).apply(document)


class Poller(pulumi.ComponentResource):
    """The function that samples the channels every minute, and what it needs to run."""

    def __init__(
        self,
        name,
        *,
        channel_arns,
        table,
        window_minutes,
        retention_days,
        snapshot_bucket=None,
        lists_streams=False,
        opts=None,
    ):
        super().__init__("ivs-viewer-count:index:Poller", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        # The function's own log group, so that logs get a retention instead of living forever.
        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs", retention_in_days=LOG_RETENTION_DAYS, opts=child
        )

        self.role = aws.iam.Role(
            f"{name}-role",
            assume_role_policy=assume_role_policy("lambda.amazonaws.com"),
            opts=child,
        )
        self.policy = aws.iam.RolePolicy(
            f"{name}-policy",
            role=self.role.id,
            policy=poller_policy(
                channel_arns,
                table.arn,
                self.log_group.arn,
                snapshot_bucket.arn if snapshot_bucket is not None else None,
                lists_streams,
            ),
            opts=child,
        )

        # Reads every channel, stores one sample each and sends the window as timed metadata.
        variables = {
            environment.TABLE_NAME: table.name,
            environment.WINDOW_MINUTES: str(window_minutes),
            environment.RETENTION_DAYS: str(retention_days),
        }
        if snapshot_bucket is not None:
            variables[environment.SNAPSHOT_BUCKET] = snapshot_bucket.bucket

        self.function = aws.lambda_.Function(
            f"{name}-function",
            runtime=RUNTIME,
            architectures=["arm64"],
            handler=HANDLER,
            code=pulumi.Output.all(*channel_arns).apply(handler_archive),
            role=self.role.arn,
            timeout=TIMEOUT_SECONDS,
            memory_size=MEMORY_MB,
            # One poll at a time: EventBridge and Lambda deliver at least once, and a duplicate
            # running alongside the first could store a different count for the same minute.
            # A throttled duplicate waits, within its 60 s event age, and then keeps the first
            # sample of its minute.
            reserved_concurrent_executions=1,
            logging_config=aws.lambda_.FunctionLoggingConfigArgs(
                log_format="JSON",
                log_group=self.log_group.name,
                application_log_level="INFO",
                system_log_level="WARN",
            ),
            environment=aws.lambda_.FunctionEnvironmentArgs(variables=variables),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.policy]),
        )

        # Scheduler invokes the function asynchronously; Lambda's own retries would replay a
        # minute after it is over, so they are off.
        self.invoke_config = aws.lambda_.FunctionEventInvokeConfig(
            f"{name}-invoke-config",
            function_name=self.function.name,
            maximum_retry_attempts=0,
            maximum_event_age_in_seconds=MAX_EVENT_AGE_SECONDS,
            opts=child,
        )

        self.schedule = self._schedule(name, child)
        self.register_outputs({"functionName": self.function.name})

    def _schedule(self, name, child) -> aws.scheduler.Schedule:
        account_id = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self))
        scheduler_role = aws.iam.Role(
            f"{name}-scheduler-role",
            assume_role_policy=assume_role_policy("scheduler.amazonaws.com", account_id.account_id),
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-scheduler-policy",
            role=scheduler_role.id,
            policy=self.function.arn.apply(
                lambda arn: json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Sid": "InvokePoller",
                                "Effect": "Allow",
                                "Action": "lambda:InvokeFunction",
                                "Resource": [arn],
                            }
                        ],
                    }
                )
            ),
            opts=child,
        )

        # Fires once a minute and hands the scheduled time to the function, which
        # samples that minute, not the moment it happens to run.
        return aws.scheduler.Schedule(
            f"{name}-schedule",
            schedule_expression=SCHEDULE_EXPRESSION,
            flexible_time_window=aws.scheduler.ScheduleFlexibleTimeWindowArgs(mode="OFF"),
            target=aws.scheduler.ScheduleTargetArgs(
                arn=self.function.arn,
                role_arn=scheduler_role.arn,
                input=json.dumps({"scheduledTime": "<aws.scheduler.scheduled-time>"}),
                retry_policy=aws.scheduler.ScheduleTargetRetryPolicyArgs(
                    maximum_event_age_in_seconds=MAX_EVENT_AGE_SECONDS,
                    maximum_retry_attempts=0,
                ),
            ),
            opts=child,
        )
