"""The delivery retry policy (fedivoisin/outbox/retry.py) is pure: no clock, no network."""

from __future__ import annotations

import random

import pytest

from fedivoisin.config import Settings
from fedivoisin.outbox.retry import RetryPolicy, backoff, classify, decide, schedule_span

DAY = 24 * 3600
DEFAULT = RetryPolicy()


def policy_of(settings: Settings) -> RetryPolicy:
    """The policy the delivery worker builds from the settings."""
    return RetryPolicy(
        base_delay=settings.retry_base_delay,
        max_delay=settings.retry_max_delay,
        horizon=settings.retry_horizon,
        jitter=settings.retry_jitter,
    )


@pytest.mark.parametrize("policy", [DEFAULT, policy_of(Settings())], ids=["class", "settings"])
def test_the_default_schedule_keeps_trying_for_at_least_three_days(policy: RetryPolicy) -> None:
    attempts, span = schedule_span(policy)
    assert span >= 3 * DAY
    assert span <= policy.horizon
    assert attempts >= 10  # more than a handful of tries over those days


def test_schedule_span_matches_the_backoff_without_jitter() -> None:
    p = RetryPolicy(base_delay=10, max_delay=100, horizon=1000, jitter=0)
    # delays 10, 20, 40, 80, 100, 100, ... ; the sum stays within the horizon
    attempts, span = schedule_span(p)
    delays = [backoff(p, n) for n in range(1, attempts)]
    assert delays[:5] == [10, 20, 40, 80, 100]
    assert sum(delays) == span <= 1000 < span + 100


@pytest.mark.parametrize("status", [200, 201, 202, 204])
def test_2xx_is_delivered(status: int) -> None:
    assert decide(DEFAULT, status=status, attempt=1, age=0).action == "delivered"


def test_410_means_the_inbox_is_gone() -> None:
    outcome = decide(DEFAULT, status=410, attempt=1, age=0)
    assert outcome.action == "gone"
    assert "410" in outcome.reason


@pytest.mark.parametrize(
    "status", [s for s in range(400, 500) if s not in (401, 408, 410, 425, 429)]
)
def test_4xx_other_than_401_408_425_429_are_permanent(status: int) -> None:
    assert classify(status) == "give_up"
    outcome = decide(DEFAULT, status=status, attempt=1, age=0)
    assert outcome.action == "give_up"
    assert str(status) in outcome.reason


@pytest.mark.parametrize("status", [0, 401, 408, 425, 429, 500, 502, 503, 504, 599])
def test_network_errors_401_408_425_429_and_5xx_are_retried(status: int) -> None:
    """401 may be our key not fetched yet; 425 Too Early means "retry later" (RFC 8470)."""
    outcome = decide(DEFAULT, status=status, attempt=1, age=0, rng=random.Random(1))
    assert outcome.action == "retry"
    assert outcome.delay > 0


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_redirects_on_post_are_not_followed_and_not_retried(status: int) -> None:
    assert decide(DEFAULT, status=status, attempt=1, age=0).action == "give_up"


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_is_honoured_on_429_and_503(status: int) -> None:
    p = RetryPolicy(base_delay=60, jitter=0.2)
    outcome = decide(p, status=status, attempt=1, age=0, retry_after=3600, rng=random.Random(2))
    assert outcome.action == "retry"
    assert outcome.delay >= 3600
    # a Retry-After shorter than the backoff does not make us hurry
    short = decide(p, status=status, attempt=5, age=0, retry_after=1, rng=random.Random(2))
    assert short.delay == backoff(p, 5, random.Random(2)) > 1


def test_retry_after_is_capped() -> None:
    p = RetryPolicy(max_retry_after=6 * 3600)
    outcome = decide(p, status=429, attempt=1, age=0, retry_after=2 * DAY, rng=random.Random(3))
    assert outcome.action == "retry"
    assert outcome.delay == 6 * 3600


def test_retry_after_on_other_statuses_is_ignored() -> None:
    p = RetryPolicy(base_delay=60, jitter=0)
    assert decide(p, status=500, attempt=1, age=0, retry_after=3600).delay == 60


def test_jitter_stays_within_its_bounds() -> None:
    rng = random.Random(4)
    for jitter in (0.0, 0.1, 0.2, 0.5):
        p = RetryPolicy(base_delay=60, max_delay=6 * 3600, jitter=jitter)
        for attempt in range(1, 25):
            raw = min(p.max_delay, p.base_delay * 2 ** (attempt - 1))
            seen = [backoff(p, attempt, rng) for _ in range(200)]
            assert all(raw * (1 - jitter) <= d <= raw * (1 + jitter) for d in seen)
            if jitter:  # it does spread retries out
                assert max(seen) - min(seen) > raw * jitter / 2


def test_backoff_grows_exponentially_up_to_the_cap() -> None:
    p = RetryPolicy(base_delay=60, max_delay=3600, jitter=0)
    assert [backoff(p, n) for n in range(1, 9)] == [60, 120, 240, 480, 960, 1920, 3600, 3600]


def test_gives_up_once_the_next_try_would_pass_the_horizon() -> None:
    p = RetryPolicy(base_delay=60, max_delay=6 * 3600, horizon=4 * DAY, jitter=0)
    assert decide(p, status=503, attempt=20, age=4 * DAY - 6 * 3600).action == "retry"
    outcome = decide(p, status=503, attempt=20, age=4 * DAY - 60)
    assert outcome.action == "give_up"
    assert "h" in outcome.reason
    # a Retry-After beyond the horizon ends it too
    assert decide(p, status=429, attempt=1, age=4 * DAY - 600, retry_after=3600).action == (
        "give_up"
    )


def test_a_host_that_never_answers_is_tried_for_three_to_four_days_then_dropped() -> None:
    """Run the default policy against a dead host with jitter, as the worker would."""
    rng = random.Random(5)
    age, attempt = 0.0, 1
    while True:
        outcome = decide(DEFAULT, status=0, attempt=attempt, age=age, rng=rng)
        if outcome.action != "retry":
            break
        age += outcome.delay
        attempt += 1
    assert outcome.action == "give_up"
    assert 3 * DAY <= age <= DEFAULT.horizon
    assert 10 <= attempt <= 40
