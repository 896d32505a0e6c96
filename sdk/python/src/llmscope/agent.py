"""`llmscope-agent`: the host's CPU, memory and GPUs sent to LLMscope every 10 seconds.

    LLMSCOPE_API_KEY=lls_... LLMSCOPE_URL=https://llmscope.example.com llmscope-agent

Samples go to `POST /api/v1/telemetry` under the host's name, so that a violation on a chart
carries the state of the host at that moment. The host sample holds CPU and memory and, on a
GPU host, the busiest GPU's utilisation, memory and temperature; with more than one GPU each
GPU is also sent on its own, as host `<name>/gpu<index>`. Samples wait in a bounded queue
while LLMscope is unreachable and are sent when it is back.
"""

from __future__ import annotations

import argparse
import logging
import signal
import socket
import sys
import threading
import time
from collections.abc import Sequence
from typing import Any

from .client import USER_AGENT
from .config import Config
from .delivery import Delivery
from .host import CpuMeter, GpuReading, NvidiaGpus, memory_percent

log = logging.getLogger("llmscope.agent")

DEFAULT_INTERVAL_S = 10.0


def gpu_fields(readings: Sequence[GpuReading]) -> dict[str, float]:
    """The busiest GPU's figures for the host sample (each metric's maximum over the GPUs)."""
    fields: dict[str, float] = {}
    for name, attribute in (
        ("gpu_percent", "utilization_percent"),
        ("gpu_memory_percent", "memory_percent"),
        ("gpu_temperature_c", "temperature_c"),
    ):
        values = [getattr(r, attribute) for r in readings if getattr(r, attribute) is not None]
        if values:
            fields[name] = max(values)
    return fields


class Agent:
    """Takes a sample every `interval` seconds and queues it for delivery, per host name."""

    def __init__(
        self, config: Config, host: str, interval: float = DEFAULT_INTERVAL_S, gpus: Any = None
    ) -> None:
        self.config = config
        self.host = host
        self.interval = interval
        self.cpu = CpuMeter()
        self.gpus = gpus if gpus is not None else NvidiaGpus()
        self._deliveries: dict[str, Delivery] = {}
        self.stop = threading.Event()

    def _delivery(self, host: str) -> Delivery:
        delivery = self._deliveries.get(host)
        if delivery is None:
            delivery = Delivery(
                self.config,
                "/api/v1/telemetry",
                lambda samples, host=host: {"host": host, "samples": samples},
                user_agent=USER_AGENT + " agent",
            )
            self._deliveries[host] = delivery
        return delivery

    def sample(self) -> dict[str, dict[str, Any]]:
        """One reading per host name: {host: sample}."""
        now = time.time()
        host_sample: dict[str, Any] = {"timestamp": now}
        cpu = self.cpu.percent()
        if cpu is not None:
            host_sample["cpu_percent"] = cpu
        memory = memory_percent()
        if memory is not None:
            host_sample["memory_percent"] = memory
        readings = self.gpus.read()
        host_sample.update(gpu_fields(readings))
        samples = {self.host: host_sample}
        if len(readings) > 1:
            for reading in readings:
                samples[f"{self.host}/gpu{reading.index}"] = {
                    "timestamp": now,
                    **gpu_fields([reading]),
                }
        return samples

    def tick(self) -> None:
        for host, sample in self.sample().items():
            self._delivery(host).submit(sample)

    def run(self, count: int | None = None) -> None:
        """Sample until stopped (or `count` times), then flush what is queued."""
        taken = 0
        next_at = time.monotonic()
        while not self.stop.is_set():
            self.tick()
            taken += 1
            if count is not None and taken >= count:
                break
            next_at += self.interval
            self.stop.wait(max(0.0, next_at - time.monotonic()))
        self.close()

    def close(self) -> None:
        for delivery in self._deliveries.values():
            delivery.close(self.config.shutdown_timeout)
        self.gpus.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="llmscope-agent",
        description="Send this host's CPU, memory and GPU telemetry to LLMscope.",
    )
    parser.add_argument("--api-key", help="project API key with ingest scope (LLMSCOPE_API_KEY)")
    parser.add_argument("--url", help="LLMscope address (LLMSCOPE_URL)")
    parser.add_argument("--host", default=socket.gethostname(), help="host name to report")
    parser.add_argument(
        "--interval", type=float, default=DEFAULT_INTERVAL_S, help="seconds between samples"
    )
    parser.add_argument("--count", type=int, help="stop after this many samples")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    if args.interval <= 0:
        parser.error("--interval must be positive")
    try:
        config = Config.resolve(args.api_key, args.url)
    except ValueError as exc:
        parser.error(str(exc))
    if not config.api_key:
        parser.error("an API key is required: --api-key or LLMSCOPE_API_KEY")
    if not 1 <= len(args.host) <= 200:
        parser.error("--host must be 1 to 200 characters")
    agent = Agent(config, args.host, args.interval)
    # systemd and container runtimes stop with SIGTERM: finish the sample queue and exit.
    signal.signal(signal.SIGTERM, lambda *_: agent.stop.set())
    gpus = "an NVIDIA GPU" if agent.gpus.available else "no GPU"
    log.info(
        "llmscope-agent: sending %s (%s) to %s every %gs",
        args.host,
        gpus,
        config.base_url,
        args.interval,
    )
    try:
        agent.run(args.count)
    except KeyboardInterrupt:
        agent.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
