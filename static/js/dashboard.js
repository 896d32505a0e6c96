// The project page: draws the control chart, keeps chart, cards and violation log current
// over the project's WebSocket, and catches up over HTTP after a reconnect.
(function () {
  "use strict";
  const body = document.getElementById("dashboard-body");
  if (!body) return;
  const form = document.getElementById("dashboard-filters");
  const modal = document.getElementById("violation-modal");
  const modalBody = document.getElementById("violation-modal-body");
  const indicator = document.getElementById("live-indicator");
  let chart = null;
  let chartId = null;
  let live = null;
  let refreshTimer = null;
  let opener = null;

  function query() {
    const data = new FormData(form);
    const q = {};
    for (const name of ["window", "model", "environment", "source"]) q[name] = data.get(name) || "";
    return q;
  }

  function chartUrl(id) {
    const q = query();
    return body.dataset.chartBase + id + "/data/?window=" + encodeURIComponent(q.window || "24h");
  }

  function setStatus(status) {
    const badge = document.getElementById("chart-status");
    const picker = document.getElementById("chart-picker");
    if (!badge || !status) return;
    const option = picker && picker.querySelector('option[value="' + chartId + '"]');
    if (option) option.dataset.status = status;
    badge.className = "status status-" + status;
    badge.textContent = { in_control: "In control", out_of_control: "Out of control", baseline: "Collecting baseline" }[status] || status;
  }

  // What the page says about the limits (see dashboard/_chart_design.html, rendered first on
  // the server): provisional or final, the baseline's progress, the budget, rules off.
  function renderDesign(design) {
    const slot = document.getElementById("chart-design-slot");
    if (!slot) return;
    slot.replaceChildren();
    if (!design) return;
    const box = document.createElement("div");
    box.id = "chart-design";
    box.className = "chart-design small";
    function line(text, cls, field) {
      const p = document.createElement("p");
      if (cls) p.className = cls;
      p.dataset.field = field;
      p.textContent = text;
      box.append(p);
      return p;
    }
    if (design.provisional && design.baseline) {
      const b = design.baseline;
      line(design.k
        ? "Provisional limits: collecting the baseline, " + b.have + " of " + b.need + " points. No point is judged until it is complete."
        : "Collecting the baseline: " + b.have + " of " + b.need + " points; provisional limits appear at 20.", "provisional", "baseline");
      const bar = document.createElement("progress");
      bar.max = b.need;
      bar.value = b.have;
      bar.setAttribute("aria-label", "Baseline progress");
      box.append(bar);
    }
    if (design.expected) {
      line("Budget: at most one false alarm per " + design.budget_days + " days. Expected with these limits: " +
        design.expected + " (limits at ±" + design.k.toFixed(2) + "σ; " + design.rate_source + ").", "", "expected");
    }
    for (const r of design.rules_off || []) line(r.name + " is off: " + r.reason + ".", "rule-off", "rule-off");
    if (design.excluded) {
      line(design.excluded + " baseline point" + (design.excluded === 1 ? " was" : "s were") +
        " outside the limits and left out of them (hollow markers).", "", "excluded");
    }
    if (design.warning) line(design.warning, "flash flash-warning", "warning");
    slot.append(box);
  }

  let logTimer = null;
  function refreshLog() {
    // The signal log is rendered on the server: fetch it again, at most every 300 ms.
    if (logTimer) return;
    logTimer = setTimeout(() => {
      logTimer = null;
      document.body.dispatchEvent(new CustomEvent("llmscope:violation-changed"));
    }, 300);
  }

  function showEmpty(payload) {
    const empty = document.getElementById("chart-empty");
    if (empty) empty.hidden = payload.x.length > 0;
  }

  function initChart() {
    if (chart) { chart.destroy(); chart = null; }
    const section = document.getElementById("chart-section");
    const node = document.getElementById("chart-data");
    chartId = section && section.dataset.chartId ? Number(section.dataset.chartId) : null;
    if (!node || !chartId || !window.uPlot) return;
    const payload = JSON.parse(node.textContent);
    chart = LLMscopeCharts.ControlChart(document.getElementById("control-chart"), payload, {
      tooltip: document.getElementById("chart-tooltip"),
    });
    showEmpty(payload);
  }

  // Live changes to the shown chart since page load; a reload that started before one of
  // them is stale when it returns, so it runs again (the server publishes after commit).
  let liveSeq = 0;

  async function reloadChart() {
    if (!chart || !chartId) return;
    const seq = liveSeq;
    const id = chartId;
    const response = await fetch(chartUrl(id), { credentials: "same-origin" });
    if (!response.ok) return;
    const payload = await response.json();
    if (payload.id !== chartId) return;
    if (seq !== liveSeq) { reloadChart(); return; }
    chart.setData(payload);
    setStatus(payload.status);
    showEmpty(payload);
    renderDesign(payload.design);
  }

  function refreshBody() {
    // A chart appeared that the page does not know yet: render the body again, once.
    if (refreshTimer) return;
    refreshTimer = setTimeout(() => {
      refreshTimer = null;
      htmx.ajax("GET", form.action + "?" + new URLSearchParams(new FormData(form)).toString(),
        { target: "#dashboard-body", swap: "innerHTML" });
    }, 300);
  }

  function subscribe() {
    if (live) live.send(Object.assign({ type: "subscribe" }, query()));
  }

  function updateCards(message) {
    if (message.window !== query().window) return;
    for (const card of message.cards) {
      const node = document.getElementById("card-" + card.key);
      if (!node) continue;
      const value = node.querySelector('[data-field="value"]');
      const change = node.querySelector('[data-field="change"]');
      if (value.textContent !== card.value) {
        value.textContent = card.value;
        node.classList.remove("updated");
        void node.offsetWidth;
        node.classList.add("updated");
      }
      const arrow = card.trend === "up" ? "▲ " : card.trend === "down" ? "▼ " : "";
      change.textContent = arrow + card.change;
      change.dataset.trend = card.trend;
      change.className = "metric-change verdict-" + card.verdict;
    }
    updateByModel(message.by_model);
  }

  // The by-model panels come with the cards, from the same summary: one moment per page.
  function barRow(model, width, barClass, valueText, noteText) {
    const row = document.createElement("tr");
    const name = document.createElement("th");
    name.scope = "row";
    name.title = model;
    name.textContent = model;
    const barCell = document.createElement("td");
    const bar = document.createElement("span");
    bar.className = barClass;
    bar.style.width = width + "%";
    barCell.append(bar);
    const value = document.createElement("td");
    value.className = "num";
    value.dataset.field = "value";
    value.textContent = valueText;
    if (noteText) {
      const note = document.createElement("span");
      note.className = "muted";
      note.textContent = noteText;
      value.append(" ", note);
    }
    row.append(name, barCell, value);
    return row;
  }

  function fillBars(tbodyId, rows) {
    const tbody = document.getElementById(tbodyId);
    if (!tbody) return;
    tbody.replaceChildren(...rows);
    const empty = tbody.closest("section").querySelector(".by-model-empty");
    if (empty) empty.hidden = rows.length > 0;
  }

  function updateByModel(byModel) {
    if (!byModel) return;
    fillBars("by-model-cost", byModel.cost.map((r) =>
      barRow(r.model, r.width, "bar", r.value, r.unpriced ? "+" + r.unpriced + " unpriced" : "")));
    fillBars("by-model-latency", byModel.latency.map((r) =>
      barRow(r.model, r.width, "bar bar-latency", r.p95, "p50 " + r.p50)));
  }

  let eventsTimer = null;
  function refreshEvents() {
    // New calls show up on the first page, unless the reader is looking at one or paging.
    const list = document.getElementById("event-list");
    if (!list || eventsTimer || list.dataset.paged || list.querySelector("details[open]")) return;
    eventsTimer = setTimeout(() => {
      eventsTimer = null;
      const status = document.getElementById("event-status");
      const url = list.dataset.url + (status && status.value ? "&status=" + encodeURIComponent(status.value) : "");
      htmx.ajax("GET", url, { target: "#event-list", swap: "innerHTML" });
    }, 2000);
  }

  function onMessage(message) {
    if (message.type === "points") {
      if (!document.querySelector('#chart-picker option[value="' + message.chart + '"]')) {
        refreshBody();
        return;
      }
      if (chart && message.chart === chartId) {
        liveSeq += 1;
        chart.appendPoints(message.points);
        setStatus(message.status);
        showEmpty({ x: [1] });
      }
    } else if (message.type === "limits") {
      if (message.chart === chartId) reloadChart();
    } else if (message.type === "signal") {
      refreshLog();
    } else if (message.type === "violation") {
      refreshLog();
      if (chart && message.chart === chartId) {
        liveSeq += 1;
        const judged = message.violation.judged !== false;
        chart.markViolation(
          message.violation.t, message.violation.rule, message.violation.rule_name, message.violation.value, !judged,
        );
        if (judged) setStatus("out_of_control");
      }
    } else if (message.type === "cards") {
      updateCards(message);
    } else if (message.type === "activity") {
      document.body.dispatchEvent(new CustomEvent("llmscope:activity"));
      refreshEvents();
    }
  }

  function onOpen(reconnected) {
    subscribe();
    if (reconnected) {
      // Catch up on what the socket missed while it was down.
      reloadChart();
      refreshEvents();
      document.body.dispatchEvent(new CustomEvent("llmscope:resync"));
    }
  }

  function onState(state, text) {
    if (!indicator) return;
    indicator.dataset.state = state;
    indicator.querySelector(".live-text").textContent = text;
  }

  // Chart picker: fetch the chosen chart, keep the URL shareable.
  document.addEventListener("change", async (event) => {
    if (event.target.id !== "chart-picker") return;
    const id = Number(event.target.value);
    document.getElementById("filter-chart").value = String(id);
    const url = new URL(location.href);
    url.searchParams.set("chart", String(id));
    history.replaceState(history.state, "", url);
    const response = await fetch(chartUrl(id), { credentials: "same-origin" });
    if (!response.ok) return;
    const payload = await response.json();
    chartId = id;
    document.getElementById("chart-section").dataset.chartId = String(id);
    const title = document.getElementById("control-chart");
    title.setAttribute("aria-label", "Control chart of " + payload.name);
    if (chart) chart.setData(payload);
    else chart = LLMscopeCharts.ControlChart(title, payload, { tooltip: document.getElementById("chart-tooltip") });
    setStatus(payload.status);
    showEmpty(payload);
    renderDesign(payload.design);
  });

  // Violation modal: a native <dialog> (Escape closes it, focus stays inside) filled by HTMX.
  document.addEventListener("click", (event) => {
    const trigger = event.target.closest("[data-violation-url]");
    if (trigger) {
      event.preventDefault();
      opener = trigger;
      modalBody.replaceChildren();
      const loading = document.createElement("p");
      loading.className = "muted";
      loading.textContent = "Loading…";
      modalBody.append(loading);
      modal.showModal();
      htmx.ajax("GET", trigger.dataset.violationUrl, { target: "#violation-modal-body", swap: "innerHTML" });
      return;
    }
    if (event.target.closest("[data-close-modal]")) modal.close();
    if (event.target.closest("#event-list .more-row button")) {
      document.getElementById("event-list").dataset.paged = "1";
    }
  });
  modal.addEventListener("click", (event) => { if (event.target === modal) modal.close(); });
  modal.addEventListener("close", () => { if (opener) opener.focus(); });

  document.body.addEventListener("htmx:afterSettle", (event) => {
    const target = event.detail && event.detail.target;
    if (!target) return;
    if (target === modalBody) {
      LLMscopeCharts.drawContext(modalBody);
      const title = modalBody.querySelector(".violation-title");
      if (title) document.getElementById("violation-modal-title").textContent = "Violation";
    } else if (target === body) {
      initChart();
      subscribe();
    } else if (target.id === "event-list") {
      delete target.dataset.paged;
    }
  });

  initChart();
  live = window.LLMscopeLiveSocket(body.dataset.liveUrl, { onOpen, onMessage, onState });
  window.LLMscopeDashboard = { live, reloadChart };
})();
