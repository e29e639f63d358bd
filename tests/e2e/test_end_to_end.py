"""End to end on one machine: emulator stream, real poller, DynamoDB Local, real IVS player.

The real IVS Player Web SDK plays the emulator's HLS stream in headless Chromium. The poller
sends the window through PutMetadata and the emulator carries it as ID3 in the stream. The page
must show the count the poller sent.
"""

import json
import time
import urllib.parse

import pytest

from handler import schema
from handler.arns import channel_id
from handler.clients import AwsClients
from handler.environment import PollerSettings
from handler.poller import poll
from handler.retry import Deadline
from local.page_server import SDK_DIR, PageServer
from local.run import use_local_endpoints
from tests.chromium import CHROMIUM, CHROMIUM_ARGS

TABLE = "e2e-samples"
AUDIENCE = 321
CUE_TIMEOUT_MS = 45_000

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed"),
    pytest.mark.skipif(
        not (SDK_DIR / "amazon-ivs-player.js").is_file(), reason="IVS player bundle not built"
    ),
]


@pytest.fixture
def flow(dynamodb_local, monkeypatch):
    """A live emulator channel, the samples table and the page server, wired for boto3."""
    from local.ivs_emulator import IvsEmulator

    with IvsEmulator(media=True) as emulator:
        for name, value in {
            "AWS_ENDPOINT_URL_IVS": emulator.endpoint_url,
            "AWS_ENDPOINT_URL_DYNAMODB": dynamodb_local.endpoint_url,
        }.items():
            monkeypatch.setenv(name, value)
        use_local_endpoints(emulator.endpoint_url, dynamodb_local.endpoint_url)

        dynamodb = dynamodb_local.client()
        dynamodb.create_table(**schema.create_table_request(TABLE))
        arn = emulator.create_channel(name="e2e", region="us-west-2")
        emulator.set_live(arn, True)
        emulator.set_audience(arn, AUDIENCE)

        def latest(requested_id):
            payloads = emulator.metadata(arn)
            return payloads[-1] if payloads and requested_id == channel_id(arn) else None

        with PageServer(emulator.playback_url(arn), channel_id(arn), latest) as page_server:
            yield emulator, arn, page_server
        dynamodb.delete_table(TableName=TABLE)


@pytest.fixture
def browser_page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[*CHROMIUM_ARGS, "--autoplay-policy=no-user-gesture-required"],
        )
        page = browser.new_page()
        # The SDK calls hosts on the internet at start; only 127.0.0.1 may be reached.
        page.route(
            "**/*",
            lambda route: route.continue_()
            if urllib.parse.urlsplit(route.request.url).hostname == "127.0.0.1"
            else route.abort(),
        )
        page.errors = []
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        yield page
        browser.close()


def run_poll(arn, minute):
    settings = PollerSettings(TABLE, (arn,), window_minutes=5, retention_days=1)
    return poll(settings, AwsClients(), minute, Deadline(30), now=lambda: minute + 1)


def shown_count(page) -> str:
    return page.locator("ivs-viewer-count .number").inner_text()


def wait_for_count(page, text: str) -> None:
    page.wait_for_function(
        """(expected) => {
            const element = document.querySelector('ivs-viewer-count');
            const number = element?.shadowRoot?.querySelector('.number');
            return number !== null && number !== undefined && number.textContent === expected;
        }""",
        arg=text,
        timeout=CUE_TIMEOUT_MS,
    )


def test_page_shows_count_sent_by_poller(flow, browser_page):
    emulator, arn, page_server = flow
    page = browser_page
    page.goto(page_server.url)
    page.wait_for_function(
        "document.querySelector('video').currentTime > 0", timeout=CUE_TIMEOUT_MS
    )

    minute = int(time.time() // 60 * 60)
    first = run_poll(arn, minute)
    sent = json.loads(emulator.metadata(arn)[-1])
    wait_for_count(page, str(sent["counts"][-1]))

    emulator.set_audience(arn, AUDIENCE + 100)
    second = run_poll(arn, minute + 60)
    resent = json.loads(emulator.metadata(arn)[-1])
    wait_for_count(page, str(resent["counts"][-1]))

    assert first.cues_sent == 1
    assert second.cues_sent == 1
    # The emulator counts the synthetic audience plus the real player that is fetching the stream.
    assert sent["counts"][-1] == AUDIENCE + 1
    assert resent["counts"][-2:] == [AUDIENCE + 1, AUDIENCE + 101]
    assert page.errors == []


def test_late_joiner_sees_snapshot_first(flow, browser_page):
    emulator, arn, page_server = flow
    minute = int(time.time() // 60 * 60)
    run_poll(arn, minute)
    sent = json.loads(emulator.metadata(arn)[-1])

    page = browser_page
    page.goto(page_server.url)
    wait_for_count(page, str(sent["counts"][-1]))

    assert page.evaluate("document.querySelector('ivs-viewer-count').payload.time") == minute
    assert page.errors == []
