"""Retry classification, bounded retries and the quota pacer, on fake clocks."""

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, SSLError

from handler.retry import (
    Deadline,
    DeadlineExceededError,
    RateLimiter,
    call_with_retry,
    is_retryable,
)


class FakeClock:
    def __init__(self):
        self.now = 100.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def client_error(code, status):
    return ClientError(
        {"Error": {"Code": code, "Message": code}, "ResponseMetadata": {"HTTPStatusCode": status}},
        "PutMetadata",
    )


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (client_error("ThrottlingException", 429), True),
        (client_error("ProvisionedThroughputExceededException", 400), True),
        (client_error("InternalServerException", 500), True),
        (client_error("ServiceUnavailable", 503), True),
        (EndpointConnectionError(endpoint_url="http://127.0.0.1:9"), True),
        (SSLError(endpoint_url="https://127.0.0.1:9", error="handshake"), True),
        (client_error("RequestTimeout", 400), True),
        (client_error("SlowDown", 503), True),
        (client_error("Throttling", 400), True),
        (client_error("ValidationException", 400), False),
        (client_error("ResourceNotFoundException", 404), False),
        (client_error("AccessDeniedException", 403), False),
        (ValueError("bug"), False),
    ],
)
def test_is_retryable(error, expected):
    assert is_retryable(error) is expected


def test_retry_until_success():
    clock = FakeClock()
    outcomes = [client_error("ThrottlingException", 429), client_error("ThrottlingException", 429)]

    def operation():
        if outcomes:
            raise outcomes.pop()
        return "done"

    assert call_with_retry(operation, Deadline(10, clock), sleep=clock.sleep) == "done"
    assert len(clock.sleeps) == 2


def test_retry_stops_at_attempt_limit():
    clock = FakeClock()
    attempts = []

    def operation():
        attempts.append(1)
        raise client_error("ThrottlingException", 429)

    with pytest.raises(ClientError):
        call_with_retry(operation, Deadline(1000, clock), max_attempts=4, sleep=clock.sleep)
    assert len(attempts) == 4


def test_no_retry_for_client_mistake():
    attempts = []

    def operation():
        attempts.append(1)
        raise client_error("ValidationException", 400)

    with pytest.raises(ClientError):
        call_with_retry(operation, Deadline(10))
    assert attempts == [1]


def test_no_retry_past_deadline():
    clock = FakeClock()
    attempts = []

    def operation():
        attempts.append(1)
        raise client_error("ThrottlingException", 429)

    with pytest.raises(ClientError):
        call_with_retry(operation, Deadline(0.0001, clock), sleep=clock.sleep)
    assert attempts == [1]


def test_pacer_spaces_calls_evenly():
    clock = FakeClock()
    limiter = RateLimiter(5, clock=clock)
    deadline = Deadline(60, clock)
    starts = []

    for _ in range(11):
        limiter.acquire(deadline, sleep=clock.sleep)
        starts.append(clock.now)

    gaps = [later - earlier for earlier, later in zip(starts, starts[1:], strict=False)]
    assert all(gap == pytest.approx(1.1 / 5) for gap in gaps)
    # No window of one second contains more than 5 starts.
    for index, start in enumerate(starts):
        assert sum(1 for other in starts[index:] if other - start < 1.0) <= 5


def test_pacer_rejects_slot_past_deadline():
    clock = FakeClock()
    limiter = RateLimiter(1, clock=clock)
    deadline = Deadline(0.5, clock)
    limiter.acquire(deadline, sleep=clock.sleep)

    with pytest.raises(DeadlineExceededError):
        limiter.acquire(deadline, sleep=clock.sleep)
