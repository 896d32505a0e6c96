"""Signals monitoring sends for the apps above it (SPC), so monitoring imports none of them."""

from django.dispatch import Signal

# Sent after new events were stored (inside the transaction; receivers defer with on_commit),
# with `project` and `series`: a set of (model, environment, source, has_ttft) tuples, and for
# probe events `probe_ids`: the probes they came from.
# Sent by the one write path of events (monitoring.ingest.service.store_events), for REST and
# OTLP ingest and probe runs alike. Duplicates that were not stored do not count.
events_recorded = Signal()
