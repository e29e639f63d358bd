"""The hosted player page: a private S3 bucket behind CloudFront, with the page files uploaded."""

import json
import mimetypes
from pathlib import Path

import pulumi
import pulumi_aws as aws

from handler.snapshots import snapshot_key

PLAYER_DIR = Path(__file__).resolve().parent.parent / "player"
# Files in player/ that are not part of the hosted page: the Node test runner's package.json, and
# a config.json for local use, since the stack generates its own from the stack outputs.
NOT_SERVED = {"package.json", "config.json"}
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
}
# AWS managed cache policy "CachingOptimized"; it honours the Cache-Control of each object.
CACHING_OPTIMIZED_POLICY_ID = "658327ea-f89d-4fab-a63d-7e88639e58f6"
PAGE_CACHE_CONTROL = "public, max-age=300"
CONFIG_CACHE_CONTROL = "public, max-age=60"


def page_files() -> list[Path]:
    """Return the files of the page, in a stable order."""
    return sorted(
        path
        for path in PLAYER_DIR.rglob("*")
        if path.is_file() and path.name not in NOT_SERVED and not path.name.startswith(".")
    )


def content_type(path: Path) -> str:
    return (
        CONTENT_TYPES.get(path.suffix)
        or mimetypes.guess_type(path.name)[0]
        or "application/octet-stream"
    )


def page_config(playback_urls: dict[str, str], channel_arn: str) -> str:
    """Build config.json: what the page plays and where each stream's late-joiner snapshot is."""
    return json.dumps(
        {
            "playbackUrl": playback_urls[channel_arn],
            "snapshotUrl": snapshot_key(channel_arn),
            # For ?playbackUrl= with another channel of the stack.
            "snapshots": {url: snapshot_key(arn) for arn, url in playback_urls.items()},
        }
    )


class PlayerSite(pulumi.ComponentResource):
    """The page at an HTTPS CloudFront URL; the bucket also contains the poller's snapshots."""

    def __init__(self, name, *, playback_urls, channel_arn, opts=None):
        super().__init__("ivs-viewer-count:index:PlayerSite", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        # Private: only CloudFront reads it. force_destroy lets `pulumi destroy` remove the
        # snapshots, which the poller writes and the program does not declare.
        self.bucket = aws.s3.Bucket(f"{name}-bucket", force_destroy=True, opts=child)
        self.public_access = aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access",
            bucket=self.bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        aws.s3.BucketOwnershipControls(
            f"{name}-ownership",
            bucket=self.bucket.id,
            rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
            opts=child,
        )

        # Origin access control signs CloudFront's requests, so the bucket can stay private.
        access_control = aws.cloudfront.OriginAccessControl(
            f"{name}-oac",
            origin_access_control_origin_type="s3",
            signing_behavior="always",
            signing_protocol="sigv4",
            opts=child,
        )
        self.distribution = self._distribution(name, access_control, child)
        self._bucket_policy(name, child)
        self._upload(name, playback_urls, channel_arn, child)

        self.url = self.distribution.domain_name.apply(lambda domain: f"https://{domain}/")
        self.register_outputs({"url": self.url, "bucket": self.bucket.bucket})

    def _distribution(self, name, access_control, child) -> aws.cloudfront.Distribution:
        origin_id = "player-bucket"
        # Serves the page over HTTPS only, from the edge close to each viewer.
        return aws.cloudfront.Distribution(
            f"{name}-cdn",
            enabled=True,
            default_root_object="index.html",
            http_version="http2and3",
            price_class="PriceClass_100",
            origins=[
                aws.cloudfront.DistributionOriginArgs(
                    domain_name=self.bucket.bucket_regional_domain_name,
                    origin_id=origin_id,
                    origin_access_control_id=access_control.id,
                )
            ],
            default_cache_behavior=aws.cloudfront.DistributionDefaultCacheBehaviorArgs(
                target_origin_id=origin_id,
                viewer_protocol_policy="redirect-to-https",
                allowed_methods=["GET", "HEAD"],
                cached_methods=["GET", "HEAD"],
                cache_policy_id=CACHING_OPTIMIZED_POLICY_ID,
                compress=True,
            ),
            restrictions=aws.cloudfront.DistributionRestrictionsArgs(
                geo_restriction=aws.cloudfront.DistributionRestrictionsGeoRestrictionArgs(
                    restriction_type="none"
                )
            ),
            viewer_certificate=aws.cloudfront.DistributionViewerCertificateArgs(
                cloudfront_default_certificate=True
            ),
            opts=child,
        )

    def _bucket_policy(self, name, child) -> None:
        def document(values):
            bucket_arn, distribution_arn = values
            return json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "CloudFrontReadsPage",
                            "Effect": "Allow",
                            "Principal": {"Service": "cloudfront.amazonaws.com"},
                            "Action": "s3:GetObject",
                            "Resource": f"{bucket_arn}/*",
                            "Condition": {"StringEquals": {"AWS:SourceArn": distribution_arn}},
                        }
                    ],
                }
            )

        # Lets this distribution, and nothing else, read the objects.
        aws.s3.BucketPolicy(
            f"{name}-policy",
            bucket=self.bucket.id,
            policy=pulumi.Output.all(self.bucket.arn, self.distribution.arn).apply(document),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.public_access]),
        )

    def _upload(self, name, playback_urls, channel_arn, child) -> None:
        for path in page_files():
            key = path.relative_to(PLAYER_DIR).as_posix()
            aws.s3.BucketObjectv2(
                f"{name}-{key.replace('/', '-')}",
                bucket=self.bucket.id,
                key=key,
                source=pulumi.FileAsset(str(path)),
                content_type=content_type(path),
                cache_control=PAGE_CACHE_CONTROL,
                opts=child,
            )

        aws.s3.BucketObjectv2(
            f"{name}-config.json",
            bucket=self.bucket.id,
            key="config.json",
            content=pulumi.Output.all(playback_urls, channel_arn).apply(
                lambda values: page_config(*values)
            ),
            content_type="application/json",
            cache_control=CONFIG_CACHE_CONTROL,
            opts=child,
        )
