// Pure helpers of the protocol comparison page (/protocols/compare?ids=a,b): the conditions
// table, each protocol's step table (protocols_lib's stepTable), and the overlaid cell-volume
// and intracellular-CPA curves of the designed protocols, one trace per protocol on the same
// axes, with the osmotic tolerance limits as shaded bands. No DOM; numbers through format.js.
// Unit-tested in tests/js/protocols_compare.test.mjs.
import { formatQuantity, formatTime, isNum, isUuid, UNKNOWN } from "./format.js";
import { stepTable } from "./protocols_lib.js";

/** Protocols the page compares at once (the API allows up to 10; four stay readable). */
export const MAX_COMPARED = 4;
/** One colour per compared protocol (Plotly's first four defaults, colour-blind distinct enough with the dashes). */
export const COMPARE_COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"];
const DASHES = ["solid", "dash", "dot", "dashdot"];

/** Protocol ids of ``?ids=a,b`` (valid UUIDs, no repeats, in order). */
export function parseIds(search) {
  const text = new URLSearchParams(search || "").get("ids") || "";
  const out = [];
  for (const part of text.split(",")) {
    const id = part.trim();
    if (isUuid(id) && !out.includes(id)) out.push(id);
  }
  return out;
}

/** The page's address for these protocol ids. */
export const compareUrl = (ids) => `/protocols/compare?ids=${ids.map(encodeURIComponent).join(",")}`;

const designOf = (p) => p?.design || {};
const designed = (p) => designOf(p).protocols?.designed || {};
const limitsOf = (p) => designed(p).limits || designOf(p).limits || {};

function limitsText(p) {
  const l = limitsOf(p);
  if (!isNum(l.min_volume_fraction) || !isNum(l.max_volume_fraction)) return UNKNOWN;
  return `${formatQuantity("volume_fraction", l.min_volume_fraction, "")} – ${formatQuantity("volume_fraction", l.max_volume_fraction)}`;
}

function temperatureText(p) {
  const s = designOf(p).settings || {};
  const add = s.addition_temperature_c ?? p.temperature_c;
  const remove = s.removal_temperature_c ?? add;
  const a = formatQuantity("temperature", add);
  return add === remove ? a : `loading ${a}, unloading ${formatQuantity("temperature", remove)}`;
}

/** How the carrier was treated: kept at full strength (the conventional default) or reduced. */
export function carrierText(p) {
  const s = designOf(p).settings || {};
  const salts = Object.entries(s.carrier || {}).map(([name, m]) => `${name} ${formatQuantity("molality", m)}`);
  const what = salts.length ? ` (${salts.join(", ")})` : "";
  const fraction = s.min_carrier_fraction;
  if (!isNum(fraction)) return salts.length ? `isotonic carrier${what}` : UNKNOWN;
  if (fraction >= 1) return `kept at full strength in every step (conventional)${what}`;
  return `reduced to no less than ${formatQuantity("percent", fraction * 100)} of isotonic${what}`;
}

function costText(p) {
  const tox = designed(p).toxicity || p.summary?.toxicity || {};
  const value = p.toxicity_cost ?? tox.total;
  return isNum(value) ? formatQuantity("toxicity_cost", value, tox.unit || "") : UNKNOWN;
}

function stepsText(p) {
  const steps = p.steps?.length ? p.steps : designed(p).steps || [];
  const add = steps.filter((x) => x.phase !== "removal").length;
  return `${steps.length} (${add} addition + ${steps.length - add} removal)`;
}

/**
 * The conditions table: one row per condition, one text per protocol.
 * @returns {Array<{label: string, values: string[], differs: boolean}>}
 */
export function conditionsRows(protocols) {
  const list = protocols || [];
  const row = (label, fn) => {
    const values = list.map(fn);
    return { label, values, differs: values.some((v) => v !== values[0]) };
  };
  return [
    row("Cell type", (p) => designOf(p).cell_type_name || designOf(p).cell_name || UNKNOWN),
    row("Temperature", temperatureText),
    row("CPA(s)", (p) => Object.keys(designOf(p).target || {}).join(", ") || UNKNOWN),
    row("Target (intracellular)", (p) =>
      Object.entries(designOf(p).target || {}).map(([n, m]) => `${n} ${formatQuantity("molality", m)}`).join(", ") || UNKNOWN,
    ),
    row("Osmotic tolerance limits", limitsText),
    row("Carrier", carrierText),
    row("Total time", (p) => formatTime(p.summary?.total_duration_s ?? designed(p).total_duration_s)),
    row("Toxicity cost J", costText),
    row("Within limits", (p) => {
      const within = p.summary?.within_limits ?? designed(p).within_limits;
      return within === true ? "yes" : within === false ? "no" : UNKNOWN;
    }),
    row("Number of steps", stepsText),
  ];
}

