"""The host agent: its samples reach LLMscope and a violation at that time carries them."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from django.utils import timezone
from llmscope.agent import Agent, gpu_fields
from llmscope.config import Config
from llmscope.host import CpuMeter, GpuReading, NvidiaGpus, memory_percent

from monitoring.models import HostSample
from spc.evaluation import evaluate_chart
from spc.models import Violation
from tests.dashboard.conftest import individuals_chart
from tests.spc.factories import add_events

ROOT = Path(__file__).resolve().parents[2]


def run_agent(url: str, key: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "llmscope.agent", *args],
        env={**os.environ, "LLMSCOPE_API_KEY": key, "LLMSCOPE_URL": url},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.django_db(transaction=True)
def test_the_agents_sample_is_attached_to_a_violation_at_that_time(live_llmscope, key, project):
    result = run_agent(live_llmscope.url, key, "--host", "gpu-box-7", "--count", "1")
    assert result.returncode == 0, result.stderr

    [sample] = HostSample.objects.filter(project=project)
    assert sample.host == "gpu-box-7"
    assert 0 <= sample.cpu_percent <= 100 and 0 < sample.memory_percent <= 100
    assert sample.gpu_percent is None  # this machine has no GPU: the agent works without

    # A latency spike at the time of the sample, after a steady baseline.
    chart = individuals_chart(project)
    rng = np.random.default_rng(7)
    baseline = np.round(np.exp(rng.normal(np.log(400), 0.1, size=50)), 1)
    add_events(project, baseline, start=timezone.now() - timedelta(hours=3))
    evaluate_chart(chart.pk)
    add_events(project, [9000.0], start=sample.timestamp + timedelta(seconds=2))
    evaluate_chart(chart.pk)

    violation = Violation.objects.get(chart=chart, rule=1)
    assert violation.telemetry["host"] == "gpu-box-7"
    assert violation.telemetry["cpu_percent"] == sample.cpu_percent
    assert violation.telemetry["memory_percent"] == sample.memory_percent


def test_the_agent_refuses_to_start_without_a_key():
    result = subprocess.run(
        [sys.executable, "-m", "llmscope.agent", "--count", "1"],
        env={k: v for k, v in os.environ.items() if k != "LLMSCOPE_API_KEY"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "API key is required" in result.stderr


def test_the_console_script_is_installed():
    script = Path(sys.executable).parent / "llmscope-agent"
    result = subprocess.run(
        [str(script), "--help"], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0
    assert "--interval" in result.stdout


def test_cpu_and_memory_come_from_proc(tmp_path):
    stat = tmp_path / "stat"
    stat.write_text("cpu  100 0 100 800 0 0 0 0 0 0\n")
    meter = CpuMeter(str(stat))
    if meter._last is None:
        pytest.skip("psutil is installed: it is used instead of /proc")
    stat.write_text("cpu  150 0 150 900 0 0 0 0 0 0\n")  # 100 busy of 200 jiffies
    assert meter.percent() == 50.0
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal: 1000 kB\nMemFree: 100 kB\nMemAvailable: 250 kB\n")
    assert memory_percent(str(meminfo)) == 75.0


def test_without_nvidia_ml_py_or_a_gpu_there_are_no_gpu_readings():
    gpus = NvidiaGpus()
    assert gpus.read() == [] or gpus.available


class TwoGpus:
    available = True

    def read(self):
        return [GpuReading(0, 35.0, 50.0, 61.0), GpuReading(1, 90.0, 20.0, None)]

    def close(self):
        pass


def test_a_gpu_host_sends_its_busiest_gpu_and_each_gpu_apart():
    assert gpu_fields(TwoGpus().read()) == {
        "gpu_percent": 90.0,
        "gpu_memory_percent": 50.0,
        "gpu_temperature_c": 61.0,
    }
    agent = Agent(Config(api_key="lls_x"), "node-1", gpus=TwoGpus())
    samples = agent.sample()
    assert set(samples) == {"node-1", "node-1/gpu0", "node-1/gpu1"}
    assert samples["node-1"]["gpu_percent"] == 90.0
    assert samples["node-1/gpu1"] == {
        "timestamp": samples["node-1"]["timestamp"],
        "gpu_percent": 90.0,
        "gpu_memory_percent": 20.0,
    }
