// Pure helpers of the protocol pages (no DOM): cell-type parameter summaries with provenance,
// design requests built from the form, API error paths mapped onto the form's fields
// (including the binding constraint of an infeasible design), step tables, chart traces (cell
// volume and intracellular CPA vs time, toxicity-cost bars), comparison rows, saved-protocol
// rows and the sensitivity band. Unit-tested with Node's built-in test runner
// (tests/js/protocols.test.mjs, tests/js/protocol_sensitivity.test.mjs).
import { asPublished, formatInUnit, formatPublished, formatQuantity, formatTime, formatTimestamp, formatWith, isNum, isUuid, numberOrText } from "./format.js";

/** The three protocols a design answers with, in the API's order. */
export const PROTOCOL_KEYS = ["designed", "one_step", "equal_steps"];
export const PROTOCOL_LABELS = { designed: "Designed", one_step: "One step", equal_steps: "Equal steps" };
export const PROTOCOL_COLORS = { designed: "#1f77b4", one_step: "#d62728", equal_steps: "#7f7f7f" };
const CPA_DASHES = ["solid", "dot", "dashdot", "longdash"];

export const VOLUME_UNIT = "× V_iso";
export const MOLALITY_UNIT = "mol/kg";

// --------------------------------------------------------------------------- cell types

/** Cell parameters shown in the summary: [key, label, unit, significant figures]. */
const CELL_FIELDS = [
  ["lp_um_per_min_atm", "Hydraulic conductivity Lp", "µm/min/atm", 3],
  ["lp_activation_energy_kj_per_mol", "Activation energy of Lp", "kJ/mol", 3],
  ["reference_temperature_c", "Reference temperature of Lp", "°C", 3],
  ["inactive_volume_fraction", "Osmotically inactive volume v_b", VOLUME_UNIT, 3],
  ["isotonic_volume_um3", "Isotonic volume V_iso", "µm³", 6],
  ["surface_area_um2", "Membrane area", "µm²", 6],
  ["isotonic_osmolality_osmol_per_kg", "Isotonic osmolality", "osmol/kg", 3],
  ["min_volume_fraction", "Lower osmotic tolerance limit", VOLUME_UNIT, 3],
  ["max_volume_fraction", "Upper osmotic tolerance limit", VOLUME_UNIT, 3],
];

/** The CPAs a cell type has a membrane permeability for (the only ones a design can load). */
export function permeatingSolutes(cell) {
  return (cell?.parameters?.permeabilities || []).map((p) => p.solute).filter(Boolean);
}

/** The shipped key of a cell type ("rhesus_mii_oocyte"), or "". */
export function cellKey(cell) {
  return String(cell?.parameters?.key || "");
}

/** Option text of the cell-type select: name, species and the CPAs it can be designed for. */
export function cellOptionLabel(cell) {
  const species = cell?.species ? ` (${cell.species})` : "";
  const solutes = permeatingSolutes(cell);
  const what = solutes.length ? ` — ${solutes.join(", ")}` : " — no CPA permeability recorded";
  return `${cell?.name || "?"}${species}${what}`;
}

function parameterRow(key, text, unit, digits, value, annotations) {
  const { provenance = {}, verified = {}, sources = {} } = annotations;
  return {
    key,
    label: text,
    value: formatPublished("number", asPublished(value, digits), unit), // literature values as published
    provenance: provenance[key] || "—",
    estimated: provenance[key] === "estimated",
    verified: verified[key] === true,
    source: sources[key] || "",
  };
}

/**
 * The cell's parameters as table rows with value + unit, provenance, whether the number was
 * checked against its source, and the source text; then Ps and its activation energy per CPA.
 */
export function cellParameterRows(cell) {
  const params = cell?.parameters || {};
  const rows = CELL_FIELDS.map(([key, text, unit, digits]) => parameterRow(key, text, unit, digits, params[key], params));
  for (const perm of params.permeabilities || []) {
    rows.push(
      { ...parameterRow("ps_um_per_s", `CPA permeability Ps (${perm.solute})`, "µm/s", 3, perm.ps_um_per_s, perm), key: `ps:${perm.solute}` },
      {
        ...parameterRow("activation_energy_kj_per_mol", `Activation energy of Ps (${perm.solute})`, "kJ/mol", 3, perm.activation_energy_kj_per_mol, perm),
        key: `ea:${perm.solute}`,
      },
    );
  }
  return rows;
}

