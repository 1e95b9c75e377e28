"""The instance's Prometheus metrics (issue 17 item 5), with prometheus-client.

One registry per Runtime, not the library's global one: tests run several instances in one
process, and each must count only its own traffic. Counters and histograms are updated
where things happen (the inbox accept path adds one counter increment and nothing else);
queue gauges are set from the database when /metrics is scraped (`web/metrics_server.py`).
Label values stay low-cardinality: route templates, reasons named after error classes,
outcomes; `domain` grows with the peers an instance delivers to (docs/operations.md).
"""

from __future__ import annotations

import re

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

# Seconds: from a fast inbox (ms) to a backlog (hours).
LAG_BUCKETS = (0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 4 * 3600)
HTTP_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10)

_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def reason_of(exc: BaseException) -> str:
    """`SignatureRejected` → `signature_rejected`: a bounded set, one per error class."""
    return _CAMEL.sub("_", type(exc).__name__).lower()


class Metrics:
    def __init__(self) -> None:
        r = self.registry = CollectorRegistry()
        self.inbox_accepted = Counter(
            "fedivoisin_inbox_accepted",
            "Inbox POSTs accepted and queued (202)",
            registry=r,
        )
        self.inbox_not_queued = Counter(
            "fedivoisin_inbox_not_queued",
            "Inbox POSTs answered 202 but not queued: a duplicate of an activity already"
            " received, or a deleted actor's own Delete dropped quietly",
            registry=r,
        )
        self.inbox_refused = Counter(
            "fedivoisin_inbox_refused",
            "Inbox POSTs refused, by reason (the error class)",
            ["reason"],
            registry=r,
        )
        self.inbox_processed = Counter(
            "fedivoisin_inbox_processed",
            "Received activities processed by the inbox worker, by outcome",
            ["outcome"],
            registry=r,
        )
        self.inbox_lag = Histogram(
            "fedivoisin_inbox_processing_lag_seconds",
            "Time from an activity's receipt to the end of its processing",
            buckets=LAG_BUCKETS,
            registry=r,
        )
        self.inbox_last_processed = Gauge(
            "fedivoisin_inbox_last_processed_timestamp_seconds",
            "When this process last finished processing a received activity (epoch)",
            registry=r,
        )
        self.deliveries = Counter(
            "fedivoisin_deliveries",
            "Delivery attempts, by outcome (delivered, retry, failed) and domain",
            ["outcome", "domain"],
            registry=r,
        )
        self.http_latency = Histogram(
            "fedivoisin_http_request_duration_seconds",
            "HTTP request latency by method, route template and status class (inbox POSTs"
            " excepted: they take the fast path)",
            ["method", "route", "status"],
            buckets=HTTP_BUCKETS,
            registry=r,
        )
        # Set at scrape time from the database (web/metrics_server.py).
        self.inbox_queue_depth = Gauge(
            "fedivoisin_inbox_queue_depth",
            "Received activities waiting to be processed",
            registry=r,
        )
        self.inbox_queue_oldest = Gauge(
            "fedivoisin_inbox_queue_oldest_age_seconds",
            "Age of the oldest received activity still waiting (0 when none)",
            registry=r,
        )
        self.delivery_queue_depth = Gauge(
            "fedivoisin_delivery_queue_depth",
            "Deliveries waiting to be sent (first attempt or retry)",
            registry=r,
        )
        self.delivery_queue_oldest = Gauge(
            "fedivoisin_delivery_queue_oldest_age_seconds",
            "Age of the oldest delivery still waiting (0 when none)",
            registry=r,
        )
        self.breaker_open = Gauge(
            "fedivoisin_delivery_breaker_open",
            "1: the domain is marked unavailable and nothing is sent to it until it talks to"
            " us again; 0: failing, still tried (only failing domains are listed)",
            ["domain"],
            registry=r,
        )
        self.failing_days = Gauge(
            "fedivoisin_delivery_failing_days",
            "Distinct days on which deliveries to the domain failed (unavailable at the"
            " unavailable_after_days setting)",
            ["domain"],
            registry=r,
        )
        self.inbox_refused_by = self.inbox_refused.labels  # bound once: no lookups per call
