"""The Pulumi program under the mock runtime: resources, policies and outputs per stack."""

import importlib
import json

import pytest

from handler import environment, schema
from infra.poller import EXACT_RESOURCE_LIMIT, HANDLER, TIMEOUT_SECONDS
from infra.settings import SettingsError, max_channels_per_region

from .conftest import REPO_ROOT, stack_config

ARN = "arn:aws:ivs:us-west-2:123456789012:channel/AbCdEfGh1234"
EU_ARN = "arn:aws:ivs:eu-west-1:123456789012:channel/ZyXwVuTs9876"
LOWEST_TIMEOUT_PERIOD = 60
# Characters, whitespace excluded, of all inline policies of one IAM role (IAM quotas).
IAM_INLINE_POLICY_LIMIT = 10_240


@pytest.fixture
def dev(run):
    return run(stack_config(REPO_ROOT / "Pulumi.dev.yaml"), "dev")


@pytest.fixture
def prod(run):
    config = stack_config(REPO_ROOT / "Pulumi.prod.yaml")
    config["ivs-viewer-count:channelArns"] = json.dumps([ARN, EU_ARN])
    return run(config, "prod")


def policy_documents(stack):
    for policy in stack.of_type("aws:iam/rolePolicy:RolePolicy"):
        yield policy.name, json.loads(policy.inputs["policy"])


def test_dev_creates_channel(dev):
    channel = dev.one("aws:ivs/channel:Channel")

    assert channel.read_id in (None, "")
    assert channel.inputs["latencyMode"] == "LOW"


def test_dev_outputs(dev):
    arn = dev.outputs["channelArn"]

    assert set(dev.outputs) == {
        "playbackUrl",
        "playbackUrls",
        "channelArn",
        "tableName",
        "pollerFunctionName",
        "playerUrl",
        "ingestEndpoint",
        "streamKey",
    }
    assert dev.outputs["playbackUrls"] == {arn: dev.outputs["playbackUrl"]}
    assert dev.outputs["playbackUrl"].endswith(".m3u8")
    assert dev.outputs["ingestEndpoint"].startswith("rtmps://")
    assert dev.outputs["streamKey"] == "sk_secret"


def test_dev_stream_key_is_secret(dev):
    assert dev.secret_outputs == {"streamKey"}


def test_dev_table_schema_and_ttl(dev):
    table = dev.one("aws:dynamodb/table:Table").inputs

    assert table["hashKey"] == schema.PARTITION_KEY
    assert table["rangeKey"] == schema.SORT_KEY
    assert table["billingMode"] == "PAY_PER_REQUEST"
    assert {(a["name"], a["type"]) for a in table["attributes"]} == {
        (schema.PARTITION_KEY, "S"),
        (schema.SORT_KEY, "N"),
    }
    assert table["ttl"] == {"attributeName": schema.TTL_ATTRIBUTE, "enabled": True}


def test_dev_table_destroys_cleanly(dev):
    table = dev.one("aws:dynamodb/table:Table").inputs

    assert table["deletionProtectionEnabled"] is False


def test_prod_table_protected(prod):
    table = prod.one("aws:dynamodb/table:Table").inputs

    assert table["deletionProtectionEnabled"] is True
    assert table["pointInTimeRecovery"] == {"enabled": True}


def test_prod_reads_channels_in_their_regions(prod):
    channels = prod.of_type("aws:ivs/channel:Channel")

    assert sorted(channel.read_id for channel in channels) == sorted([ARN, EU_ARN])
    assert {channel.read_id: channel.inputs.get("region") for channel in channels} == {
        ARN: "us-west-2",
        EU_ARN: "eu-west-1",
    }


def test_prod_outputs_without_ingest(prod):
    assert prod.outputs["channelArn"] == ARN
    assert set(prod.outputs["playbackUrls"]) == {ARN, EU_ARN}
    assert "streamKey" not in prod.outputs
    assert "ingestEndpoint" not in prod.outputs


def test_retention_zero_has_no_ttl(run):
    stack = run({"ivs-viewer-count:retentionDays": "0", "ivs-viewer-count:channelArn": ARN})

    assert stack.one("aws:dynamodb/table:Table").inputs.get("ttl") is None
    assert (
        stack.one("aws:lambda/function:Function").inputs["environment"]["variables"][
            environment.RETENTION_DAYS
        ]
        == "0"
    )


def test_function_configuration(prod):
    function = prod.one("aws:lambda/function:Function").inputs

    assert function["runtime"].startswith("python3.1")
    assert function["architectures"] == ["arm64"]
    assert function["timeout"] < LOWEST_TIMEOUT_PERIOD
    assert function["timeout"] == TIMEOUT_SECONDS
    assert function["loggingConfig"]["logFormat"] == "JSON"