/** "4 of 13 values are estimated" — the sentence that flags a cell type's weak numbers. */
export function estimatedNote(rows) {
  const estimated = rows.filter((r) => r.estimated).length;
  if (!estimated) return "No value of this cell type is estimated (all measured or fitted).";
  return `${estimated} of ${rows.length} values are estimated, not measured: treat the design as indicative.`;
}

/** The cell's own osmotic tolerance limits, the defaults of the limit fields. */
export function cellLimits(cell) {
  const p = cell?.parameters || {};
  return { min: isNum(p.min_volume_fraction) ? p.min_volume_fraction : null, max: isNum(p.max_volume_fraction) ? p.max_volume_fraction : null };
}

// --------------------------------------------------------------------------- design request

/**
 * A design request's ``osmotic_limits`` from the minimum/maximum cell-volume fields (numbers
 * where they parse, the text otherwise, for the API to reject), or undefined when both are blank.
 */
export function osmoticLimits(minVolume, maxVolume) {
  const limits = {};
  const low = numberOrText(minVolume);
  const high = numberOrText(maxVolume);
  if (low !== undefined) limits.min_volume_fraction = low;
  if (high !== undefined) limits.max_volume_fraction = high;
  return Object.keys(limits).length ? limits : undefined;
}

/**
 * The body of POST /protocols/design from the form's values.
 * @param {{cellType: string, components: {name: string, amount: any, unit: string}[],
 *          mixtureId?: string, temperatureC: any, removalTemperatureC?: any,
 *          minVolume?: any, maxVolume?: any, maxSteps?: any, allowBuffer?: boolean}} form
 */
export function designRequest(form) {
  const target = form.mixtureId
    ? { mixture_id: form.mixtureId }
    : {
        components: (form.components || [])
          .filter((c) => String(c.name || "").trim() || String(c.amount ?? "").trim())
          .map((c) => ({ name: String(c.name || "").trim(), amount: numberOrText(c.amount), unit: c.unit })),
      };
  const body = { cell_type: form.cellType || "", target };
  const temperature = numberOrText(form.temperatureC);
  if (temperature !== undefined) body.temperature_c = temperature;
  const removal = numberOrText(form.removalTemperatureC);
  if (removal !== undefined) body.removal_temperature_c = removal;
  const limits = osmoticLimits(form.minVolume, form.maxVolume);
  if (limits) body.osmotic_limits = limits;
  const steps = numberOrText(form.maxSteps);
  if (steps !== undefined) body.max_steps = steps;
  if (typeof form.allowBuffer === "boolean") body.allow_osmotic_buffer = form.allowBuffer;
  if (typeof form.keepCarrier === "boolean") body.min_carrier_fraction = form.keepCarrier ? 1 : 0;
  return body;
}

/** The form values a saved design request fills back in (the inverse of designRequest). */
export function formFromRequest(request) {
  const r = request || {};
  const target = r.target || {};
  return {
    cellType: r.cell_type || "",
    mixtureId: target.mixture_id || "",
    components: (target.components || []).map((c) => ({ name: c.name || c.smiles || "", amount: c.amount, unit: c.unit })),
    temperatureC: r.temperature_c ?? "",
    removalTemperatureC: r.removal_temperature_c ?? "",
    minVolume: r.osmotic_limits?.min_volume_fraction ?? "",
    maxVolume: r.osmotic_limits?.max_volume_fraction ?? "",
    maxSteps: r.max_steps ?? 4,
    allowBuffer: r.allow_osmotic_buffer ?? true,
    keepCarrier: r.min_carrier_fraction === undefined ? undefined : r.min_carrier_fraction >= 1,
  };
}

/**
 * Where on the design form an API error path belongs: the service names components as
 * ``components[i].name`` (the schema as ``target.components[i].name``) and a saved design's
 * request as ``design_request.<path>``.
 */
