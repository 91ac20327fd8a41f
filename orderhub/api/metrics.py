"""Prometheus metrics served at /metrics: HTTP traffic, orders received, the outbox backlog.

Counters live in this process (run one scrape target per `orderhub serve` process); the outbox
gauge is counted in the database at scrape time, so every process reports the same backlog.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import (CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram,
                               PlatformCollector, ProcessCollector, generate_latest)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from starlette.responses import Response

from orderhub.core.db import unit_of_work
from orderhub.core.models import OutboxEvent

# Our own registry, so building the app twice (tests, `demo`) never registers a metric twice.
REGISTRY = CollectorRegistry()
ProcessCollector(registry=REGISTRY)
PlatformCollector(registry=REGISTRY)

HTTP_REQUESTS = Counter("orderhub_http_requests", "HTTP requests answered, by route template.",
                        ["method", "route", "status"], registry=REGISTRY)
HTTP_LATENCY = Histogram("orderhub_http_request_duration_seconds",
                         "Time to answer an HTTP request, by route template.",
                         ["method", "route"], registry=REGISTRY)
ORDERS_RECEIVED = Counter("orderhub_orders_received",
                          "Orders received through the API: created new, or updated by a re-send.",
                          ["result"], registry=REGISTRY)

OUTBOX_STATUSES = ("pending", "processing", "done", "dead")


class OutboxBacklog(Collector):
    """Outbox events by delivery status, counted when scraped (a growing `dead` needs a person)."""

    def describe(self) -> Iterator[GaugeMetricFamily]:
        # Declared without a query, so registering the collector does not touch the database.
        yield self._family()

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = self._family()
        with unit_of_work() as session:
            rows = session.execute(select(OutboxEvent.status, func.count())
                                   .group_by(OutboxEvent.status)).all()
        counts = {status: count for status, count in rows}
        for status in sorted(set(OUTBOX_STATUSES) | set(counts)):
            family.add_metric([status], counts.get(status, 0))
        yield family

    @staticmethod
    def _family() -> GaugeMetricFamily:
        return GaugeMetricFamily("orderhub_outbox_events", "Outbox events by delivery status.",
                                 labels=["status"])


REGISTRY.register(OutboxBacklog())


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    HTTP_REQUESTS.labels(method, route, str(status)).inc()
    HTTP_LATENCY.labels(method, route).observe(seconds)


def count_order_received(*, created: bool) -> None:
    ORDERS_RECEIVED.labels("created" if created else "updated").inc()


def scrape() -> Response:
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
