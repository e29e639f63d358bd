"""IVS API errors as the rest-json protocol sends them, so boto3 raises the modeled exception."""

import json

# HTTP status of each error code, from the error shapes of botocore's "ivs" 2020-07-14 model.
ERROR_STATUS = {
    "AccessDeniedException": 403,
    "ChannelNotBroadcasting": 404,
    "ConflictException": 409,
    "InternalServerException": 500,
    "ResourceNotFoundException": 404,
    "ServiceQuotaExceededException": 402,
    "ThrottlingException": 429,
    "ValidationException": 400,
    # Not modeled: what AWS services return for a path that names no operation.
    "UnknownOperationException": 404,
}


class IvsApiError(Exception):
    """An error response of the emulated IVS API."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = ERROR_STATUS[code]

    def body(self) -> bytes:
        """Return the JSON body with `message`, which botocore reads, and `exceptionMessage`,
        which the model defines."""
        return json.dumps({"message": self.message, "exceptionMessage": self.message}).encode()


def validation(message: str) -> IvsApiError:
    return IvsApiError("ValidationException", message)


def not_found(message: str) -> IvsApiError:
    return IvsApiError("ResourceNotFoundException", message)


def not_broadcasting(channel_arn: str) -> IvsApiError:
    return IvsApiError("ChannelNotBroadcasting", f"channel {channel_arn} is not live")


def throttled(message: str) -> IvsApiError:
    return IvsApiError("ThrottlingException", message)
