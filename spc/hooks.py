"""Signals SPC sends for the apps above it (alerts), so SPC imports none of them."""

from django.dispatch import Signal

# Sent after an evaluation committed, with `sender=Chart` and `result`: the
# `spc.evaluation.Evaluation` (its chart, new points, new violations, new limits).
# Sent with `send_robust`: a failing receiver is logged and never breaks the evaluation.
evaluation_committed = Signal()
