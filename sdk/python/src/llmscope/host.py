"""Readings of the host's CPU, memory and NVIDIA GPUs for the agent.

CPU and memory come from psutil when it is installed, else from /proc on Linux (no
dependency); elsewhere without psutil they are left out. GPUs come from NVML through the
optional `nvidia-ml-py` package; without it, or without a GPU or driver, there are none.
"""

from __future__ import annotations

import contextlib
import logging
import time
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("llmscope.agent")

try:  # optional
    import psutil
except ImportError:  # pragma: no cover - depends on the machine
    psutil = None


@dataclass(frozen=True)
class GpuReading:
    index: int
    utilization_percent: float | None
    memory_percent: float | None
    temperature_c: float | None


class CpuMeter:
    """CPU busy percent since the previous reading (made at construction for the first)."""

    # Fewer jiffies than this since the previous reading say nothing; wait that long first.
    MIN_SPAN_S = 0.25

    def __init__(self, proc_stat: str = "/proc/stat") -> None:
        self.proc_stat = proc_stat
        self._last: tuple[int, int] | None = None
        self._last_at = time.monotonic()
        if psutil is not None:
            psutil.cpu_percent(interval=None)
        else:
            self._last = self._times()

    def percent(self) -> float | None:
        wait = self.MIN_SPAN_S - (time.monotonic() - self._last_at)
        if wait > 0:
            time.sleep(wait)
        self._last_at = time.monotonic()
        if psutil is not None:
            return float(psutil.cpu_percent(interval=None))
        now = self._times()
        last, self._last = self._last, now
        if now is None or last is None:
            return None
        busy = now[0] - last[0]
        total = now[1] - last[1]
        if total <= 0:
            return None
        return round(min(100.0, max(0.0, 100.0 * busy / total)), 2)

    def _times(self) -> tuple[int, int] | None:
        """(busy jiffies, total jiffies) of all CPUs; idle and iowait are not busy."""
        try:
            with open(self.proc_stat) as f:
                fields = f.readline().split()
        except OSError:
            return None
        if not fields or fields[0] != "cpu":
            return None
        # user nice system idle iowait irq softirq steal (guest times are inside user/nice)
        values = [int(v) for v in fields[1:9]]
        idle = values[3] + (values[4] if len(values) > 4 else 0)
        total = sum(values)
        return total - idle, total


def memory_percent(proc_meminfo: str = "/proc/meminfo") -> float | None:
    """Memory in use, percent of total (what is not available to new programs)."""
    if psutil is not None:
        return float(psutil.virtual_memory().percent)
    info: dict[str, int] = {}
    try:
        with open(proc_meminfo) as f:
            for line in f:
                key, _, rest = line.partition(":")
                parts = rest.split()
                if parts:
                    info[key] = int(parts[0])
    except (OSError, ValueError):
        return None
    total = info.get("MemTotal")
    available = info.get("MemAvailable")
    if not total or available is None:
        return None
    return round(100.0 * (total - available) / total, 2)


class NvidiaGpus:
    """NVML, if `nvidia-ml-py` is installed and a driver answers; `available` says which."""

    def __init__(self) -> None:
        self.nvml: Any = None
        try:
            import pynvml  # from nvidia-ml-py
        except ImportError:
            return
        try:
            pynvml.nvmlInit()
        except Exception as exc:  # no driver, no GPU: NVMLError of several kinds
            log.info("llmscope-agent: no NVIDIA GPU (%s)", exc)
            return
        self.nvml = pynvml

    @property
    def available(self) -> bool:
        return self.nvml is not None

    def read(self) -> list[GpuReading]:
        if self.nvml is None:
            return []
        nvml = self.nvml
        readings = []
        try:
            count = nvml.nvmlDeviceGetCount()
        except Exception as exc:
            log.warning("llmscope-agent: NVML failed: %s", exc)
            return []
        for index in range(count):
            readings.append(self._device(nvml, index))
        return readings

    @staticmethod
    def _device(nvml: Any, index: int) -> GpuReading:
        util = memory = temperature = None
        try:
            handle = nvml.nvmlDeviceGetHandleByIndex(index)
        except Exception:
            return GpuReading(index, None, None, None)
        # A metric the device does not report stays empty.
        with contextlib.suppress(Exception):
            util = float(nvml.nvmlDeviceGetUtilizationRates(handle).gpu)
        with contextlib.suppress(Exception):
            info = nvml.nvmlDeviceGetMemoryInfo(handle)
            memory = round(100.0 * info.used / info.total, 2) if info.total else None
        with contextlib.suppress(Exception):
            temperature = float(nvml.nvmlDeviceGetTemperature(handle, nvml.NVML_TEMPERATURE_GPU))
        return GpuReading(index, util, memory, temperature)

    def close(self) -> None:
        if self.nvml is not None:
            with contextlib.suppress(Exception):
                self.nvml.nvmlShutdown()
