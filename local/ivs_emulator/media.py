"""Test-pattern media: generated once with ffmpeg, cached on disk, loaded as frames.

ffmpeg encodes a loop of `loop_segments` segments as raw H.264 (constrained baseline, no
B-frames, one IDR per segment, access unit delimiters) and raw ADTS AAC. The emulator then muxes
every segment itself (see segments.py), so the loop repeats with continuous timestamps and needs
no EXT-X-DISCONTINUITY.
"""

import hashlib
import json
import logging
import os
import shutil
import subprocess
import tempfile
import threading
from dataclasses import asdict, dataclass
from pathlib import Path

from . import elementary

logger = logging.getLogger(__name__)

FFMPEG = "/usr/bin/ffmpeg"
FFMPEG_TIMEOUT_SECONDS = 120
DEFAULT_CACHE_DIR = Path(__file__).resolve().parent.parent / ".media-cache"
VIDEO_FILE = "video.h264"
AUDIO_FILE = "audio.aac"
PARAMETERS_FILE = "parameters.json"
# Bump when the files or their meaning change, so that old cache entries are not reused.
CACHE_FORMAT_VERSION = 1
TS_OVERHEAD = 1.1


class MediaError(RuntimeError):
    """Media that could not be generated or loaded."""


@dataclass(frozen=True)
class MediaParameters:
    """Generation parameters of the looped test pattern; the cache is keyed by all of them."""

    width: int = 320
    height: int = 180
    frame_rate: int = 25
    segment_seconds: int = 2
    loop_segments: int = 4
    video_kbps: int = 300
    audio_kbps: int = 64
    sample_rate: int = 48000
    tone_hz: int = 440

    def __post_init__(self) -> None:
        if 90_000 % self.frame_rate:
            raise ValueError(
                f"frame_rate {self.frame_rate} must divide 90000 so that frames fall on whole "
                "90 kHz ticks; use 24, 25 or 30"
            )
        if self.sample_rate not in elementary.ADTS_SAMPLE_RATES:
            raise ValueError(f"sample_rate {self.sample_rate} is not an AAC sampling rate")
        for name in ("width", "height", "segment_seconds", "loop_segments", "video_kbps"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} is {getattr(self, name)}, expected a positive integer")

    @property
    def loop_seconds(self) -> int:
        return self.segment_seconds * self.loop_segments

    @property
    def frames_per_segment(self) -> int:
        return self.frame_rate * self.segment_seconds

    @property
    def loop_audio_frames(self) -> int:
        """AAC frames played per loop; the loop's audio repeats after this many frames."""
        return self.loop_seconds * self.sample_rate // elementary.AAC_FRAME_SAMPLES

    def ffmpeg_arguments(self, directory: Path, ffmpeg: str = FFMPEG) -> list[str]:
        """Return the ffmpeg command line that writes the loop's two files into `directory`."""
        duration = str(self.loop_seconds)
        keyframe_interval = str(self.frames_per_segment)
        return [
            ffmpeg,
            "-hide_banner",
            "-nostdin",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            f"testsrc2=size={self.width}x{self.height}:rate={self.frame_rate}:duration={duration}",
            "-f",
            "lavfi",
            "-i",
            f"sine=frequency={self.tone_hz}:sample_rate={self.sample_rate}:duration={duration}",
            "-map",
            "0:v",
            "-c:v",
            "libx264",
            "-profile:v",
            "baseline",
            "-preset",
            "veryfast",
            "-pix_fmt",
            "yuv420p",
            "-g",
            keyframe_interval,
            "-keyint_min",
            keyframe_interval,
            "-sc_threshold",
            "0",
            "-bf",
            "0",
            "-b:v",
            f"{self.video_kbps}k",
            "-maxrate",
            f"{self.video_kbps}k",
            "-bufsize",
            f"{2 * self.video_kbps}k",
            "-x264-params",
            "aud=1:repeat-headers=1",
            "-f",
            "h264",
            str(directory / VIDEO_FILE),
            "-map",
            "1:a",
            "-c:a",
            "aac",
            "-b:a",
            f"{self.audio_kbps}k",
            "-ac",
            "1",
            "-f",
            "adts",
            str(directory / AUDIO_FILE),
        ]

    def cache_key(self) -> str:
        """Return a short hash of the parameters, the ffmpeg arguments and the cache format."""
        description = {
            "version": CACHE_FORMAT_VERSION,
            "parameters": asdict(self),
            "arguments": self.ffmpeg_arguments(Path("OUT"), "ffmpeg"),
        }
        encoded = json.dumps(description, sort_keys=True).encode()
        return hashlib.sha256(encoded).hexdigest()[:16]


@dataclass(frozen=True)
class LoadedMedia:
    """The loop's frames, ready to mux, with what the master playlist announces."""

    parameters: MediaParameters
    video: tuple[elementary.AccessUnit, ...]
    audio: tuple[bytes, ...]
    video_codec: str
    audio_codec: str
    bandwidth: int


_loaded: dict[tuple[Path, str], LoadedMedia] = {}
_loaded_lock = threading.Lock()


