"""The demo LLM's behaviour, as pure functions of a clock and a random generator.

Normal operation: time to first token and the gap between tokens are lognormal (latency is
right-skewed, as in real serving), the prompt adds prefill time per token, and a small share
of calls fail. On top of that an `IncidentSchedule` injects special causes every few minutes —
a sudden latency jump, a slow upward drift, an error burst — so that the embedded demo's
control charts have real signals to find. Everything is deterministic given the seed and the
clock, so tests can ask "what happens at t" without sleeping.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

LATENCY_JUMP = "latency_jump"
DRIFT = "drift"
ERROR_BURST = "error_burst"
INCIDENT_KINDS = (LATENCY_JUMP, DRIFT, ERROR_BURST)

_TEXT = (
    "Statistical process control separates common-cause noise from special causes, so a team "
    "hears about a real shift in latency instead of every slow request. Control limits come "
    "from a calm baseline and rules flag runs, trends and points beyond three sigma."
)
_WORDS = tuple(_TEXT.split())


@dataclass(frozen=True)
class Incident:
    """One special cause in force over [start, end) (seconds since the epoch)."""

    kind: str
    start: float
    end: float

    def active(self, t: float) -> bool:
        return self.start <= t < self.end

    def latency_factor(self, t: float) -> float:
        """Multiplier on TTFT and per-token time at `t`."""
        if not self.active(t):
            return 1.0
        if self.kind == LATENCY_JUMP:
            return 2.5
        if self.kind == DRIFT:
            # Linear ramp from 1x to 3x over the incident: a trend, not a step.
            return 1.0 + 2.0 * (t - self.start) / (self.end - self.start)
        return 1.0

    def error_rate(self, t: float) -> float:
        return 0.5 if self.kind == ERROR_BURST and self.active(t) else 0.0


@dataclass(frozen=True)
class IncidentSchedule:
    """One incident per cycle of `period_s` seconds (cycles aligned to the epoch).

    Each cycle starts calm (30-55 % of the period, long enough for a baseline), then runs
    one incident for 20-35 % of the period (drifts get 45 % to climb visibly). The kind rotates
    through the three so every demo shows each; start and length come from a generator
    seeded with (seed, cycle), so the schedule is a pure function of time.
    """

    seed: int = 7
    period_s: float = 480.0
    enabled: bool = True

    def incident_at(self, t: float) -> Incident | None:
        if not self.enabled:
            return None
        cycle = math.floor(t / self.period_s)
        incident = self.incident_in_cycle(cycle)
        return incident if incident.active(t) else None

    def incident_in_cycle(self, cycle: int) -> Incident:
        rng = random.Random(f"{self.seed}:{cycle}")
        kind = INCIDENT_KINDS[cycle % len(INCIDENT_KINDS)]
        begin = cycle * self.period_s + rng.uniform(0.30, 0.55) * self.period_s
        share = 0.45 if kind == DRIFT else rng.uniform(0.20, 0.35)
        return Incident(kind=kind, start=begin, end=begin + share * self.period_s)


@dataclass(frozen=True)
class SimulatedAnswer:
    """What the demo server should do for one request."""

    ttft_s: float
    token_gaps_s: list[float]
    tokens: list[str]
    input_tokens: int
    error_status: int | None = None
    error_message: str = ""
    incident: str = ""

    @property
    def output_tokens(self) -> int:
        return len(self.tokens)

    @property
    def total_s(self) -> float:
        return self.ttft_s + sum(self.token_gaps_s)


@dataclass
class DemoLLM:
    """Parameters of normal behaviour; `answer()` draws one call from them."""

    schedule: IncidentSchedule = field(default_factory=IncidentSchedule)
    ttft_median_ms: float = 180.0
    ttft_sigma: float = 0.25
    token_median_ms: float = 12.0
    token_sigma: float = 0.30
    # Prefill cost: long prompts take longer to the first token.
    prefill_ms_per_token: float = 0.4
    base_error_rate: float = 0.005

    def answer(
        self, prompt: str, max_tokens: int, now: float, rng: random.Random
    ) -> SimulatedAnswer:
        """Draw the answer to `prompt` at time `now` (seconds since the epoch)."""
        incident = self.schedule.incident_at(now)
        factor = incident.latency_factor(now) if incident else 1.0
        input_tokens = estimate_tokens(prompt)
        kind = incident.kind if incident else ""

        error_rate = self.base_error_rate + (incident.error_rate(now) if incident else 0.0)
        if rng.random() < error_rate:
            # Mostly overload (500/503), sometimes a rate limit, as real providers fail.
            status = rng.choice((500, 500, 503, 429))
            messages = {
                429: "Rate limit reached for demo-llm; retry after 1s.",
                500: "The demo model had an internal error.",
                503: "The demo model is overloaded.",
            }
            return SimulatedAnswer(
                ttft_s=self._lognormal(rng, 40.0, 0.3) / 1000.0,
                token_gaps_s=[],
                tokens=[],
                input_tokens=input_tokens,
                error_status=status,
                error_message=messages[status],
                incident=kind,
            )

        ttft_ms = (
            self._lognormal(rng, self.ttft_median_ms, self.ttft_sigma) * factor
            + input_tokens * self.prefill_ms_per_token
        )
        count = max(1, min(max_tokens, round(max_tokens * rng.uniform(0.75, 1.0))))
        gaps = [
            self._lognormal(rng, self.token_median_ms, self.token_sigma) * factor / 1000.0
            for _ in range(count - 1)
        ]
        start = rng.randrange(len(_WORDS))
        tokens = [("" if i == 0 else " ") + _WORDS[(start + i) % len(_WORDS)] for i in range(count)]
        return SimulatedAnswer(
            ttft_s=ttft_ms / 1000.0,
            token_gaps_s=gaps,
            tokens=tokens,
            input_tokens=input_tokens,
            incident=kind,
        )

    @staticmethod
    def _lognormal(rng: random.Random, median_ms: float, sigma: float) -> float:
        # The median of a lognormal is exp(mu): parameterise by what people can picture.
        return rng.lognormvariate(math.log(median_ms), sigma)


def estimate_tokens(text: str) -> int:
    """Rough token count (about four characters a token, plus chat framing)."""
    return max(1, len(text) // 4) + 8
