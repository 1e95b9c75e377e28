"""The delivery retry policy, pure: (attempt, age, answer) → retry at t, or give up.

Exponential backoff with jitter, spanning at least three days by default (Mastodon: 16
retries over ~50 h; we keep trying for `retry_horizon`, 4 days), honouring Retry-After on
429/503. Permanent: 4xx other than 401 (may be a key-fetch race), 408, 425 (Too Early:
retry later, RFC 8470) and 429.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

RETRYABLE_4XX = frozenset({401, 408, 425, 429})


@dataclass(frozen=True)
class RetryPolicy:
    base_delay: float = 60.0
    max_delay: float = 6 * 3600
    horizon: float = 4 * 24 * 3600
    jitter: float = 0.2
    max_retry_after: float = 6 * 3600


@dataclass(frozen=True)
class Outcome:
    """What to do with a delivery after an attempt."""

    action: str  # "delivered" | "retry" | "give_up" | "gone"
    delay: float = 0.0
    reason: str = ""


def classify(status: int) -> str:
    if 200 <= status < 300:
        return "delivered"
    if status == 410:
        return "gone"
    if status == 0 or status >= 500 or status in RETRYABLE_4XX:
        return "retry"
    if 300 <= status < 400:
        return "give_up"  # redirects on POST are not followed
    return "give_up"


def backoff(policy: RetryPolicy, attempt: int, rng: random.Random | None = None) -> float:
    """Delay before attempt `attempt + 1` (attempt counts from 1)."""
    raw = min(policy.max_delay, policy.base_delay * (2 ** max(0, attempt - 1)))
    r = (rng or random).uniform(-policy.jitter, policy.jitter)
    return max(0.0, raw * (1 + r))


def decide(
    policy: RetryPolicy,
    *,
    status: int,
    attempt: int,
    age: float,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> Outcome:
    kind = classify(status)
    if kind == "delivered":
        return Outcome("delivered")
    if kind == "gone":
        return Outcome("gone", reason=f"HTTP {status}")
    if kind == "give_up":
        return Outcome("give_up", reason=f"HTTP {status} is permanent")
    delay = backoff(policy, attempt, rng)
    if retry_after is not None and status in (429, 503):
        delay = max(delay, min(retry_after, policy.max_retry_after))
    if age + delay > policy.horizon:
        return Outcome("give_up", reason=f"still failing after {age / 3600:.1f} h")
    return Outcome("retry", delay=delay, reason=f"HTTP {status}" if status else "network error")


def schedule_span(policy: RetryPolicy) -> tuple[int, float]:
    """(number of attempts, seconds) the policy spans without jitter: for docs and tests."""
    t, n = 0.0, 1
    while True:
        d = min(policy.max_delay, policy.base_delay * (2 ** (n - 1)))
        if t + d > policy.horizon:
            return n, t
        t += d
        n += 1