/** Each protocol's step table ({name, headers, rows}), from protocols_lib's stepTable. */
export function stepTables(protocols) {
  return (protocols || []).map((p) => {
    const steps = p.steps?.length ? p.steps : designed(p).steps || [];
    return { id: p.id, name: p.name, ...stepTable(steps, designOf(p).settings || {}) };
  });
}

const minutes = (seconds) => (seconds || []).map((s) => s / 60);

/**
 * Cell volume V/V_iso vs time (min): one line per protocol (its designed protocol), and the
 * limits as shaded bands (one band when the protocols share their limits, else one per
 * protocol in its colour).
 * @returns {{traces: object[], shapes: object[]}}
 */
export function volumeOverlay(protocols) {
  const list = protocols || [];
  const traces = [];
  list.forEach((p, i) => {
    const chart = designed(p).chart;
    if (!chart?.time_s?.length) return;
    traces.push({
      type: "scatter",
      mode: "lines",
      name: p.name,
      x: minutes(chart.time_s),
      y: chart.volume_fraction || [],
      line: { color: COMPARE_COLORS[i % COMPARE_COLORS.length], width: 2.5, dash: DASHES[i % DASHES.length] },
      hovertemplate: `${p.name}<br>%{x:.1f} min, %{y:.3f} × V_iso<extra></extra>`,
    });
  });
  const keys = list.map((p) => `${limitsOf(p).min_volume_fraction}|${limitsOf(p).max_volume_fraction}`);
  const shared = keys.every((k) => k === keys[0]);
  const shapes = [];
  list.forEach((p, i) => {
    if (shared && i > 0) return;
    const l = limitsOf(p);
    if (!isNum(l.min_volume_fraction) || !isNum(l.max_volume_fraction)) return;
    const color = shared ? "#2ca02c" : COMPARE_COLORS[i % COMPARE_COLORS.length];
    shapes.push({
      type: "rect", xref: "paper", x0: 0, x1: 1, yref: "y", y0: l.min_volume_fraction, y1: l.max_volume_fraction,
      fillcolor: color, opacity: 0.08, line: { width: 0 }, layer: "below",
    });
    for (const y of [l.min_volume_fraction, l.max_volume_fraction]) {
      shapes.push({ type: "line", xref: "paper", x0: 0, x1: 1, yref: "y", y0: y, y1: y, line: { color, width: 1, dash: "dash" }, layer: "below" });
    }
  });
  return { traces, shapes, sharedLimits: shared };
}

/**
 * Intracellular CPA molality vs time (min): one line per protocol and CPA, same axes.
 * @returns {object[]} Plotly traces
 */
export function concentrationOverlay(protocols) {
  const traces = [];
  (protocols || []).forEach((p, i) => {
    const chart = designed(p).chart;
    const series = chart?.intracellular_molality || {};
    const cpas = Object.keys(designOf(p).target || series);
    cpas.forEach((cpa, j) => {
      const y = series[cpa];
      if (!y?.length) return;
      const name = cpas.length > 1 ? `${p.name} · ${cpa}` : p.name;
      traces.push({
        type: "scatter",
        mode: "lines",
        name,
        x: minutes(chart.time_s),
        y,
        line: { color: COMPARE_COLORS[i % COMPARE_COLORS.length], width: 2.5, dash: DASHES[(i + j) % DASHES.length] },
        hovertemplate: `${name}<br>%{x:.1f} min, %{y:.3f} mol/kg<extra></extra>`,
      });
    });
  });
  return traces;
}

/** Plotly layout of the overlaid charts: shared axes with units, legend below. */
export function overlayLayout(yTitle, shapes = []) {
  return {
    margin: { l: 70, r: 20, t: 20, b: 60 },
    xaxis: { title: { text: "Time (min)" }, zeroline: false },
    yaxis: { title: { text: yTitle }, zeroline: false },
    legend: { orientation: "h", y: -0.25 },
    showlegend: true,
    shapes,
  };
}
