"""Signals SPC sends for the apps above it (alerts), so that SPC imports none of them."""

from django.dispatch import Signal

evaluation_committed = Signal()
"""Sent after an evaluation's transaction commits (and after its live push), with
`sender=Chart` (the class) and `result=<the spc.evaluation.Evaluation>`: its `chart`,
`new_points`, `new_violations` and `new_limits`. Sent only when the evaluation changed
something. Sent with `send_robust`: a receiver's exception is logged, never raised into the
evaluation."""
