"""The dashboard in a real browser (Debian's Chromium, headless) against uvicorn.

With REDIS_URL the server runs on channels_redis and a real Celery worker evaluates the
charts; without it, the embedded mode (SQLite file, in-process tasks, in-memory layer).
Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import os
import threading
import time
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from django.test import Client
from django.utils import timezone

from spc.chart_metrics import ChartType, Metric, Transform
from spc.models import Chart, ChartPoint
from tenants.models import ApiKey, Project
from tests.conftest import REDIS_URL
from tests.dashboard.live_app import LiveApp, database_url

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
WAIT_MS = 30_000
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def app(request, transactional_db):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    db_url = database_url()
    if db_url is None:
        pytest.skip("the test database is in memory: another process cannot open it")
    sweep = None
    if REDIS_URL:
        request.getfixturevalue("celery_worker_live")
        sweep = BeatSweep().start()
    live = LiveApp(db_url).start()
    yield live
    live.stop()
    if sweep:
        sweep.stop()


class BeatSweep(threading.Thread):
    """What the beat process does for charts in production: queue the dirty ones every 2 s
    (a debounced evaluation leaves late events to this sweep)."""

    def __init__(self):
        super().__init__(daemon=True)
        self.halt = threading.Event()

    def start(self):
        super().start()
        return self

    def run(self):
        from django.db import connection

        from spc.tasks import evaluate_dirty_charts

        try:
            while not self.halt.wait(2.0):
                evaluate_dirty_charts()
        finally:
            connection.close()

    def stop(self):
        self.halt.set()
        self.join(timeout=10)


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls of the test
    # itself are still plain synchronous calls between browser steps.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            yield Browser(chromium)
            chromium.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


class Browser:
    """Pages that report their console errors (shown with a failing test's output)."""

    def __init__(self, chromium):
        self.chromium = chromium

    def new_page(self, **kwargs):
        page = self.chromium.new_page(**kwargs)
        page.on("pageerror", lambda error: print("page error:", error))
        page.on(
            "console",
            lambda m: print("console:", m.type, m.text) if m.type in ("error", "warning") else None,
        )
        return page

    def close(self):
        self.chromium.close()


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def log_in(page, app, user) -> None:
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": app.url}]
    )


def calls(values, minutes_ago: float = 0.0, model: str = "gpt-4o-mini", **fields) -> list[dict]:
    start = timezone.now() - timedelta(minutes=minutes_ago)
    return [
        {
            "timestamp": (start + timedelta(milliseconds=10 * i)).isoformat(),
            "model": model,
            "latency_ms": float(v),
            "output_tokens": 40,
            **fields,
        }
        for i, v in enumerate(values)
    ]


def baseline(n: int, seed: int = 3) -> list[float]:
    rng = np.random.default_rng(seed)
    return [round(float(v), 1) for v in np.exp(rng.normal(np.log(400), 0.08, size=n))]


def individuals_chart(project: Project, baseline_size: int = 20) -> Chart:
    """A per-call latency chart, as a user would add one on the Charts tab."""
    return Chart.objects.create(
        organization=project.organization,
        project=project,
        name="All calls · latency",
        metric=Metric.LATENCY,
        chart_type=ChartType.INDIVIDUALS,
        transform=Transform.LOG,
        filter={},
        baseline_size=baseline_size,
    )


def points_on_page(page) -> int:
    return int(page.get_attribute("#control-chart", "data-points") or 0)


def wait_for_points(page, n: int) -> None:
    page.wait_for_function(
        "n => Number(document.getElementById('control-chart').dataset.points) >= n",
        arg=n,
        timeout=WAIT_MS,
    )


