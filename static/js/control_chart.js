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
    if (unit === "") text = (v * 100).toFixed(2) + " %";
    else if (unit === "USD") return "$" + (abs >= 1 ? v.toFixed(2) : abs >= 0.01 ? v.toFixed(4) : v.toPrecision(3));
    else if (abs >= 1000) text = v.toFixed(0);
    else if (abs >= 10) text = v.toFixed(1);
    else if (abs >= 0.01) text = v.toFixed(3);
    else text = v.toPrecision(3);
    return unit ? text + (UNIT_SUFFIX[unit] || " " + unit) : text;
  }

  function formatTime(seconds) {
    const d = new Date(seconds * 1000);
    return d.toISOString().replace("T", " ").slice(0, 19) + " UTC";
  }

  // Y-axis ticks: one format for the whole axis, precise enough that neighbouring ticks
  // differ, with the unit on every label ($0.00012, 2.5 %, 450 ms, 1.2 s, 60 tok/s).
  const UNIT_SUFFIX = { "tokens/s": " tok/s" };

  function decimalsFor(step) {
    if (!(step > 0) || !Number.isFinite(step)) return 0;
    return Math.min(10, Math.max(0, -Math.floor(Math.log10(step) + 1e-9)));
  }

  function smallestStep(splits) {
    let step = Infinity;
    for (let i = 1; i < splits.length; i++) {
      const d = Math.abs(splits[i] - splits[i - 1]);
      if (d > 0 && d < step) step = d;
    }
    if (step === Infinity) step = Math.abs(splits[0] || 0) || 1;
    return step;
  }

  function axisLabels(splits, unit) {
    const finite = splits.filter((v) => v !== null && v !== undefined && Number.isFinite(v));
    if (!finite.length) return splits.map(() => "");
    const step = smallestStep(finite);
    const top = Math.max(...finite.map(Math.abs));
    let scale = 1, prefix = "", suffix = unit ? " " + unit : "";
    if (unit === "") { scale = 100; suffix = " %"; }
    else if (unit === "USD") { prefix = "$"; suffix = ""; }
    else if (unit === "ms" && top >= 1000) { scale = 0.001; suffix = " s"; }
    else if (UNIT_SUFFIX[unit]) suffix = UNIT_SUFFIX[unit];
    let big = "";
    if (unit !== "" && unit !== "ms" && top >= 1e4) {
      scale = top >= 1e6 ? 1e-6 : 1e-3;
      big = top >= 1e6 ? "M" : "k";
    }
    let decimals = decimalsFor(step * scale);
    if (unit === "USD" && !big) decimals = Math.max(2, decimals);
    return splits.map((v) => {
      if (v === null || v === undefined || !Number.isFinite(v)) return "";
      let text = (v * scale).toFixed(decimals);
      if (Number(text) === 0) return prefix + (0).toFixed(big ? 0 : decimals) + suffix;  // never "-0"
      return prefix + text + big + suffix;
    });
  }

  // Ticks of a log axis inside [min, max]: 1-2-5 (or finer, on a narrow range) per decade.
  function logSplits(min, max, most) {
    if (!(min > 0) || !(max > min)) return [min, max].filter((v) => v > 0);
    const ticks = (mantissas) => {
      const out = [];
      for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) {
        for (const m of mantissas) {
          const v = +(m * Math.pow(10, e)).toPrecision(6);
          if (v >= min && v <= max) out.push(v);
        }
      }
      return out;
    };
    // The densest set of round values that fits: a narrow range gets 1.2, 1.5, 2.5 too.
    const sets = [[1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 7, 8, 9], [1, 2, 3, 4, 5, 6, 7, 8, 9],
      [1, 2, 3, 5], [1, 2, 5], [1, 3], [1]];
    let best = null;
    for (const set of sets) {
      const out = ticks(set);
      if (out.length <= most && out.length >= 2) return out;
      if (out.length >= 2) best = out;
    }
    if (!best) return [min, max];
    const keep = [];
    const every = Math.ceil(best.length / most);
    for (let i = 0; i < best.length; i += every) keep.push(best[i]);
    return keep;
  }

  // The y range: the data and the limits, with a little room; never below zero for rates,
  // and at least 0–5 % for an error rate with no errors.
  function yRange(state) {
    const values = [];
    for (const key of ["value"].concat(LINE_KEYS)) {
      for (const v of state[key]) if (v !== null && v !== undefined && Number.isFinite(v)) values.push(v);
    }
    if (state.log) {
      const positive = values.filter((v) => v > 0);
      if (!positive.length) return [1, 10];
      const lo = Math.min(...positive), hi = Math.max(...positive);
      return hi / lo < 1.05 ? [lo / 1.1, hi * 1.1] : [lo / 1.06, hi * 1.06];
    }
    let lo = values.length ? Math.min(...values) : 0;
    let hi = values.length ? Math.max(...values) : 0;
    if (state.unit === "") { lo = 0; hi = Math.min(1, Math.max(0.05, hi * 1.1)); return [lo, hi]; }
    if (hi === lo) {
      const pad = Math.abs(hi) * 0.1 || 1;
      return [lo >= 0 && lo - pad < 0 ? 0 : lo - pad, hi + pad];
    }
    const pad = (hi - lo) * 0.08;
    return [lo >= 0 && lo - pad < 0 ? 0 : lo - pad, hi + pad];
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
        padding: [12, small ? 16 : 36, 0, 0],  // room for the last time label
        scales: {
          x: { time: false },
          y: { distr: state.log ? 3 : 1, range: () => yRange(state) },
        },
        axes: [
          {
            stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid },
            space: small ? 70 : 90,  // a time label is up to 11 characters: never overlapping
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
            space: small ? 24 : 32,
            size: (u, values) => {
              const longest = Math.max(4, ...(values || []).map((v) => String(v).length));
              return Math.min(120, 14 + longest * 7.5);
            },
            values: (u, splits) => {
              const labels = axisLabels(splits, state.unit);
              // What the axis shows, readable outside the canvas (tests, assistive tools).
              container.dataset.yTicks = labels.filter(Boolean).join(" | ");
              return labels;
            },
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
      if (state.log) {
        opts.axes[1].splits = (u, axisIdx, min, max) => logSplits(min, max, small ? 4 : 6);
        opts.axes[1].filter = (u, splits) => splits;  // label every tick, not only 1, 10, 100
      }
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

  window.LLMscopeCharts = { ControlChart, drawContext, formatValue, ruleColour, axisLabels };
  document.addEventListener("DOMContentLoaded", () => {
    const page = document.querySelector("main .card > .violation-detail");
    if (page) drawContext(page.parentElement);
  });
})();
