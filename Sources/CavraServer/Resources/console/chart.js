// Acknowledgements over time: a small stacked bar chart drawn as inline SVG with DOM APIs (no library, no
// inline style: colours come from classes in console.css). Data: history events of kind `acknowledgement`.

import { h, svg, formatTimestamp } from "./dom.js";

const STATES = ["acknowledged", "escalated", "resolved", "dismissed"];
const MINUTE = 60_000;
// Bucket widths to choose from: the smallest that keeps the chart at 24 bars or fewer.
const BUCKETS = [
  [MINUTE, "minute"],
  [5 * MINUTE, "5 minutes"],
  [15 * MINUTE, "15 minutes"],
  [60 * MINUTE, "hour"],
  [6 * 60 * MINUTE, "6 hours"],
  [24 * 60 * MINUTE, "day"],
  [7 * 24 * 60 * MINUTE, "week"],
  [30 * 24 * 60 * MINUTE, "30 days"],
];
const MAX_BARS = 24;

/** Counts per time bucket and state, from acknowledgement history items. */
export function bucketize(items) {
  const points = items
    .map((item) => {
      const record = item.payload ?? {};
      return { t: Date.parse(record.acknowledged_at ?? item.at), state: record.acknowledgement_state };
    })
    .filter((p) => Number.isFinite(p.t));
  if (points.length === 0) return null;
  const min = Math.min(...points.map((p) => p.t));
  const max = Math.max(...points.map((p) => p.t));
  let [width, label] = BUCKETS[BUCKETS.length - 1];
  for (const [w, l] of BUCKETS) {
    if (Math.floor(max / w) - Math.floor(min / w) + 1 <= MAX_BARS) {
      [width, label] = [w, l];
      break;
    }
  }
  const first = Math.floor(min / width);
  const count = Math.floor(max / width) - first + 1;
  const buckets = Array.from({ length: count }, (_, i) => ({
    start: (first + i) * width,
    end: (first + i + 1) * width,
    counts: Object.fromEntries(STATES.map((s) => [s, 0])),
    total: 0,
  }));
  for (const p of points) {
    const bucket = buckets[Math.floor(p.t / width) - first];
    const state = STATES.includes(p.state) ? p.state : "acknowledged";
    bucket.counts[state] += 1;
    bucket.total += 1;
  }
  return { buckets, label, total: points.length };
}

function iso(ms) {
  return formatTimestamp(new Date(ms).toISOString());
}

export function renderChart(container, items, { truncated = false } = {}) {
  const data = bucketize(items);
  if (!data) {
    container.replaceChildren(h("p", { class: "muted" }, "No acknowledgements recorded yet."));
    return;
  }
  const W = 640;
  const H = 180;
  const pad = { left: 36, right: 12, top: 12, bottom: 34 };
  const plotW = W - pad.left - pad.right;
  const plotH = H - pad.top - pad.bottom;
  const maxTotal = Math.max(1, ...data.buckets.map((b) => b.total));
  const slot = plotW / data.buckets.length;
  const barW = Math.max(2, Math.min(40, slot * 0.7));
  const summary = `${data.total} acknowledgement record${data.total === 1 ? "" : "s"} from ${iso(data.buckets[0].start)} to ${iso(
    data.buckets[data.buckets.length - 1].end,
  )}, one bar per ${data.label}; the busiest ${data.label} had ${maxTotal}.`;

  const bars = [];
  data.buckets.forEach((bucket, i) => {
    let y = pad.top + plotH;
    const x = pad.left + i * slot + (slot - barW) / 2;
    const parts = [];
    for (const state of STATES) {
      const n = bucket.counts[state];
      if (!n) continue;
      const height = (n / maxTotal) * plotH;
      y -= height;
      parts.push(svg("rect", { class: `bar bar-${state}`, x: x.toFixed(1), y: y.toFixed(1), width: barW.toFixed(1), height: height.toFixed(1) }));
    }
    const words = STATES.filter((s) => bucket.counts[s]).map((s) => `${bucket.counts[s]} ${s}`).join(", ");
    // Each bar is a group with a <title>: a tooltip on hover and a name for assistive technology.
    bars.push(svg("g", { class: "bar-group" }, svg("title", {}, `${iso(bucket.start)} – ${iso(bucket.end)}: ${words || "none"}`), parts));
  });

  const axis = [
    svg("line", { class: "axis", x1: pad.left, y1: pad.top + plotH, x2: W - pad.right, y2: pad.top + plotH }),
    svg("line", { class: "axis", x1: pad.left, y1: pad.top, x2: pad.left, y2: pad.top + plotH }),
    svg("text", { class: "tick", x: pad.left - 6, y: pad.top + 4, "text-anchor": "end" }, String(maxTotal)),
    svg("text", { class: "tick", x: pad.left - 6, y: pad.top + plotH, "text-anchor": "end" }, "0"),
    svg("text", { class: "tick", x: pad.left, y: H - 14, "text-anchor": "start" }, iso(data.buckets[0].start)),
    svg(
      "text",
      { class: "tick", x: W - pad.right, y: H - 14, "text-anchor": "end" },
      iso(data.buckets[data.buckets.length - 1].end),
    ),
  ];
  const chart = svg(
    "svg",
    { class: "chart-svg", viewBox: `0 0 ${W} ${H}`, role: "img", "aria-labelledby": "chart-title chart-desc", preserveAspectRatio: "xMinYMin meet" },
    svg("title", { id: "chart-title" }, "Acknowledgements over time"),
    svg("desc", { id: "chart-desc" }, summary),
    axis,
    bars,
  );
  const legend = h(
    "ul",
    { class: "legend" },
    STATES.map((s) => h("li", {}, h("span", { class: `swatch bar-${s}`, "aria-hidden": "true" }), s)),
  );
  container.replaceChildren(
    chart,
    legend,
    h("p", { class: "muted small" }, summary, truncated ? " Only the newest 500 records were read." : ""),
  );
}
