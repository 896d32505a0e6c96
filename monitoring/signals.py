"""Signals monitoring sends for the apps above it (SPC), so monitoring imports none of them."""

from django.dispatch import Signal

# Sent after new events were stored (inside the transaction; receivers defer with on_commit),
# with `project` and `series`: a set of (model, environment, source, has_ttft) tuples, and for
# probe events `probe_ids`: the probes they came from.
# Sent by every writer of events: REST and OTLP ingest (monitoring.ingest.service), probe runs
# (monitoring.probes.runs). Duplicates that were not stored do not count.
events_recorded = Signal()
