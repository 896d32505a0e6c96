// Control charts with uPlot: value, centre, UCL/LCL and the ±1σ/±2σ lines drawn as steps
// (limits change where a baseline was reset), zones shaded between them, violations marked
// with their rule's colour, and a hover tooltip with time, value and the rules hit.
(function () {
  "use strict";

  const RULE_COLOURS = {
    1: "#d62728", 2: "#ff7f0e", 3: "#9467bd", 4: "#17becf",
    5: "#e377c2", 6: "#8c564b", 7: "#1f77b4", 8: "#bcbd22",
    101: "#d62728", 102: "#e377c2", 103: "#8c564b", 104: "#ff7f0e", 200: "#7f3fbf",
  };
  const LINE_KEYS = ["center", "ucl", "lcl", "p2", "m2", "p1", "m1"];

  function css(name, fallback) {
    const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
    return v || fallback;
  }

  function ruleColour(rule) { return RULE_COLOURS[rule] || "#d62728"; }

  function formatValue(v, unit) {
    if (v === null || v === undefined || Number.isNaN(v)) return "—";
    const abs = Math.abs(v);
    let text;
    if (unit === "") text = (v * 100).toFixed(2) + "%";
    else if (abs >= 1000) text = v.toFixed(0);
    else if (abs >= 10) text = v.toFixed(1);
    else if (abs >= 0.01) text = v.toFixed(3);
    else text = v.toPrecision(3);
    return unit ? text + " " + unit : text;
  }

  function formatTime(seconds) {
    const d = new Date(seconds * 1000);
    return d.toISOString().replace("T", " ").slice(0, 19) + " UTC";
  }

  function axisLabel(v, unit) {
    if (v === null || v === undefined) return "";
    if (unit === "") return +(v * 100).toPrecision(3) + "%";
    const abs = Math.abs(v);
    if (abs >= 1e6) return +(v / 1e6).toPrecision(3) + "M";
    if (abs >= 1e4) return +(v / 1e3).toPrecision(3) + "k";
    return String(+v.toPrecision(3));
  }

  function shortTime(seconds, span) {
    const iso = new Date(seconds * 1000).toISOString();
    return span > 86400 ? iso.slice(5, 10) + " " + iso.slice(11, 16) : iso.slice(11, 19);
  }

  function positiveOnly(values) {
    return values.map((v) => (v === null || v > 0 ? v : null));
  }

  function columns(state) {
    // Points are plotted in sequence, as control charts are: a burst of calls stays readable.
    const cols = [state.x.map((_, i) => i), state.value];
    for (const key of LINE_KEYS) cols.push(state.log ? positiveOnly(state[key]) : state[key]);
    return cols;
  }

  function ruleNames() {
    const node = document.getElementById("rule-names");
    return node ? JSON.parse(node.textContent) : {};
  }

  function ControlChart(container, payload, options) {
    options = options || {};
    const tooltip = options.tooltip || null;
    const small = !!options.small;
    let state = null;
    let plot = null;
    const names = Object.assign({}, ruleNames());

    function load(p) {
      state = {
        x: p.x.slice(), value: p.value.slice(), rules: p.rules.map((r) => r.slice()),
        unit: p.unit, current: p.current, resets: (p.resets || []).slice(),
        baselineEnds: (p.baseline_ends || []).slice(),
        good: (p.good || p.x.map(() => false)).slice(),
        excluded: (p.excluded || p.x.map(() => false)).slice(),
        log: !!p.log && p.value.every((v) => v === null || v > 0),
      };
      for (const key of LINE_KEYS) state[key] = p[key].slice();
      Object.assign(names, p.rule_names || {});
    }

    function publish() {
      container.dataset.points = String(state.x.length);
      container.dataset.violations = String(state.rules.filter((r) => r.length).length);
    }

    function drawMarkers(u) {
      const ctx = u.ctx;
      const r = (small ? 4 : 5) * devicePixelRatio;
      ctx.save();
      for (let i = 0; i < state.x.length; i++) {
        const rules = state.rules[i];
        const v = state.value[i];
        if (v === null) continue;
        const cx = u.valToPos(i, "x", true);
        const cy = u.valToPos(v, "y", true);
        if (state.excluded[i]) {
          // A baseline point left out of the limits: a hollow ring.
          ctx.beginPath();
          ctx.arc(cx, cy, r, 0, 2 * Math.PI);
          ctx.lineWidth = 1.5 * devicePixelRatio;
          ctx.strokeStyle = css("--muted", "#6a7380");
          ctx.stroke();
        }
        if (!rules || !rules.length) continue;
        ctx.beginPath();
        ctx.arc(cx, cy, r, 0, 2 * Math.PI);
        // A flag in the good direction is shown, greyed: it does not count.
        ctx.fillStyle = state.good[i] ? css("--good", "#2ca02c") : ruleColour(rules[0]);
        ctx.fill();
        ctx.lineWidth = 1.5 * devicePixelRatio;
        ctx.strokeStyle = css("--card", "#fff");
        ctx.stroke();
      }
      // The end of a baseline: a dotted vertical line after its last point, labelled.
      ctx.setLineDash([1.5 * devicePixelRatio, 3 * devicePixelRatio]);
      ctx.strokeStyle = css("--muted", "#6a7380");
      ctx.lineWidth = devicePixelRatio;
      ctx.fillStyle = css("--muted", "#6a7380");
      ctx.font = (10 * devicePixelRatio) + "px sans-serif";
      for (const end of state.baselineEnds) {
        const i = state.x.findIndex((t) => t > end);
        if (i <= 0) continue;
        const cx = u.valToPos(i - 0.5, "x", true);
        ctx.beginPath();
        ctx.moveTo(cx, u.bbox.top);
        ctx.lineTo(cx, u.bbox.top + u.bbox.height);
        ctx.stroke();
        ctx.fillText("end of baseline", cx + 3 * devicePixelRatio, u.bbox.top + 10 * devicePixelRatio);
      }
      // A baseline reset: a dashed vertical line before the first point after it.
      ctx.setLineDash([4 * devicePixelRatio, 4 * devicePixelRatio]);
      ctx.strokeStyle = css("--muted", "#6a7380");
      ctx.lineWidth = devicePixelRatio;
      for (const reset of state.resets) {
        const i = state.x.findIndex((t) => t >= reset);
        if (i <= 0) continue;
        const cx = u.valToPos(i - 0.5, "x", true);
        ctx.beginPath();
        ctx.moveTo(cx, u.bbox.top);
        ctx.lineTo(cx, u.bbox.top + u.bbox.height);
        ctx.stroke();
      }
      ctx.restore();
    }

    function showTooltip(u) {
      if (!tooltip) return;
      const i = u.cursor.idx;
      if (i === null || i === undefined || state.value[i] === null) { tooltip.hidden = true; return; }
      tooltip.replaceChildren();
      const time = document.createElement("div");
      time.className = "tt-time";
      time.textContent = formatTime(state.x[i]);
      const value = document.createElement("div");
      value.className = "tt-value";
      value.textContent = formatValue(state.value[i], state.unit);
      tooltip.append(time, value);
      if (state.center[i] !== null) {
        const lim = document.createElement("div");
        lim.className = "tt-limits";
        lim.textContent = "centre " + formatValue(state.center[i], state.unit) +
          " · UCL " + formatValue(state.ucl[i], state.unit);
        tooltip.append(lim);
      }
      if (state.excluded[i]) {
        const note = document.createElement("div");
        note.className = "tt-limits";
        note.textContent = "Left out of the baseline (outside its limits)";
        tooltip.append(note);
      }
      if (state.good[i] && (state.rules[i] || []).length) {
        const note = document.createElement("div");
        note.className = "tt-limits";
        note.textContent = "Unusual, in the good direction (not counted)";
        tooltip.append(note);
      }
      for (const rule of state.rules[i] || []) {
        const line = document.createElement("div");
        line.className = "tt-rule";
        const dot = document.createElement("span");
        dot.className = "dot";
        dot.style.background = ruleColour(rule);
        line.append(dot, document.createTextNode(" Rule " + rule + ": " + (names[String(rule)] || "")));
        tooltip.append(line);
      }
      tooltip.hidden = false;
      const left = u.over.offsetLeft + u.cursor.left;
      const top = u.over.offsetTop + u.cursor.top;
      const maxLeft = container.clientWidth - tooltip.offsetWidth - 4;
      tooltip.style.left = Math.max(0, Math.min(left + 12, maxLeft)) + "px";
      tooltip.style.top = Math.max(0, top - tooltip.offsetHeight - 8) + "px";
    }

    function build() {
      const fg = css("--muted", "#6a7380");
      const grid = css("--line", "#dde2e8");
      const accent = css("--accent", "#2b6cdf");
      const danger = css("--danger", "#c0362c");
      const ok = css("--ok", "#1f8a4c");
      const stepped = uPlot.paths.stepped({ align: 1 });
      const lineSeries = (label, stroke, width, dash) => ({
        label, stroke, width, dash, paths: stepped, points: { show: false }, spanGaps: false,
      });
      const width = Math.max(container.clientWidth || 300, 240);
      const opts = {
        width,
        height: small ? 160 : Math.max(220, Math.min(340, Math.round(width * 0.4))),
        legend: { show: false },
        cursor: { drag: { x: !small, y: false }, points: { size: 6 } },
        scales: { x: { time: false }, y: { distr: state.log ? 3 : 1 } },
        axes: [
          {
            stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid },
            values: (u, splits) => {
              const span = state.x.length ? state.x[state.x.length - 1] - state.x[0] : 0;
              let previous = null;
              return splits.map((v) => {
                if (!Number.isInteger(v) || state.x[v] === undefined) return "";
                const label = shortTime(state.x[v], span);
                if (label === previous) return "";  // a burst within one second: label once
                previous = label;
                return label;
              });
            },
          },
          {
            stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid },
            size: 56, values: (u, splits) => splits.map((v) => axisLabel(v, state.unit)),
          },
        ],
        series: [
          {},
          {
            label: "Value", stroke: accent, width: 1.5,
            points: { show: state.x.length <= 120 || small, size: small ? 4 : 3, fill: accent },
          },
          lineSeries("Centre", ok, 1.5),
          lineSeries("UCL", danger, 1.2, [6, 4]),
          lineSeries("LCL", danger, 1.2, [6, 4]),
          lineSeries("+2σ", "transparent", 0),
          lineSeries("−2σ", "transparent", 0),
          lineSeries("+1σ", "transparent", 0),
          lineSeries("−1σ", "transparent", 0),
        ],
        bands: [
          { series: [7, 8], fill: "rgba(31,138,76,0.10)" },
          { series: [5, 7], fill: "rgba(183,121,31,0.12)" },
          { series: [8, 6], fill: "rgba(183,121,31,0.12)" },
          { series: [3, 5], fill: "rgba(192,54,44,0.10)" },
          { series: [6, 4], fill: "rgba(192,54,44,0.10)" },
        ],
        hooks: { draw: [drawMarkers], setCursor: [showTooltip] },
      };
      container.replaceChildren();
      plot = new uPlot(opts, columns(state), container);
      if (tooltip) container.addEventListener("mouseleave", () => { tooltip.hidden = true; });
      publish();
    }

    load(payload);
    build();
    let resizeObserver = null;
    if (window.ResizeObserver && !small) {
      resizeObserver = new ResizeObserver(() => {
        if (!plot) return;
        const w = Math.max(container.clientWidth, 240);
        if (Math.abs(w - plot.width) > 4) plot.setSize({ width: w, height: plot.height });
      });
      resizeObserver.observe(container);
    }

    return {
      setData(p) {
        const logChanged = (!!p.log) !== state.log;
        load(p);
        if (logChanged) { plot.destroy(); build(); return; }
        plot.setData(columns(state));
        publish();
      },
      appendPoints(points) {
        for (const p of points) {
          state.x.push(Date.parse(p.t) / 1000);
          state.value.push(p.v);
          state.rules.push([]);
          state.good.push(false);
          state.excluded.push(false);
          for (const key of LINE_KEYS) state[key].push(state.current ? state.current[key] : null);
        }
        plot.setData(columns(state));
        publish();
      },
      markViolation(tIso, rule, ruleName, value, good) {
        const t = Date.parse(tIso) / 1000;
        if (ruleName) names[String(rule)] = ruleName;
        for (let i = state.x.length - 1; i >= 0; i--) {
          const sameValue = value === undefined || Math.abs(state.value[i] - value) <= 1e-9 * Math.max(1, Math.abs(value));
          if (Math.abs(state.x[i] - t) < 0.0015 && sameValue) {
            if (!state.rules[i].includes(rule)) state.rules[i].push(rule);
            state.rules[i].sort((a, b) => a - b);
            if (good) state.good[i] = true;
            plot.redraw(false);
            publish();
            return true;
          }
        }
        return false;
      },
      destroy() {
        if (resizeObserver) resizeObserver.disconnect();
        if (plot) plot.destroy();
      },
    };
  }

  // The violation modal's small chart: the ±10 points around the flagged one, with the
  // limits in force then (one period, so flat lines).
  function drawContext(root) {
    const node = root && root.querySelector("#violation-context");
    const target = root && root.querySelector(".context-chart");
    if (!node || !target || !window.uPlot) return null;
    const ctx = JSON.parse(node.textContent);
    const lines = ctx.lines || null;
    const payload = { x: [], value: [], rules: [], unit: ctx.unit, log: !!ctx.log, rule_names: {}, current: null };
    for (const key of LINE_KEYS) payload[key] = [];
    for (const p of ctx.points) {
      payload.x.push(p.t);
      payload.value.push(p.v);
      payload.rules.push(Math.abs(p.t - ctx.flagged) < 0.0015 ? [ctx.rule] : []);
      for (const key of LINE_KEYS) payload[key].push(lines ? lines[key] : null);
    }
    return ControlChart(target, payload, { small: true });
  }

  window.LLMscopeCharts = { ControlChart, drawContext, formatValue, ruleColour };
  document.addEventListener("DOMContentLoaded", () => {
    const page = document.querySelector("main .card > .violation-detail");
    if (page) drawContext(page.parentElement);
  });
})();
