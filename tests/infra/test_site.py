"""The hosted player page under the mock runtime: private bucket, CloudFront, uploads, scope."""

import json

import pytest

from handler import environment
from infra.site import PLAYER_DIR, page_files

ARN = "arn:aws:ivs:us-west-2:123456789012:channel/AbCdEfGh1234"
EU_ARN = "arn:aws:ivs:eu-west-1:123456789012:channel/ZyXwVuTs9876"


@pytest.fixture
def hosted(run):
    return run({"ivs-viewer-count:channelArns": json.dumps([ARN, EU_ARN])})


def objects_by_key(stack):
    return {
        resource.inputs["key"]: resource.inputs
        for resource in stack.of_type("aws:s3/bucketObjectv2:BucketObjectv2")
    }


def test_bucket_blocks_public_access(hosted):
    block = hosted.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs

    for setting in (
        "blockPublicAcls",
        "blockPublicPolicy",
        "ignorePublicAcls",
        "restrictPublicBuckets",
    ):
        assert block[setting] is True, setting


def test_bucket_policy_allows_only_distribution(hosted):
    policy = json.loads(hosted.one("aws:s3/bucketPolicy:BucketPolicy").inputs["policy"])
    (statement,) = policy["Statement"]

    assert statement["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert statement["Action"] == "s3:GetObject"
    assert statement["Condition"]["StringEquals"]["AWS:SourceArn"].startswith(
        "arn:aws:cloudfront::123456789012:distribution/"
    )


def test_distribution_uses_origin_access_control(hosted):
    distribution = hosted.one("aws:cloudfront/distribution:Distribution").inputs
    access_control = hosted.one("aws:cloudfront/originAccessControl:OriginAccessControl")

    assert distribution["origins"][0]["originAccessControlId"] == f"{access_control.name}-id"
    assert access_control.inputs["signingBehavior"] == "always"
    assert access_control.inputs["originAccessControlOriginType"] == "s3"


def test_distribution_redirects_to_https(hosted):
    distribution = hosted.one("aws:cloudfront/distribution:Distribution").inputs

    assert distribution["defaultCacheBehavior"]["viewerProtocolPolicy"] == "redirect-to-https"
    assert distribution["defaultRootObject"] == "index.html"


def test_every_page_file_uploaded(hosted):
    keys = set(objects_by_key(hosted))
    expected = {path.relative_to(PLAYER_DIR).as_posix() for path in page_files()}

    assert "index.html" in expected
    assert expected <= keys
    assert "package.json" not in keys


def test_config_json_uploaded_once(hosted):
    keys = [
        resource.inputs["key"]
        for resource in hosted.of_type("aws:s3/bucketObjectv2:BucketObjectv2")
    ]

    assert keys.count("config.json") == 1


def test_content_types(hosted):
    objects = objects_by_key(hosted)

    assert objects["index.html"]["contentType"].startswith("text/html")
    assert objects["config.json"]["contentType"] == "application/json"
    for key, inputs in objects.items():
        if key.endswith(".js"):
            assert inputs["contentType"].startswith("text/javascript"), key


def test_config_json_names_stream_and_snapshot(hosted):
    config = json.loads(objects_by_key(hosted)["config.json"]["content"])

    assert config["playbackUrl"] == hosted.outputs["playbackUrl"]
    assert config["snapshotUrl"] == "snapshots/AbCdEfGh1234.json"
    assert config["snapshots"] == {
        hosted.outputs["playbackUrls"][ARN]: "snapshots/AbCdEfGh1234.json",
        hosted.outputs["playbackUrls"][EU_ARN]: "snapshots/ZyXwVuTs9876.json",
    }


def test_player_url_output(hosted):
    assert hosted.outputs["playerUrl"] == "https://d111111abcdef8.cloudfront.net/"


def test_snapshot_permission_scoped(hosted):
    policies = {
        p.name: json.loads(p.inputs["policy"])
        for p in hosted.of_type("aws:iam/rolePolicy:RolePolicy")
    }
    statements = policies["viewer-count-poller-policy"]["Statement"]
    s3 = [statement for statement in statements if statement["Action"] == "s3:PutObject"]
    bucket = hosted.one("aws:s3/bucket:Bucket")
    bucket_arn = f"arn:aws:s3:::{bucket.name}-0a1b2c"

    assert len(s3) == 1
    assert s3[0]["Resource"] == [
        f"{bucket_arn}/snapshots/AbCdEfGh1234.json",
        f"{bucket_arn}/snapshots/ZyXwVuTs9876.json",
    ]


def test_poller_told_snapshot_bucket(hosted):
    variables = hosted.one("aws:lambda/function:Function").inputs["environment"]["variables"]

    assert (
        variables[environment.SNAPSHOT_BUCKET]
        == f"{hosted.one('aws:s3/bucket:Bucket').name}-0a1b2c"
    )


def test_no_site_without_host_player(run):
    stack = run({"ivs-viewer-count:channelArn": ARN, "ivs-viewer-count:hostPlayer": "false"})
    variables = stack.one("aws:lambda/function:Function").inputs["environment"]["variables"]
    policies = {
        policy.name: json.loads(policy.inputs["policy"])
        for policy in stack.of_type("aws:iam/rolePolicy:RolePolicy")
    }
    actions = [s["Action"] for s in policies["viewer-count-poller-policy"]["Statement"]]

    assert stack.of_type("aws:s3/bucket:Bucket") == []
    assert stack.of_type("aws:cloudfront/distribution:Distribution") == []
    assert "playerUrl" not in stack.outputs
    assert environment.SNAPSHOT_BUCKET not in variables
    assert "s3:PutObject" not in actions