def load_media(
    parameters: MediaParameters, cache_dir: Path | None = None, ffmpeg: str = FFMPEG
) -> LoadedMedia:
    """Return the loop for `parameters`, generating it into `cache_dir` on first use.

    Media loaded once stays in memory for the process, so emulators that share parameters and
    cache directory start without reading the files again.
    """
    directory = Path(cache_dir or DEFAULT_CACHE_DIR).resolve()
    key = parameters.cache_key()
    with _loaded_lock:
        if (directory, key) not in _loaded:
            entry = directory / key
            if not (entry / PARAMETERS_FILE).is_file():
                generate(parameters, directory, key, ffmpeg)
            _loaded[(directory, key)] = read_media(parameters, entry)
        return _loaded[(directory, key)]


def generate(parameters: MediaParameters, directory: Path, key: str, ffmpeg: str) -> None:
    """Run ffmpeg into a temporary directory, then rename it to the cache entry.

    The rename is atomic, so a process that reads the cache never reads half-written files, and
    two processes that generate the same entry at once both end up with a complete one.
    """
    if not Path(ffmpeg).is_file():
        raise MediaError(
            f"ffmpeg not found at {ffmpeg}; install Debian's ffmpeg package or create the "
            "emulator with media=False"
        )
    directory.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=directory))
    try:
        run_ffmpeg(parameters.ffmpeg_arguments(staging, ffmpeg))
        (staging / PARAMETERS_FILE).write_text(json.dumps(asdict(parameters), indent=2) + "\n")
        try:
            os.rename(staging, directory / key)
        except OSError:
            if not (directory / key / PARAMETERS_FILE).is_file():
                raise
            logger.info("media cache entry %s was written by another process", key)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    logger.info("generated test-pattern media in %s", directory / key)


def run_ffmpeg(arguments: list[str]) -> None:
    logger.info("generating test-pattern media: %s", " ".join(arguments))
    try:
        result = subprocess.run(
            arguments, capture_output=True, text=True, timeout=FFMPEG_TIMEOUT_SECONDS, check=False
        )
    except subprocess.TimeoutExpired as error:
        raise MediaError(f"ffmpeg timed out after {FFMPEG_TIMEOUT_SECONDS} s") from error
    if result.returncode != 0:
        raise MediaError(
            f"ffmpeg failed with exit code {result.returncode}: {result.stderr[-2000:]}"
        )


def read_media(parameters: MediaParameters, entry: Path) -> LoadedMedia:
    """Read and check a cache entry: frame counts, one IDR per segment and AAC-LC audio."""
    video = elementary.split_access_units((entry / VIDEO_FILE).read_bytes())
    audio = elementary.split_adts_frames((entry / AUDIO_FILE).read_bytes())
    check_video(parameters, video, entry)
    audio = check_audio(parameters, audio, entry)

    return LoadedMedia(
        parameters=parameters,
        video=tuple(video),
        audio=tuple(audio),
        video_codec=elementary.avc_codec_string(video[0].data),
        audio_codec="mp4a.40.2",
        bandwidth=peak_bandwidth(parameters, video, audio),
    )


def check_video(
    parameters: MediaParameters, video: list[elementary.AccessUnit], entry: Path
) -> None:
    expected = parameters.frames_per_segment * parameters.loop_segments
    if len(video) != expected:
        raise MediaError(f"{entry / VIDEO_FILE} has {len(video)} frames, expected {expected}")

    for index, unit in enumerate(video):
        should_be_keyframe = index % parameters.frames_per_segment == 0
        if unit.keyframe != should_be_keyframe:
            raise MediaError(
                f"{entry / VIDEO_FILE} frame {index} keyframe={unit.keyframe}, but segments need "
                f"an IDR exactly every {parameters.frames_per_segment} frames; delete the entry "
                "to regenerate it"
            )


def check_audio(parameters: MediaParameters, audio: list[bytes], entry: Path) -> list[bytes]:
    """Return the loop's audio frames: the encoder's trailing frames beyond the loop are cut."""
    header = elementary.parse_adts_header(audio[0])
    if header.object_type != elementary.AAC_LC_OBJECT_TYPE or header.sample_rate != (
        parameters.sample_rate
    ):
        raise MediaError(
            f"{entry / AUDIO_FILE} is AAC object type {header.object_type} at "
            f"{header.sample_rate} Hz, expected AAC-LC (2) at {parameters.sample_rate} Hz"
        )

    needed = parameters.loop_audio_frames
    if len(audio) < needed:
        raise MediaError(f"{entry / AUDIO_FILE} has {len(audio)} AAC frames, expected {needed}")
    return audio[:needed]


def peak_bandwidth(
    parameters: MediaParameters, video: list[elementary.AccessUnit], audio: list[bytes]
) -> int:
    """Return an estimate of the peak segment bitrate for BANDWIDTH, in bits per second.

    It takes the largest segment's video bytes plus the average audio bytes per segment and adds
    10 % for TS and PES headers.
    """
    frames = parameters.frames_per_segment
    video_bytes = max(
        sum(len(unit.data) for unit in video[start : start + frames])
        for start in range(0, len(video), frames)
    )
    audio_bytes = sum(len(frame) for frame in audio) / parameters.loop_segments
    return int((video_bytes + audio_bytes) * 8 * TS_OVERHEAD / parameters.segment_seconds)
