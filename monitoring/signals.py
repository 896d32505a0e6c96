"""Signals monitoring sends for the apps above it (SPC), so monitoring imports none of them."""

from django.dispatch import Signal

# Sent after new events were stored (inside the transaction; receivers defer with on_commit),
# with `project` and `series`: a set of (model, environment, source, has_ttft) tuples.
# Sent by every writer of events: REST and OTLP ingest (monitoring.ingest.service) and events
# saved one by one through the ORM (monitoring.rollups). Duplicates that were not stored do
# not count.
events_recorded = Signal()
