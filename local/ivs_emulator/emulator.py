"""IvsEmulator: the Python API that tests and the offline run use to drive the emulated IVS."""

import logging
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from . import arns, errors
from .api import OPERATIONS, ControlPlane
from .faults import FaultInjector
from .media import LoadedMedia, MediaParameters, load_media
from .playback import PlaybackService, playback_path
from .quotas import SlidingWindowLimiter
from .server import EmulatorHttpServer
from .state import Audience, Channel, Registry

logger = logging.getLogger(__name__)

ACCOUNT_ID = re.compile(r"[0-9]{12}")
HEALTH_VALUES = ("HEALTHY", "STARVING", "UNKNOWN")
# How often the serving thread checks for stop(); it bounds how long stop() waits for it.
POLL_INTERVAL_SECONDS = 0.05


class IvsEmulator:
    """An Amazon IVS endpoint on 127.0.0.1 for boto3 (`endpoint_url`) and HLS players.

    Without media, start() only binds a socket and starts a thread. With media=True it first
    loads the test-pattern media, generating it with ffmpeg on the first run (see media.py).
    GetStream's viewerCount is the audience set with set_audience() plus the players that
    requested the channel's media playlist or a segment in the last 15 seconds. Each master
    playlist request starts a new player session (see playback.py).

    `media_parameters` changes the generated media, for example a shorter loop. `clock` replaces
    time.monotonic for the live timeline, quotas and viewer sessions, so that tests can move
    time forward without sleeping.
    """

    def __init__(
        self,
        media: bool = True,
        enforce_quotas: bool = True,
        account_id: str = "123456789012",
        media_cache_dir: str | Path | None = None,
        *,
        media_parameters: MediaParameters | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        if not ACCOUNT_ID.fullmatch(account_id):
            raise ValueError(f"account_id {account_id!r} is invalid: expected 12 digits")

        self.media_enabled = media
        self.media_cache_dir = media_cache_dir
        self.parameters = media_parameters or MediaParameters()
        self._clock = clock or time.monotonic
        wall_offset = time.time() - self._clock()
        self._stopping = threading.Event()
        self._registry = Registry(
            account_id,
            self._clock,
            lambda moment: moment + wall_offset,
            self.parameters.segment_seconds,
        )
        self._faults = FaultInjector(OPERATIONS)
        self._control_plane = ControlPlane(
            self._registry,
            SlidingWindowLimiter(self._clock),
            self._faults,
            lambda channel: self.playback_url(str(channel.arn)),
            enforce_quotas,
            self._stopping.wait,
        )
        self._server: EmulatorHttpServer | None = None
        self._thread: threading.Thread | None = None

    # Lifecycle.

    def start(self) -> "IvsEmulator":
        """Bind 127.0.0.1 on a free port and serve in background threads; returns self."""
        if self._server is not None:
            raise RuntimeError("the emulator is already started; call stop() first")

        media: LoadedMedia | None = None
        if self.media_enabled:
            media = load_media(self.parameters, self.media_cache_dir)
        playback = PlaybackService(self._registry, self.parameters, media)

        self._stopping.clear()
        self._server = EmulatorHttpServer(self._control_plane.handle, playback.handle)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": POLL_INTERVAL_SECONDS},
            name=f"ivs-emulator-{self._server.port}",
            daemon=True,
        )
        self._thread.start()
        logger.info(
            "IVS emulator listening on %s (media=%s)", self.endpoint_url, self.media_enabled
        )
        return self

    def stop(self) -> None:
        """Stop serving, close every connection and join all threads; safe to call twice."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return

        self._stopping.set()  # wakes requests that sleep in a latency fault
        server.shutdown()
        server.close_connections()
        server.server_close()
        thread.join()
        self._server = self._thread = None
        logger.info("IVS emulator stopped")

    def __enter__(self) -> "IvsEmulator":
        if self._server is None:
            self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    @property
    def endpoint_url(self) -> str:
        """The base URL for boto3's endpoint_url, such as http://127.0.0.1:PORT."""
        if self._server is None:
            raise RuntimeError("the emulator is not started; call start() first")
        return f"http://127.0.0.1:{self._server.port}"

    # Channels.

    def create_channel(
        self, name: str = "", region: str = "us-west-2", tags: dict[str, str] | None = None
    ) -> str:
        """Create an offline channel without going through the API and return its ARN."""
        if not re.fullmatch(r"[a-zA-Z0-9-_]{0,128}", name):
            raise ValueError(
                f"channel name {name!r} is invalid: use at most 128 letters, digits, - or _"
            )
        channel = self._registry.create_channel(region, name=name, tags=dict(tags or {}))
        return str(channel.arn)

    def set_live(self, arn: str, live: bool) -> None:
        """Start a new stream on the channel (True) or end the current one (False)."""
        self._channel(arn)
        self._registry.set_live(arn, live)

    def set_audience(self, arn: str, audience: Audience) -> None:
        """Set the synthetic viewers: an int, or a callable(seconds_since_live) -> int."""
        if not callable(audience) and (
            isinstance(audience, bool) or not isinstance(audience, int) or audience < 0
        ):
            raise ValueError(f"audience {audience!r} is invalid: pass an int >= 0 or a callable")
        self._channel(arn)
        self._registry.set_audience(arn, audience)

    def set_health(self, arn: str, health: str) -> None:
        """Set the health that GetStream and ListStreams report for the channel's live stream."""
        if health not in HEALTH_VALUES:
            raise ValueError(f"health {health!r} is invalid: expected one of {HEALTH_VALUES}")
        self._channel(arn)
        try:
            self._registry.set_health(arn, health)
        except errors.IvsApiError as error:
            raise ValueError(f"{error.message}; call set_live({arn!r}, True) first") from error

    def metadata(self, arn: str) -> list[str]:
        """Return every accepted PutMetadata payload of the channel, in order."""
        self._channel(arn)
        return self._registry.metadata(arn)

    def playback_url(self, arn: str) -> str:
        """Return the channel's master playlist URL."""
        self._channel(arn)
        return self.endpoint_url + playback_path(arn)

    def _channel(self, arn: str) -> Channel:
        arns.parse_channel_arn(arn)
        try:
            return self._registry.get(arn)
        except errors.IvsApiError as error:
            raise ValueError(
                f"channel {arn} does not exist in this emulator; create it with create_channel()"
            ) from error

    # Faults and counters.

    def inject_fault(
        self,
        operation: str,
        kind: str,
        times: int | None = 1,
        channel_arn: str | None = None,
        seconds: float | None = None,
    ) -> None:
        """Make the next `times` matching requests fail or slow down (None: until cleared).

        Kinds: "throttle" (429 ThrottlingException), "server_error" (500
        InternalServerException), "latency" (wait `seconds`, then reply normally),
        "not_broadcasting" (404 ChannelNotBroadcasting), "access_denied" (403
        AccessDeniedException) and "viewer_count_timeout" (viewerCount -1). With `channel_arn`
        the fault matches only requests that name that channel.
        """
        self._faults.add(operation, kind, times, channel_arn, seconds)

    def clear_faults(self) -> None:
        self._faults.clear()

    @property
    def calls(self) -> Counter:
        """Requests received per operation, including rejected ones (a copy)."""
        return self._control_plane.counters()[0]

    @property
    def throttled(self) -> Counter:
        """Requests rejected with 429 ThrottlingException per operation (a copy)."""
        return self._control_plane.counters()[1]