def test_one_poll_at_a_time(prod):
    function = prod.one("aws:lambda/function:Function").inputs

    assert function["reservedConcurrentExecutions"] == 1


def test_function_environment(prod):
    variables = prod.one("aws:lambda/function:Function").inputs["environment"]["variables"]

    assert environment.CHANNEL_ARNS not in variables
    assert variables[environment.TABLE_NAME] == prod.outputs["tableName"]
    assert variables[environment.WINDOW_MINUTES] == "10"
    assert variables[environment.RETENTION_DAYS] == "365"


def test_handler_path_exists(prod):
    function = prod.one("aws:lambda/function:Function").inputs
    module_name, attribute = function["handler"].rsplit(".", 1)
    archived = set(function["code"].assets)

    assert function["handler"] == HANDLER
    assert f"{module_name.replace('.', '/')}.py" in archived
    assert callable(getattr(importlib.import_module(module_name), attribute))


def test_archive_has_every_handler_module(prod):
    archived = set(prod.one("aws:lambda/function:Function").inputs["code"].assets)
    modules = {f"handler/{path.name}" for path in (REPO_ROOT / "handler").glob("*.py")}

    assert archived == modules | {"handler/channels.json"}


def test_archive_lists_channels(prod):
    assets = prod.one("aws:lambda/function:Function").inputs["code"].assets

    assert json.loads(assets["handler/channels.json"].text) == [ARN, EU_ARN]


def test_environment_fits_lambda_limit(run):
    arns = [f"arn:aws:ivs:us-west-2:123456789012:channel/c{index:011d}" for index in range(1000)]
    stack = run({"ivs-viewer-count:channelArns": json.dumps(arns)})
    variables = stack.one("aws:lambda/function:Function").inputs["environment"]["variables"]
    size = sum(len(key) + len(value) for key, value in variables.items())

    assert size < 4096


def test_log_group_has_retention(prod):
    log_group = prod.one("aws:cloudwatch/logGroup:LogGroup").inputs

    assert log_group["retentionInDays"] > 0


def test_schedule_every_minute(prod):
    schedule = prod.one("aws:scheduler/schedule:Schedule").inputs

    assert schedule["scheduleExpression"] == "rate(1 minute)"
    assert schedule["flexibleTimeWindow"] == {"mode": "OFF"}


def test_schedule_passes_scheduled_time(prod):
    target = prod.one("aws:scheduler/schedule:Schedule").inputs["target"]

    assert json.loads(target["input"]) == {"scheduledTime": "<aws.scheduler.scheduled-time>"}


def test_stale_minute_never_replayed(prod):
    target = prod.one("aws:scheduler/schedule:Schedule").inputs["target"]
    invoke_config = prod.one(
        "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig"
    ).inputs

    assert target["retryPolicy"]["maximumRetryAttempts"] == 0
    assert target["retryPolicy"]["maximumEventAgeInSeconds"] <= LOWEST_TIMEOUT_PERIOD
    assert invoke_config["maximumRetryAttempts"] == 0
    assert invoke_config["maximumEventAgeInSeconds"] <= LOWEST_TIMEOUT_PERIOD


@pytest.mark.parametrize("stack_name", ["dev", "prod"])
def test_no_wildcard_on_ivs_or_dynamodb(stack_name, dev, prod):
    stack = {"dev": dev, "prod": prod}[stack_name]

    for name, document in policy_documents(stack):
        for statement in document["Statement"]:
            actions = statement["Action"]
            actions = [actions] if isinstance(actions, str) else actions
            if not any(action.split(":")[0] in ("ivs", "dynamodb") for action in actions):
                continue
            resources = statement["Resource"]
            resources = [resources] if isinstance(resources, str) else resources
            wildcards = [resource for resource in resources if "*" in resource]
            # ivs:ListStreams has no resource-level permission; it may stand alone on "*".
            if actions == ["ivs:ListStreams"] and resources == ["*"]:
                continue
            assert wildcards == [], f"{name}: {actions} on wildcard resources {wildcards}"


def test_policy_names_exact_channels(prod):
    documents = dict(policy_documents(prod))
    statements = documents["viewer-count-poller-policy"]["Statement"]
    ivs = [statement for statement in statements if "ivs:PutMetadata" in statement["Action"]]

    assert len(ivs) == 1
    assert ivs[0]["Resource"] == sorted([ARN, EU_ARN])


