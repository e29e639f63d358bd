"""Start, stop, thread safety and argument checks of the IvsEmulator Python API."""

import threading
import urllib.error
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from local.ivs_emulator import IvsEmulator, MediaParameters
from local.ivs_emulator.media import load_media

from .conftest import PAYLOAD, REGION, fetch, make_client


def test_endpoint_on_loopback(ivs_emulator):
    assert ivs_emulator.endpoint_url.startswith("http://127.0.0.1:")


def test_playback_url_on_endpoint(ivs_emulator, ivs_emulator_live_channel):
    url = ivs_emulator.playback_url(ivs_emulator_live_channel)

    assert url.startswith(ivs_emulator.endpoint_url + "/playback/us-west-2/123456789012/")
    assert url.endswith(".m3u8")


def test_stop_closes_socket():
    emulator = IvsEmulator(media=False).start()
    url = emulator.endpoint_url
    emulator.stop()

    with pytest.raises(urllib.error.URLError):
        fetch(url + "/playback/none")


def test_stop_with_open_connection():
    emulator = IvsEmulator(media=False).start()
    arn = emulator.create_channel(name="kept-alive")
    emulator.set_live(arn, True)
    client = make_client(emulator)
    client.get_stream(channelArn=arn)  # leaves a keep-alive connection open

    emulator.stop()

    assert not [t for t in threading.enumerate() if t.name.startswith("ivs-emulator-")]


def test_stop_interrupts_latency_fault():
    emulator = IvsEmulator(media=False).start()
    arn = emulator.create_channel(name="slow")
    emulator.set_live(arn, True)
    emulator.inject_fault(operation="GetStream", kind="latency", seconds=60, times=None)
    client = make_client(emulator, read_timeout=120)

    def call():
        # The reply may arrive or the connection may close; either way the call returns.
        try:
            client.get_stream(channelArn=arn)
        except Exception:
            pass

    caller = threading.Thread(target=call)
    caller.start()
    while emulator.calls["GetStream"] == 0:
        threading.Event().wait(0.01)

    # Without the interruption, stop() would wait for the 60 s delay to end.
    stopper = threading.Thread(target=emulator.stop)
    stopper.start()
    stopper.join(timeout=20)
    caller.join(timeout=20)

    assert not stopper.is_alive()
    assert not caller.is_alive()


def test_stop_twice_is_harmless():
    emulator = IvsEmulator(media=False).start()
    emulator.stop()

    emulator.stop()


def test_start_twice_rejected(ivs_emulator):
    with pytest.raises(RuntimeError, match="already started"):
        ivs_emulator.start()


def test_endpoint_before_start_rejected():
    emulator = IvsEmulator(media=False)

    with pytest.raises(RuntimeError, match="start"):
        _ = emulator.endpoint_url


def test_context_manager_starts_and_stops():
    with IvsEmulator(media=False) as emulator:
        url = emulator.endpoint_url

    with pytest.raises(urllib.error.URLError):
        fetch(url + "/playback/none")


@pytest.mark.parametrize(
    ("method", "arguments", "message"),
    [
        ("create_channel", {"name": "has space"}, "name"),
        ("create_channel", {"region": "Mars"}, "region"),
        ("set_live", {"arn": "nope", "live": True}, "invalid channel ARN"),
        (
            "set_live",
            {"arn": "arn:aws:ivs:us-west-2:123456789012:channel/AAAAAAAAAAAA", "live": True},
            "create_channel",
        ),
        ("set_audience", {"audience": -1}, "audience"),
        ("set_audience", {"audience": 2.5}, "audience"),
        ("set_health", {"health": "GREAT"}, "health"),
    ],
)
def test_python_api_rejects_bad_arguments(ivs_emulator, method, arguments, message):
    if "arn" not in arguments and method != "create_channel":
        arguments = {"arn": ivs_emulator.create_channel(name="x"), **arguments}

    with pytest.raises(ValueError, match=message):
        getattr(ivs_emulator, method)(**arguments)


def test_set_health_needs_live_stream(ivs_emulator):
    arn = ivs_emulator.create_channel(name="offline")

    with pytest.raises(ValueError, match="set_live"):
        ivs_emulator.set_health(arn, "STARVING")


def test_concurrent_calls_counted_exactly():
    with IvsEmulator(media=False, enforce_quotas=False) as emulator:
        arns = []
        for index in range(20):
            arn = emulator.create_channel(name=f"c{index}", region=REGION)
            emulator.set_live(arn, True)
            emulator.set_audience(arn, index)
            arns.append(arn)
        clients = threading.local()

        def poll(arn):
            # boto3 clients are thread-safe, but each worker gets its own as the poller does.
            if not hasattr(clients, "ivs"):
                clients.ivs = make_client(emulator)
            viewers = clients.ivs.get_stream(channelArn=arn)["stream"]["viewerCount"]
            clients.ivs.put_metadata(channelArn=arn, metadata=f"{viewers}")
            return viewers

        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(poll, arns * 3))

        assert results == list(range(20)) * 3
        assert emulator.calls == Counter({"GetStream": 60, "PutMetadata": 60})
        assert all(emulator.metadata(arn) == [str(index)] * 3 for index, arn in enumerate(arns))


def test_media_cache_reused(tmp_path):
    parameters = MediaParameters(loop_segments=1)

    first = load_media(parameters, tmp_path)
    entries = sorted(path.name for path in tmp_path.iterdir())
    second = load_media(parameters, tmp_path)

    assert second is first
    assert entries == [parameters.cache_key()]
    assert len(first.video) == 50


def test_media_cache_key_follows_parameters():
    assert MediaParameters().cache_key() != MediaParameters(loop_segments=5).cache_key()


def test_media_parameters_checked():
    with pytest.raises(ValueError, match="frame_rate"):
        MediaParameters(frame_rate=7)


def test_media_emulator_serves_metadata(ivs_emulator_media_dir):
    with IvsEmulator(media=True, media_cache_dir=ivs_emulator_media_dir) as emulator:
        arn = emulator.create_channel(name="media", region=REGION)
        emulator.set_live(arn, True)
        make_client(emulator).put_metadata(channelArn=arn, metadata=PAYLOAD)

        assert emulator.metadata(arn) == [PAYLOAD]
