"""Run the Pulumi program under Pulumi's mock runtime and record what it declares."""

import runpy
from dataclasses import dataclass, field
from pathlib import Path

import pulumi
import pytest
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

REPO_ROOT = Path(__file__).resolve().parents[2]
PROGRAM = REPO_ROOT / "__main__.py"
PROJECT = "ivs-viewer-count"
ACCOUNT = "123456789012"
STACK_REGION = "us-west-2"


@dataclass
class Declared:
    """One resource the program declared: its type token, logical name and inputs."""

    type: str
    name: str
    inputs: dict
    read_id: str | None = None


class RecordingMocks(pulumi.runtime.Mocks):
    """Mocks that fill in the attributes AWS would compute and keep every declaration."""

    def __init__(self):
        self.resources: list[Declared] = []
        self.calls: list[tuple[str, dict]] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        self.resources.append(Declared(args.typ, args.name, dict(args.inputs), args.resource_id))
        resource_id = args.resource_id or f"{args.name}-id"
        state = dict(args.inputs)
        state.setdefault("name", args.name)

        if args.typ == "aws:ivs/channel:Channel":
            arn = args.resource_id or f"arn:aws:ivs:{STACK_REGION}:{ACCOUNT}:channel/Created12345"
            channel_id = arn.rsplit("/", 1)[-1]
            region = arn.split(":")[3]
            state.update(
                arn=arn,
                playbackUrl=f"https://{channel_id}.{region}.playback.live-video.net/api/video/v1/"
                f"{region}.{ACCOUNT}.channel.{channel_id}.m3u8",
                ingestEndpoint=f"{channel_id}.global-contribute.live-video.net",
            )
        elif args.typ == "aws:s3/bucket:Bucket":
            bucket = f"{args.name}-0a1b2c"
            state.update(
                bucket=bucket,
                arn=f"arn:aws:s3:::{bucket}",
                bucketRegionalDomainName=f"{bucket}.s3.{STACK_REGION}.amazonaws.com",
            )
            resource_id = bucket
        elif args.typ == "aws:cloudfront/distribution:Distribution":
            state.update(
                domainName="d111111abcdef8.cloudfront.net",
                arn=f"arn:aws:cloudfront::{ACCOUNT}:distribution/EDFDVBD6EXAMPLE",
            )
        else:
            service = args.typ.split(":")[1].split("/")[0]
            state.setdefault("arn", f"arn:aws:{service}:{STACK_REGION}:{ACCOUNT}:{args.name}")
        return resource_id, state

    def call(self, args: pulumi.runtime.MockCallArgs):
        self.calls.append((args.token, dict(args.args)))
        if args.token == "aws:ivs/getStreamKey:getStreamKey":
            return {"arn": "arn:aws:ivs:us-west-2:123456789012:stream-key/k", "value": "sk_secret"}
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {"accountId": ACCOUNT, "arn": f"arn:aws:iam::{ACCOUNT}:user/test", "userId": "x"}
        return {}


@dataclass
class StackRun:
    """The result of one program run: declared resources and resolved outputs."""

    resources: list[Declared]
    outputs: dict
    secret_outputs: set = field(default_factory=set)

    def of_type(self, type_token: str) -> list[Declared]:
        return [resource for resource in self.resources if resource.type == type_token]

    def one(self, type_token: str) -> Declared:
        found = self.of_type(type_token)
        assert len(found) == 1, f"expected one {type_token}, found {[r.name for r in found]}"
        return found[0]


def stack_config(path: Path) -> dict:
    """Read a Pulumi.<stack>.yaml into the flat form set_all_config takes."""
    import yaml

    values = yaml.safe_load(path.read_text())["config"]
    return {key: value if isinstance(value, str) else str(value) for key, value in values.items()}


def run_stack(config: dict, stack: str = "test", monkeypatch=None) -> StackRun:
    """Run __main__.py with the given config under mocks and resolve every export."""
    mocks = RecordingMocks()
    pulumi.runtime.set_mocks(mocks, project=PROJECT, stack=stack, preview=False)
    pulumi.runtime.set_all_config(config)

    exports: dict = {}
    monkeypatch.setattr(pulumi, "export", lambda key, value: exports.__setitem__(key, value))
    _sync_await(run_pulumi_func(lambda: runpy.run_path(str(PROGRAM), run_name="__main__")))

    outputs = {}
    secrets = set()
    for key, value in exports.items():
        output = pulumi.Output.from_input(value)
        outputs[key] = _sync_await(output.future())
        if _sync_await(output.is_secret()):
            secrets.add(key)
    return StackRun(mocks.resources, outputs, secrets)


@pytest.fixture
def run(monkeypatch):
    def runner(config: dict, stack: str = "test") -> StackRun:
        return run_stack(config, stack, monkeypatch)

    return runner