def poller_actions(stack):
    documents = dict(policy_documents(stack))
    return [s["Action"] for s in documents["viewer-count-poller-policy"]["Statement"]]


def test_no_list_streams_for_few_channels(prod):
    assert "ivs:ListStreams" not in poller_actions(prod)


def test_list_streams_allowed_for_many_channels(run):
    arns = [f"arn:aws:ivs:us-west-2:123456789012:channel/c{index:011d}" for index in range(6)]
    stack = run({"ivs-viewer-count:channelArns": json.dumps(arns)})

    assert "ivs:ListStreams" in poller_actions(stack)


def arns_in_regions(count, regions=("us-west-2",)):
    return [
        f"arn:aws:ivs:{regions[index % len(regions)]}:123456789012:channel/c{index:011d}"
        for index in range(count)
    ]


@pytest.mark.parametrize(
    "count", [1, EXACT_RESOURCE_LIMIT, EXACT_RESOURCE_LIMIT + 1, max_channels_per_region()]
)
def test_policy_fits_iam_limit(run, count):
    stack = run({"ivs-viewer-count:channelArns": json.dumps(arns_in_regions(count))})
    sizes = {
        policy.name: len(policy.inputs["policy"].replace(" ", ""))
        for policy in stack.of_type("aws:iam/rolePolicy:RolePolicy")
    }

    assert sizes["viewer-count-poller-policy"] < IAM_INLINE_POLICY_LIMIT


def test_policy_exact_up_to_limit(run):
    arns = arns_in_regions(EXACT_RESOURCE_LIMIT)
    stack = run({"ivs-viewer-count:channelArns": json.dumps(arns)})
    statements = dict(policy_documents(stack))["viewer-count-poller-policy"]["Statement"]
    by_sid = {statement["Sid"]: statement for statement in statements}

    assert by_sid["ReadAndAnnotateChannels"]["Resource"] == sorted(arns)
    assert len(by_sid["WriteSnapshots"]["Resource"]) == EXACT_RESOURCE_LIMIT


def test_policy_patterns_above_limit(run):
    arns = arns_in_regions(EXACT_RESOURCE_LIMIT + 1, ("us-west-2", "eu-west-1"))
    stack = run({"ivs-viewer-count:channelArns": json.dumps(arns)})
    statements = dict(policy_documents(stack))["viewer-count-poller-policy"]["Statement"]
    by_sid = {statement["Sid"]: statement for statement in statements}
    bucket = stack.one("aws:s3/bucket:Bucket")

    assert by_sid["ReadAndAnnotateChannels"]["Resource"] == [
        "arn:aws:ivs:eu-west-1:123456789012:channel/*",
        "arn:aws:ivs:us-west-2:123456789012:channel/*",
    ]
    assert by_sid["WriteSnapshots"]["Resource"] == [
        f"arn:aws:s3:::{bucket.name}-0a1b2c/snapshots/*"
    ]


def test_policy_names_exact_table(prod):
    documents = dict(policy_documents(prod))
    statements = documents["viewer-count-poller-policy"]["Statement"]
    dynamodb = [s for s in statements if "dynamodb:BatchWriteItem" in s["Action"]]
    table = prod.one("aws:dynamodb/table:Table")

    assert dynamodb[0]["Resource"] == [f"arn:aws:dynamodb:us-west-2:123456789012:{table.name}"]


def test_scheduler_role_may_invoke_only_poller(prod):
    documents = dict(policy_documents(prod))
    statement = documents["viewer-count-poller-scheduler-policy"]["Statement"][0]
    function = prod.one("aws:lambda/function:Function")

    assert statement["Action"] == "lambda:InvokeFunction"
    assert statement["Resource"] == [f"arn:aws:lambda:us-west-2:123456789012:{function.name}"]


def test_scheduler_role_bound_to_account(prod):
    roles = {role.name: role for role in prod.of_type("aws:iam/role:Role")}
    trust = json.loads(roles["viewer-count-poller-scheduler-role"].inputs["assumeRolePolicy"])

    assert trust["Statement"][0]["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert trust["Statement"][0]["Condition"] == {
        "StringEquals": {"aws:SourceAccount": "123456789012"}
    }


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"ivs-viewer-count:windowMinutes": "90"}, "windowMinutes='90'"),
        ({"ivs-viewer-count:channelArn": "my-channel"}, "channelArn='my-channel'"),
        ({"ivs-viewer-count:retentionDays": "-3"}, "retentionDays='-3'"),
    ],
)
def test_invalid_setting_stops_program(run, config, expected):
    with pytest.raises(SettingsError, match=expected):
        run(config)
