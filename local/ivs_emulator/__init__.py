"""An Amazon IVS emulator for offline tests: the control plane for boto3 and HLS playback.

    from local.ivs_emulator import IvsEmulator

    with IvsEmulator(media=False) as emulator:
        arn = emulator.create_channel(name="demo", region="us-west-2")
        emulator.set_live(arn, True)
        client = boto3.client("ivs", region_name="us-west-2", endpoint_url=emulator.endpoint_url)
        client.get_stream(channelArn=arn)

check.py verifies segments that a test fetched: `verify_timed_metadata` and `verify_continuity`.
"""

from .check import SegmentCheckError, read_timed_metadata, verify_continuity, verify_timed_metadata
from .emulator import IvsEmulator
from .media import MediaParameters

__all__ = [
    "IvsEmulator",
    "MediaParameters",
    "SegmentCheckError",
    "read_timed_metadata",
    "verify_continuity",
    "verify_timed_metadata",
]
