"""Fixtures for the IVS emulator tests: emulators, boto3 clients, a manual clock and media."""

import threading
import urllib.request

import boto3
import pytest
from botocore.config import Config

from local.ivs_emulator import IvsEmulator, MediaParameters
from local.ivs_emulator.media import load_media

REGION = "us-west-2"
PAYLOAD = (
    '{"type":"viewerCount","version":1,"time":1764860400,"interval":60,"counts":[12,15,null,18,20]}'
)


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: runs headless Chromium through Playwright")


class ManualClock:
    """A monotonic clock that moves only when a test advances it."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds


def make_client(emulator: IvsEmulator, region: str = REGION, **config):
    """Return a boto3 IVS client for the emulator with dummy credentials and no retries.

    botocore's retries={"max_attempts": 1} still allows 1 retry (2 requests in all); only
    total_max_attempts=1 sends each call exactly once, as test_retry_config_request_count shows.
    """
    return boto3.client(
        "ivs",
        region_name=region,
        endpoint_url=emulator.endpoint_url,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"total_max_attempts": 1}, **config),
    )


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read()


@pytest.fixture
def ivs_emulator_clock():
    return ManualClock()


@pytest.fixture
def ivs_emulator(ivs_emulator_clock):
    """A started emulator without media, on the manual clock."""
    with IvsEmulator(media=False, clock=ivs_emulator_clock) as emulator:
        yield emulator


@pytest.fixture
def ivs_emulator_client(ivs_emulator):
    return make_client(ivs_emulator)


@pytest.fixture
def ivs_emulator_live_channel(ivs_emulator):
    arn = ivs_emulator.create_channel(name="demo", region=REGION)
    ivs_emulator.set_live(arn, True)
    return arn


@pytest.fixture(scope="session")
def ivs_emulator_media_dir(tmp_path_factory):
    """A media cache generated once per test session with the default parameters."""
    directory = tmp_path_factory.mktemp("ivs-media-cache")
    load_media(MediaParameters(), directory)
    return directory


@pytest.fixture
def ivs_emulator_with_media(ivs_emulator_media_dir, ivs_emulator_clock):
    """A started emulator with media, on the manual clock."""
    emulator = IvsEmulator(
        media=True, media_cache_dir=ivs_emulator_media_dir, clock=ivs_emulator_clock
    )
    with emulator:
        yield emulator


@pytest.fixture
def ivs_emulator_media_channel(ivs_emulator_with_media):
    """A live channel on the emulator with media."""
    arn = ivs_emulator_with_media.create_channel(name="demo", region=REGION)
    ivs_emulator_with_media.set_live(arn, True)
    return arn
