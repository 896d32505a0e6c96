"""Signals monitoring sends for the apps above it (SPC), so monitoring imports none of them."""

from django.dispatch import Signal

# Sent after new events were stored (inside the transaction; receivers defer with on_commit),
# with `project` and `series`: a set of (model, environment, source, has_ttft) tuples.
events_recorded = Signal()