export function designErrorPath(path) {
  let p = String(path || "");
  if (p.startsWith("design_request.")) p = p.slice("design_request.".length);
  if (/^components(\[|$)/.test(p)) p = `target.${p}`;
  if (p === "mixture_id") p = "target.mixture_id";
  return p;
}

const PHASE_WORDS = { addition: "loading (addition)", removal: "unloading (removal)" };

/**
 * The binding constraint of an infeasible design (422 ``infeasible_protocol``) as a message
 * for the form field it concerns: the limit field, or the target for an equilibration failure.
 */
export function infeasibleErrors(details) {
  const d = details || {};
  const phase = PHASE_WORDS[d.phase] || d.phase || "the protocol";
  if (d.constraint === "min_volume_fraction" || d.constraint === "max_volume_fraction") {
    const low = d.constraint === "min_volume_fraction";
    const text =
      `Binding constraint: during ${phase} no protocol kept the cell ${low ? "above" : "below"} ` +
      `${formatQuantity("volume_fraction", d.limit)}; the best achieved was ${formatQuantity("volume_fraction", d.best_achievable)}. ` +
      `${low ? "Lower" : "Raise"} this limit, or change the target or temperature.`;
    return { [`osmotic_limits.${d.constraint}`]: text };
  }
  if (d.constraint === "equilibration") {
    return { target: `Binding constraint: no ${phase} protocol reached equilibration of the target.` };
  }
  return {};
}

// --------------------------------------------------------------------------- steps and charts

/** How a solute of a step is used: the isotonic carrier, the osmotic buffer or a CPA. */
export function soluteRole(name, settings = {}) {
  if (settings.carrier && Object.hasOwn(settings.carrier, name)) return "carrier";
  if (settings.osmotic_buffer && name === settings.osmotic_buffer) return "buffer";
  return "CPA";
}

/** Every solute of the steps, CPAs first, then buffer, then carrier. */
export function stepSolutes(steps, settings = {}) {
  const order = { CPA: 0, buffer: 1, carrier: 2 };
  const names = [];
  for (const step of steps || []) for (const name of Object.keys(step.solutes || {})) if (!names.includes(name)) names.push(name);
  return names.sort((a, b) => order[soluteRole(a, settings)] - order[soluteRole(b, settings)]);
}

/**
 * The step table: column headers (units in them) and one row of display texts per step.
 * @returns {{headers: string[], rows: string[][]}}
 */
export function stepTable(steps, settings = {}) {
  const solutes = stepSolutes(steps, settings);
  const headers = [
    "Phase",
    "Step",
    ...solutes.map((s) => {
      const role = soluteRole(s, settings);
      return `${s}${role === "CPA" ? "" : ` (${role})`} (mol/kg)`;
    }),
    "Duration",
    "Time from start (min)",
    "Temperature (°C)",
  ];
  const rows = (steps || []).map((step) => [
    step.phase === "removal" ? "Removal" : "Addition",
    String(step.index ?? ""),
    ...solutes.map((s) => (isNum(step.solutes?.[s]) ? formatQuantity("molality", step.solutes[s], "") : "0")),
    formatTime(step.duration_s),
    `${formatQuantity("minutes", step.start_s / 60, "")} – ${formatQuantity("minutes", step.end_s / 60, "")}`,
    formatQuantity("temperature", step.temperature_c, ""),
  ]);
  return { headers, rows };
}

const toMinutes = (seconds) => (seconds || []).map((s) => s / 60);

/** The design's limits (V/V_iso), from the designed protocol's chart or the design itself. */
export function designLimits(design) {
  return design?.protocols?.designed?.chart?.limits || design?.limits || {};
}

function horizontal(y, xMax, name, color, dash) {
  return { type: "scatter", mode: "lines", name, x: [0, xMax], y: [y, y], line: { color, dash, width: 1.5 }, hoverinfo: "name+y" };
}

function lastTime(design, keys) {
  let end = 0;
  for (const k of keys) {
    const t = design?.protocols?.[k]?.chart?.time_s || [];
    if (t.length) end = Math.max(end, t[t.length - 1] / 60);
  }
  return end;
}

/**
 * Cell volume (V/V_iso) vs time (min) for the chosen protocols, with the tolerance limits as
 * horizontal lines.
 */
export function volumeTraces(design, keys = PROTOCOL_KEYS) {
  const traces = [];
  for (const k of keys) {
    const chart = design?.protocols?.[k]?.chart;
    if (!chart) continue;
    traces.push({
      type: "scatter",
      mode: "lines",
      name: PROTOCOL_LABELS[k] || k,
      x: toMinutes(chart.time_s),
      y: chart.volume_fraction || [],
      line: { color: PROTOCOL_COLORS[k] || "#333", width: k === "designed" ? 3 : 1.5 },
    });
  }
  const limits = designLimits(design);
  const xMax = lastTime(design, keys);
  if (isNum(limits.min_volume_fraction)) {
    traces.push(horizontal(limits.min_volume_fraction, xMax, `Lower limit ${formatQuantity("volume_fraction", limits.min_volume_fraction)}`, "#b00020", "dash"));
  }
  if (isNum(limits.max_volume_fraction)) {
    traces.push(horizontal(limits.max_volume_fraction, xMax, `Upper limit ${formatQuantity("volume_fraction", limits.max_volume_fraction)}`, "#a86d00", "dash"));
  }
  return traces;
}

/**
 * Intracellular molality of each CPA vs time (min) for the chosen protocols, with each CPA's
 * target molality as a horizontal line.
 */
export function concentrationTraces(design, keys = PROTOCOL_KEYS) {
  const traces = [];
  const cpas = Object.keys(design?.target || {});
  for (const k of keys) {
    const chart = design?.protocols?.[k]?.chart;
    if (!chart) continue;
    cpas.forEach((cpa, i) => {
      const y = chart.intracellular_molality?.[cpa];
      if (!y) return;
      traces.push({
        type: "scatter",
        mode: "lines",
        name: cpas.length > 1 ? `${PROTOCOL_LABELS[k] || k} · ${cpa}` : PROTOCOL_LABELS[k] || k,
        x: toMinutes(chart.time_s),
        y,
        line: { color: PROTOCOL_COLORS[k] || "#333", width: k === "designed" ? 3 : 1.5, dash: CPA_DASHES[i % CPA_DASHES.length] },
      });
    });
  }
  const xMax = lastTime(design, keys);
  for (const cpa of cpas) {
    traces.push(horizontal(design.target[cpa], xMax, `Target ${cpa} ${formatQuantity("molality", design.target[cpa])}`, "#2ca02c", "dash"));
  }
  return traces;
}

/** Plotly layout shared by the protocol charts (axis titles carry the units). */
export function chartLayout(xTitle, yTitle) {
  return {
    margin: { l: 70, r: 20, t: 20, b: 60 },
    xaxis: { title: { text: xTitle }, zeroline: false },
    yaxis: { title: { text: yTitle }, zeroline: false },
    legend: { orientation: "h", y: -0.25 },
  };
}

/** The cost comparison of a design: one row per protocol with display texts. */
export function comparisonRows(design) {
  return (design?.comparison || []).map((c) => {
    const protocol = design.protocols?.[c.name] || {};
    return {
      key: c.name,
      label: PROTOCOL_LABELS[c.name] || c.name,
      cost: c.toxicity_cost,
      costText: formatQuantity("toxicity_cost", c.toxicity_cost, c.toxicity_unit || ""),
      relative: c.relative_to_one_step,
      relativeText: isNum(c.relative_to_one_step) ? formatQuantity("ratio", c.relative_to_one_step) : "—",
      volumeText: `${formatQuantity("volume_fraction", c.min_volume_fraction, "")} – ${formatQuantity("volume_fraction", c.max_volume_fraction)}`,
      withinLimits: c.within_limits === true,
      withinText: c.within_limits ? "yes" : "no",
      violations: protocol.violations || [],
      durationText: formatTime(c.total_duration_s),
      steps: c.steps,
    };
  });
}

/** The toxicity-cost bar chart: one bar per protocol, labelled with its ratio to one step. */
export function costBars(rows, unit) {
  return {
    traces: [
      {
        type: "bar",
        name: "Toxicity cost",
        x: rows.map((r) => r.label),
        y: rows.map((r) => r.cost),
        text: rows.map((r) => (r.relativeText !== "—" ? `${r.relativeText} one step` : "")),
        textposition: "auto",
        marker: { color: rows.map((r) => PROTOCOL_COLORS[r.key] || "#333"), line: { color: rows.map((r) => (r.withinLimits ? "#1b7f3a" : "#b00020")), width: 3 } },
        hovertemplate: `%{x}: %{y:.4g} ${unit}<extra></extra>`,
      },
    ],
    layout: { ...chartLayout("Protocol", `Toxicity cost J (${unit})`), showlegend: false },
  };
}

/** One sentence on the designed protocol against the one-step protocol. */
export function designSummary(design) {
  const rows = comparisonRows(design);
  const designed = rows.find((r) => r.key === "designed");
  const one = rows.find((r) => r.key === "one_step");
  if (!designed) return "";
  const limits = designLimits(design);
  const parts = [
    `The designed protocol has ${designed.steps} steps over ${designed.durationText} with toxicity cost ${designed.costText}`,
  ];
  if (one && isNum(designed.relative)) {
    const change = designed.relative < 1 ? `${formatQuantity("share", (1 - designed.relative) * 100)} lower than` : designed.relative > 1 ? `${formatQuantity("share", (designed.relative - 1) * 100)} higher than` : "equal to";
    parts.push(`${change} one step (${one.costText}${one.withinLimits ? "" : ", which leaves the limits"})`);
  }
  const within = designed.withinLimits ? "stays within" : "leaves";
  parts.push(`its volume ${designed.volumeText} ${within} the limits ${formatQuantity("volume_fraction", limits.min_volume_fraction, "")}–${formatQuantity("volume_fraction", limits.max_volume_fraction)}`);
  return `${parts.join("; ")}.`;
}

/** Target CPA molalities as text: "Dimethyl sulfoxide 1.557 mol/kg". */
export function targetText(target) {
  return Object.entries(target || {})
    .map(([name, m]) => `${name} ${formatQuantity("molality", m)}`)
    .join(", ");
}

/** Method and sources of a design, as [term, text] pairs for a definition list. */
export function provenancePairs(design) {
  const designed = design?.protocols?.designed || {};
  const tox = designed.toxicity || {};
  const settings = design?.settings || {};
  const pairs = [
    ["Design method", design?.method || "—"],
    ["Membrane transport", designed.chart?.method || "—"],
    ["Toxicity cost", tox.method || "—"],
  ];
  for (const [cpa, exponent] of Object.entries(tox.exponent || {})) {
    pairs.push([`Toxicity exponent α (${cpa}) = ${formatPublished("number", asPublished(exponent))}`, tox.sources?.[cpa] || "—"]);
  }
  const carrier = Object.entries(settings.carrier || {}).map(([n, m]) => `${n} ${formatQuantity("molality", m)}`);
  if (carrier.length) pairs.push(["Isotonic carrier", carrier.join(", ")]);
  const settled = [];
  if (isNum(settings.equilibration)) settled.push(`addition ends at ≥ ${formatQuantity("share", settings.equilibration * 100)} of the target inside; removal at ≤ ${formatQuantity("share", (1 - settings.equilibration) * 100)}`);
  if (settings.osmotic_buffer) settled.push(`osmotic buffer allowed during removal: ${settings.osmotic_buffer}`);
  else settled.push("no osmotic buffer");
  if (isNum(settings.design_margin)) settled.push(`design margin ${formatQuantity("volume_fraction", settings.design_margin)} inside the limits`);
  pairs.push(["Settings", settled.join("; ")]);
  const warnings = designed.chart?.warnings || [];
  if (warnings.length) pairs.push(["Caveats", warnings.join(" · ")]);
  return pairs;
}

// --------------------------------------------------------------------------- saved protocols

/** Display texts of one saved protocol in the list (summary of its designed protocol). */
export function savedProtocolRow(p, cellNames = {}) {
  const s = p?.summary || {};
  const steps = p?.steps || [];
  const unit = s.toxicity?.unit || "";
  return {
    id: p.id,
    name: p.name,
    cell: cellNames[p.cell_type_id] || "—",
    temperature: formatQuantity("temperature", p.temperature_c),
    cost: formatQuantity("toxicity_cost", p.toxicity_cost ?? s.toxicity?.total, unit),
    volume: isNum(s.min_volume_fraction) ? `${formatQuantity("volume_fraction", s.min_volume_fraction, "")} – ${formatQuantity("volume_fraction", s.max_volume_fraction)}` : "—",
    within: s.within_limits === true ? "yes" : s.within_limits === false ? "no" : "—",
    duration: formatTime(s.total_duration_s),
    steps: `${steps.filter((x) => x.phase !== "removal").length} + ${steps.filter((x) => x.phase === "removal").length}`,
    visibility: p.visibility,
    saved: formatTimestamp(p.created_at, { utc: true }),
  };
}

/** Side-by-side rows for POST /protocols/compare: [{label, values: [text per protocol]}]. */
export function compareRows(protocols, cellNames = {}) {
  const rows = (protocols || []).map((p) => savedProtocolRow(p, cellNames));
  const violations = (protocols || []).map((p) => (p.summary?.violations || []).join("; ") || "none");
  const costs = (protocols || []).map((p) => p.toxicity_cost);
  const best = costs.filter(isNum).length ? Math.min(...costs.filter(isNum)) : null;
  return [
    { label: "Cell type", values: rows.map((r) => r.cell) },
    { label: "Loading temperature", values: rows.map((r) => r.temperature) },
    { label: "Toxicity cost", values: rows.map((r) => r.cost) },
    { label: "Cost relative to the lowest", values: costs.map((c) => (isNum(c) && isNum(best) && best > 0 ? formatQuantity("ratio", c / best) : "—")) },
    { label: "Volume range", values: rows.map((r) => r.volume) },
    { label: "Within limits", values: rows.map((r) => r.within) },
    { label: "Violations", values: violations },
    { label: "Total duration", values: rows.map((r) => r.duration) },
    { label: "Steps (addition + removal)", values: rows.map((r) => r.steps) },
  ];
}

/** Protocol ids of a ``compare=id1,id2`` URL parameter (valid UUIDs only, no repeats). */
export function parseCompareIds(text) {
  const out = [];
  for (const part of String(text || "").split(",")) {
    const id = part.trim();
    if (isUuid(id) && !out.includes(id)) out.push(id);
  }
  return out;
}

/**
 * The sensitivity band of a design (``design.sensitivity``): a one-line summary and one row
 * per varied parameter (its published range, the V/V_iso extremes at each end, whether the
 * limits hold there). Without a published range the summary is "unknown, because …" and
 * there are no rows: never a number.
 * @returns {{summary: string, rows: Array<object>, notVaried: string[]}}
 */
export function sensitivityRows(design) {
  const band = design?.sensitivity;
  if (!band || !band.status) return { summary: "No sensitivity band was computed for this design.", rows: [], notVaried: [] };
  const notVaried = band.not_varied || [];
  if (band.status !== "ok") return { summary: `Sensitivity band: ${band.reason || "unknown"}.`, rows: [], notVaried };
  const [lowMin, highMin] = band.min_volume_fraction;
  const [lowMax, highMax] = band.max_volume_fraction;
  const verdict = band.limits_respected_at_extremes
    ? "the osmotic tolerance limits hold at every end of every range"
    : "the osmotic tolerance limits are NOT respected at some end of a range (see the table)";
  const summary =
    `Over the published parameter ranges the smallest volume lies between ${formatQuantity("volume_fraction", lowMin, "")} and ${formatQuantity("volume_fraction", highMin)} ` +
    `and the largest between ${formatQuantity("volume_fraction", lowMax, "")} and ${formatQuantity("volume_fraction", highMax)}; ${verdict}.`;
  const caseText = (c) =>
    !c || c.min_volume_fraction == null
      ? `unknown${c?.error ? ` (${c.error})` : ""}`
      : `${formatQuantity("volume_fraction", c.min_volume_fraction, "")}–${formatQuantity("volume_fraction", c.max_volume_fraction)}`;
  const holds = (c) => (c?.within_limits == null ? "unknown" : c.within_limits ? "yes" : "no");
  const rows = (band.parameter_ranges || []).map((r) => ({
    name: r.name,
    range: `${formatWith({ sig: 3, unit: "" }, r.low)}–${formatInUnit(r.high, r.unit === "1" ? "" : r.unit)}`,
    shipped: formatInUnit(r.shipped, r.unit === "1" ? "" : r.unit),
    low: caseText(r.low_case),
    lowHolds: holds(r.low_case),
    high: caseText(r.high_case),
    highHolds: holds(r.high_case),
    provenance: `${r.provenance}${r.verified ? "" : " (not all values checked against their source)"}`,
    sources: (r.sources || []).join(" | "),
  }));
  return { summary, rows, notVaried };
}