def test_sign_up_wizard_first_event_then_a_shift_appears_live(app, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(app.url + "/accounts/signup/")
    page.fill("input[name=email]", "ada@example.com")
    page.fill("input[name=password1]", "a-long-passphrase-42")
    page.fill("input[name=password2]", "a-long-passphrase-42")
    page.locator("main form button[type=submit], main form input[type=submit]").first.click()
    page.goto(app.url + "/")
    page.fill("input[name=name]", "Ada Labs")
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url("**/projects/new/")
    page.fill("input[name=name]", "Chat bot")
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url("**/p/chat-bot/")
    page.get_by_text("No data yet").wait_for()

    page.get_by_role("link", name="Set up data").click()
    page.get_by_role("link", name="REST API (curl)").click()
    page.get_by_role("button", name="Create a key").click()
    key = page.text_content("#new-key").strip()
    assert key.startswith("lls_")
    assert f"Bearer {key}" in page.text_content(".snippet pre")
    page.get_by_text("Waiting for the first event").wait_for()
    # A per-call latency chart, as the user could add on the Charts tab before data comes.
    chart = individuals_chart(Project.objects.get(slug="chat-bot"))
    page.wait_for_function("document.body.dataset.liveState === 'open'", timeout=WAIT_MS)
    shot(page, "wizard")

    assert app.post_events(key, calls([420.0], minutes_ago=3)) == 202
    page.get_by_text("Data is arriving").wait_for(timeout=WAIT_MS)  # no reload
    shot(page, "wizard-first-event")

    page.goto(f"{app.url}/o/ada-labs/p/chat-bot/?chart={chart.pk}")
    page.wait_for_function("document.body.dataset.liveState === 'open'", timeout=WAIT_MS)
    before = points_on_page(page)

    # An event sent with the key appears on the chart without a reload.
    assert app.post_events(key, calls([410.0])) == 202
    wait_for_points(page, max(before, 1) + (1 if before else 0))
    seen = points_on_page(page)

    # A baseline, then a shift: the violation arrives in the log live.
    assert app.post_events(key, calls(baseline(24))) == 202
    wait_for_points(page, seen + 24)
    rows_before = page.locator("#violation-rows tr:not(.empty-row)").count()
    assert app.post_events(key, calls([12000.0])) == 202
    page.wait_for_function(
        "n => document.querySelectorAll('#violation-rows tr:not(.empty-row)').length > n",
        arg=rows_before,
        timeout=WAIT_MS,
    )
    assert "Beyond 3σ" in page.text_content("#violation-rows")
    page.wait_for_function(
        "Number(document.getElementById('control-chart').dataset.violations) >= 1",
        timeout=WAIT_MS,
    )
    assert page.text_content("#chart-status").strip() == "Out of control"
    shot(page, "dashboard-live-violation")

    # The modal shows the context, the limits and the rule in plain words; Escape closes it.
    page.locator("#violation-rows button", has_text="Beyond 3σ").first.click()
    modal = page.locator("#violation-modal")
    modal.get_by_text("further than 3 standard deviations").wait_for()
    page.wait_for_selector("#violation-modal .context-chart canvas")
    assert "UCL" in modal.text_content()
    shot(page, "violation-modal")
    modal.get_by_label("Note (optional)").fill("deploy 42 rolled back")
    modal.get_by_role("button", name="Acknowledge").click()
    modal.get_by_text("Acknowledged").first.wait_for()
    page.keyboard.press("Escape")
    assert not modal.is_visible()
    page.locator("#violation-rows", has_text="Acknowledged").wait_for()


def test_switching_the_window_changes_the_cards_and_the_url(app, browser, owner, project):
    from tenants.models import Membership, Role

    Membership.objects.get_or_create(
        user=owner, organization=project.organization, defaults={"role": Role.OWNER}
    )
    _, key = ApiKey.create_for(project, "browser", ["ingest", "read"])
    assert app.post_events(key, calls([300.0] * 5, minutes_ago=10)) == 202
    assert app.post_events(key, calls([900.0] * 7, minutes_ago=180)) == 202
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    log_in(page, app, owner)
    page.goto(f"{app.url}/o/acme/p/web/")
    assert page.text_content("#card-requests [data-field=value]").strip() == "12"
    shot(page, "dashboard")
    page.locator("label[for=window-1h]").click()
    page.wait_for_url("**window=1h**")
    page.wait_for_function(
        "document.querySelector('#card-requests [data-field=value]').textContent.trim() === '5'",
        timeout=WAIT_MS,
    )
    assert "1 h" in page.text_content("#dashboard-body")
    page.select_option("#filter-model", "gpt-4o-mini")
    page.wait_for_url("**model=gpt-4o-mini**")
    page.go_back()
    page.wait_for_url("**window=1h**")

    # Narrow screens: the same page, readable at 375 px.
    phone = browser.new_page(viewport={"width": 375, "height": 812})
    log_in(phone, app, owner)
    phone.goto(f"{app.url}/o/acme/p/web/?window=6h")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 380, f"the page scrolls sideways at 375 px ({width} px wide)"
    shot(phone, "dashboard-375px")
    phone.goto(f"{app.url}/o/acme/")
    phone.locator("#project-card-web").wait_for()
    shot(phone, "organization-home-375px")


def test_a_dropped_socket_reconnects_and_catches_up(app, browser, owner, project):
    from tenants.models import Membership, Role

    Membership.objects.get_or_create(
        user=owner, organization=project.organization, defaults={"role": Role.OWNER}
    )
    _, key = ApiKey.create_for(project, "browser", ["ingest", "read"])
    chart = individuals_chart(project)
    assert app.post_events(key, calls(baseline(22))) == 202
    deadline = time.monotonic() + 30
    while ChartPoint.objects.filter(chart=chart).count() < 22 and time.monotonic() < deadline:
        time.sleep(0.2)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    log_in(page, app, owner)
    page.goto(f"{app.url}/o/acme/p/web/?chart={chart.pk}")
    page.wait_for_function("document.body.dataset.liveState === 'open'", timeout=WAIT_MS)
    assert points_on_page(page) == 22

    app.stop()  # the server goes away: the socket drops
    page.wait_for_function("document.body.dataset.liveState !== 'open'", timeout=WAIT_MS)
    assert "Reconnecting" in page.text_content("#live-indicator") or "Connecting" in (
        page.text_content("#live-indicator")
    )
    shot(page, "dashboard-reconnecting")

    # While it is down, a call arrives through another web process (this one).
    client = Client()
    response = client.post(
        "/api/v1/events",
        data={"events": calls([405.0])},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert response.status_code == 202
    deadline = time.monotonic() + 30
    while ChartPoint.objects.filter(chart=chart).count() < 23 and time.monotonic() < deadline:
        time.sleep(0.2)

    app.start()
    page.wait_for_function("document.body.dataset.liveState === 'open'", timeout=60_000)
    wait_for_points(page, 23)  # caught up over HTTP after the reconnect
    assert app.post_events(key, calls([398.0])) == 202
    wait_for_points(page, 24)  # and live again
