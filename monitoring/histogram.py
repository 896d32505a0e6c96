"""Log-bucketed histogram for latency and TTFT rollups, with a stated relative error.

Bucket `i` holds values in (gamma^(i-1), gamma^i] with gamma = (1 + a) / (1 - a), and is
reported as 2 * gamma^i / (gamma + 1), which is within a relative error `a` (RELATIVE_ERROR)
of every value it holds (the DDSketch construction). Histograms of any number of minutes
merge by adding counts per bucket, so percentiles over long windows cost a number of
buckets, not a number of events.

Percentiles use the nearest-rank definition: the p-quantile of n values is the ⌈p·n⌉-th
smallest. The estimate for that rank is within RELATIVE_ERROR of the exact nearest-rank value.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

RELATIVE_ERROR = 0.02
GAMMA = (1 + RELATIVE_ERROR) / (1 - RELATIVE_ERROR)
_LOG_GAMMA = math.log(GAMMA)
# Values at or below this (ms) are counted as zero: far below any measurable latency.
MIN_VALUE_MS = 1e-3
ZERO_BUCKET = -32768


def bucket_of(value_ms: float) -> int:
    """The bucket index of a non-negative value in milliseconds."""
    if value_ms <= MIN_VALUE_MS:
        return ZERO_BUCKET
    return math.ceil(math.log(value_ms) / _LOG_GAMMA)


def bucket_value(bucket: int) -> float:
    """The representative value of a bucket (within RELATIVE_ERROR of all its members)."""
    if bucket == ZERO_BUCKET:
        return 0.0
    return 2 * GAMMA**bucket / (GAMMA + 1)


def percentiles(counts: Mapping[int, int], qs: Iterable[float]) -> dict[float, float | None]:
    """Nearest-rank percentiles (q in 0..1) of a histogram given as {bucket: count}."""
    qs = list(qs)
    total = sum(counts.values())
    if total == 0:
        return {q: None for q in qs}
    ranks = {q: max(1, math.ceil(q * total)) for q in qs}
    result: dict[float, float | None] = {}
    seen = 0
    pending = sorted(qs, key=lambda q: ranks[q])
    for bucket in sorted(counts):
        seen += counts[bucket]
        while pending and ranks[pending[0]] <= seen:
            result[pending.pop(0)] = bucket_value(bucket)
        if not pending:
            break
    return result


def nearest_rank(values: list[float], q: float) -> float:
    """Exact nearest-rank percentile of raw values (the reference the histogram approximates)."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q * len(ordered))) - 1]
