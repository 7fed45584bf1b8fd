// Pure helpers of a mixture's computed properties (no DOM): property cards with their
// validity and provenance, the glass a user will see, a named solution's measured values, and
// the binary phase diagram (melting curve, Tg, measured points) as Plotly traces. A value the
// API leaves unknown stays "unknown, because …", never a number. Unit-tested in
// tests/js/mixtures.test.mjs and tests/js/mixture_glass.test.mjs.
import { asPublished, formatInUnit, formatPublished, formatQuantity, formatRecorded, isNum, label, uniqueWarnings } from "./format.js";
import { displayUnit, recordedText } from "./mixtures_lib.js";

/**
 * Whether a computed quantity may be shown as a number, and the flags that say so. Outside
 * its validated range (or where the solute crystallises) the API sends ``value: null`` with
 * a ``reason`` and the ``bound`` that still holds: shown as "unknown, because …", never as a
 * number. ``within_range: null`` means no valid range is recorded: the number is shown with
 * a warning that nobody knows whether it holds.
 * @returns {{known: boolean, ok: boolean, flags: string[]}}
 */
export function validity(quantity, value) {
  const q = quantity || {};
  if (!isNum(value)) {
    const flags = [`unknown, because ${q.reason || "the value could not be computed"}`];
    if (q.bound?.text) flags.push(`still holds: ${q.bound.text}`);
    return { known: false, ok: false, flags };
  }
  if (q.within_range === true) return { known: true, ok: true, flags: ["within the fitted concentration range"] };
  if (q.within_range === false) return { known: true, ok: false, flags: ["outside the fitted concentration range"] };
  return { known: true, ok: false, flags: ["valid concentration range not recorded: whether this value holds is unknown"] };
}

/** "yes" / "no" / "unknown (range not recorded)" for a tri-state ``within_range``. */
export function withinRangeText(withinRange) {
  if (withinRange === true) return "yes";
  if (withinRange === false) return "no";
  return "unknown (range not recorded)";
}

/**
 * The three computed properties as display cards: value with unit, method, provenance of the
 * parameters, validity flags and warnings — exactly as the API reports them.
 */
export function propertyCards(props) {
  const osm = props?.osmolality || {};
  const mp = props?.melting_point || {};
  const tg = props?.glass_transition || {};
  const tgComputed = isNum(tg.value_k);
  const kProvenance = (tg.parameters || [])
    .filter((p) => p.k_provenance)
    .map((p) => `${p.component}: ${p.k_provenance}`);
  const osmValidity = validity(osm, osm.value);
  const mpValidity = validity(mp, mp.value_c);
  return [
    {
      key: "osmolality",
      title: "Osmolality",
      value: osmValidity.known ? formatInUnit(osm.value, displayUnit(osm.unit || "osmol/kg")) : "unknown",
      secondary: "",
      method: osm.method || "—",
      provenance: osm.provenance || "—",
      flags: osmValidity.flags,
      ok: osmValidity.ok,
      warnings: uniqueWarnings(osm.warnings),
    },
    {
      key: "melting_point",
      title: "Melting point (ice)",
      value: mpValidity.known ? formatQuantity("temperature", mp.value_c) : "unknown",
      secondary: mpValidity.known ? formatQuantity("temperature_k", mp.value_k) : "",
      method: mp.method || "—",
      provenance: mp.provenance || "—",
      flags: mpValidity.flags,
      ok: mpValidity.ok,
      warnings: uniqueWarnings(mp.warnings),
    },
    props?.glass ? glassCard(props.glass, tg) : {
      key: "glass_transition",
      title: "Glass transition (Tg)",
      value: tgComputed ? formatQuantity("temperature", tg.value_c) : "not computed",
      secondary: tgComputed ? formatQuantity("temperature_k", tg.value_k) : "",
      method: tg.method || "—",
      provenance: tgComputed && kProvenance.length ? `Gordon–Taylor k: ${kProvenance.join("; ")}` : "—",
      flags: tgComputed
        ? [
            tg.homogeneous === false
              ? "ice forms on cooling at this concentration: the glass that forms is the freeze-concentrated phase (Tg′)"
              : "ice-free glass range (or its limit not recorded)",
            `${tg.kind || "model"} value, not a measurement`,
          ]
        : ["a parameter is missing for a component (see warnings)"],
      ok: tgComputed && tg.homogeneous !== false,
      warnings: uniqueWarnings(tg.warnings),
    },
  ];
}

const GLASS_APPLIES = {
  homogeneous: "the whole solution vitrifies without ice: Tg of the homogeneous solution",
  freeze_concentrated: "ice forms first: the freeze-concentrated phase vitrifies at Tg′",
  unknown: "which glass forms is unknown",
};

/**
 * The headline glass card: the glass a user will actually see (``props.glass``), with why it
 * applies, its published spread, and the homogeneous model Tg only as a side note when ice
 * forms first. A null value is "unknown, because …", never a number.
 */
export function glassCard(glass, homogeneousTg) {
  const known = isNum(glass.value_k);
  const spread = Array.isArray(glass.spread_k) && glass.spread_k.length === 2 && glass.spread_k[0] !== glass.spread_k[1]
    ? `published ${formatPublished("temperature_k", asPublished(glass.spread_k[0]))}–${formatPublished("temperature_k", asPublished(glass.spread_k[1]))}`
    : "";
  const flags = [GLASS_APPLIES[glass.applies] || GLASS_APPLIES.unknown];
  if (glass.why) flags.push(glass.why);
  if (!known) flags.push(`unknown, because ${glass.reason || "no published value or model covers this solution"}`);
  if (glass.applies === "freeze_concentrated" && isNum(homogeneousTg?.value_c)) {
    flags.push(`Tg of the homogeneous solution (model, not observed here: ice forms first): ${formatQuantity("temperature", homogeneousTg.value_c)}`);
  }
  if (glass.verified === false) flags.push("source values not checked against the primary publication (verified: false)");
  return {
    key: "glass_transition",
    title: glass.applies === "freeze_concentrated" ? "Glass transition (Tg′, freeze-concentrated)" : "Glass transition (Tg)",
    value: known ? formatQuantity("temperature", glass.value_c) : "unknown",
    secondary: known ? [formatQuantity("temperature_k", glass.value_k), spread].filter(Boolean).join(", ") : "",
    method: glass.method || "—",
    provenance: glass.provenance || "—",
    flags,
    ok: known && glass.within_range === true,
    warnings: uniqueWarnings(glass.warnings),
  };
}

/** Measured values of a named solution: [{property, value (text with unit), source}]. */
export function measurementRows(measurements) {
  return (measurements || []).map((m) => ({
    property: label(m.property),
    value: isNum(m.value) ? recordedText(m.value, m.unit, m.published_decimals) : String(m.value ?? "—"),
    provenance: m.provenance || m.kind || "measured",
    source: m.source || "—",
  }));
}

/** The published Tg′ of the freeze-concentrated phase as display text, or null. */
export function freezeConcentratedText(fc) {
  if (!fc || !isNum(fc.tg_prime_k)) return null;
  const wg = isNum(fc.wg_prime_mass_fraction) ? `, at W′g = ${formatPublished("mass_fraction", asPublished(fc.wg_prime_mass_fraction * 100), "% w/w")}` : "";
  return `${fc.solute}: Tg′ = ${formatQuantity("temperature", fc.tg_prime_k - 273.15)} (${formatPublished("temperature_k", asPublished(fc.tg_prime_k))})${wg}`;
}

/**
 * What the diagram says about glass and ice beyond Tm and Tg, as display lines: Tg′ with its
 * spread and sources, where the homogeneous glass applies, and why Th, Td and the critical
 * rates are missing when they are.
 */
export function glassLayerNotes(diagram) {
  const notes = [];
  const tgp = diagram?.tg_prime;
  if (tgp && isNum(tgp.value_k)) {
    const each = (tgp.published || []).map((q) => `${formatPublished("temperature_k", asPublished(q.tg_prime_k))} (${q.source})`).join("; ");
    notes.push(`Tg′ = ${formatQuantity("temperature", tgp.value_k - 273.15)} (${formatQuantity("temperature_k", tgp.value_k)}), ${tgp.method}: ${each}`);
  } else if (diagram?.tg_prime_reason) {
    notes.push(`Tg′: ${diagram.tg_prime_reason}`);
  }
  if (isNum(diagram?.homogeneous_glass_min_percent)) {
    notes.push(`Ice-free (homogeneous) glass from ${formatRecorded(diagram.homogeneous_glass_min_percent, "% w/w")} up (${diagram.homogeneous_glass_min_source || "source not given"}); below it ice forms and Tg′ applies.`);
  }
  if (diagram?.nucleation_reason) notes.push(`Th: ${diagram.nucleation_reason}`);
  if (diagram?.devitrification_reason) notes.push(`Td: ${diagram.devitrification_reason}`);
  const rates = diagram?.critical_rates;
  if (rates?.reason) notes.push(`Critical cooling/warming rates: ${rates.reason}`);
  else if (rates?.sources?.length) notes.push(`Critical cooling/warming rates from: ${rates.sources.join("; ")}`);
  return notes;
}

/** Components that can have a binary phase diagram (they have a molar mass). */
export function phaseDiagramChoices(components) {
  return (components || [])
    .filter((c) => c.molecule_id && isNum(c.molar_mass) && c.molar_mass > 0)
    .map((c) => ({ molecule_id: c.molecule_id, name: c.name || c.smiles, role: c.role }));
}

/**
 * Measured points of a solute–water diagram from the API's properties of that binary
 * solution: the published Tg′ at W′g, and the published Tg of the pure solute (100 % w/w).
 */
export function measuredPhasePoints(props) {
  const points = [];
  const fc = props?.freeze_concentrated;
  if (fc && isNum(fc.tg_prime_k) && isNum(fc.wg_prime_mass_fraction)) {
    points.push({
      kind: "Tg′, maximally freeze-concentrated (measured)",
      mass_percent: fc.wg_prime_mass_fraction * 100,
      temperature_c: fc.tg_prime_k - 273.15,
      source: fc.source || "",
    });
  }
  const own = (props?.glass_transition?.parameters || [])[0];
  if (own && isNum(own.tg_k)) {
    points.push({
      kind: "Tg of the pure solute (published)",
      mass_percent: 100,
      temperature_c: own.tg_k - 273.15,
      source: own.tg_source || "",
    });
  }
  return points;
}

function finite(values) {
  return values.filter(isNum);
}

/**
 * Plotly traces and layout of the binary phase diagram: the model melting point where the
 * API gives it (solid inside the fitted range, dotted where no range is recorded), and where
 * it does not (outside the fitted range, past the eutectic) the upper bound that still
 * holds — never an extrapolated number; the published solid–liquid equilibria (ice and
 * solute liquidus, eutectic), the model Tg, measured points, and where this mixture sits.
 */
export function phaseDiagramFigure(diagram, { measured = [], currentMassPercent = null } = {}) {
  const x = diagram?.mass_percent || [];
  const tm = diagram?.melting_point_c || [];
  const ok = diagram?.melting_point_within_range || [];
  const bounds = diagram?.melting_point_upper_bound_c || [];
  const reasons = diagram?.melting_point_reason || [];
  const solute = diagram?.solute || "solute";
  const fitted = x.map((_, i) => (ok[i] === true && isNum(tm[i]) ? tm[i] : null));
  const unranged = x.map((_, i) => (ok[i] !== true && ok[i] !== false && isNum(tm[i]) ? tm[i] : null));
  const bounded = x.map((_, i) => (!isNum(tm[i]) && isNum(bounds[i]) ? bounds[i] : null));
  const traces = [
    {
      type: "scatter", mode: "lines", name: "Melting point (model, fitted range)", x, y: fitted,
      line: { color: "#1f77b4", width: 2 }, connectgaps: false,
    },
  ];
  if (unranged.some(isNum)) {
    traces.push({
      type: "scatter", mode: "lines", name: "Melting point (model, valid range not recorded)", x, y: unranged,
      line: { color: "#1f77b4", width: 2, dash: "dot" }, connectgaps: false,
    });
  }
  if (bounded.some(isNum)) {
    traces.push({
      type: "scatter", mode: "lines", name: "Melting point unknown: it lies below this bound", x, y: bounded,
      text: x.map((_, i) => reasons[i] || ""),
      hovertemplate: "%{x:.1f} % w/w: below %{y:.1f} °C<br>%{text}<extra></extra>",
      line: { color: "#7f7f7f", width: 1.5, dash: "dash" }, connectgaps: false,
    });
  }
  const xTop = Math.max(...finite(x), 0);
  const published = (diagram?.phase_boundaries || []).filter(
    (p) => isNum(p.mass_percent) && isNum(p.temperature_c) && p.mass_percent <= xTop,
  );
  const groups = new Map();
  for (const p of published) {
    const name =
      p.kind === "eutectic"
        ? `Eutectic: ice + ${p.solid_phase} (published)`
        : p.kind === "ice_liquidus"
          ? "Freezing point, ice (published)"
          : `Liquidus: ${p.solid_phase} crystallises (published)`;
    if (!groups.has(name)) groups.set(name, []);
    groups.get(name).push(p);
  }
  for (const [name, pts] of groups) {
    traces.push({
      type: "scatter", mode: "markers", name,
      x: pts.map((p) => p.mass_percent), y: pts.map((p) => p.temperature_c),
      text: pts.map((p) => p.source || ""),
      hovertemplate: "%{x:.1f} % w/w, %{y:.1f} °C<br>%{text}<extra></extra>",
      marker: { size: 9, symbol: name.startsWith("Eutectic") ? "star" : name.startsWith("Freezing") ? "circle" : "triangle-up", color: "#9467bd", line: { color: "#000", width: 1 } },
    });
  }
  const tg = diagram?.tg_c || [];
  const applies = diagram?.tg_applies || [];
  if (tg.filter(isNum).length > 1 && !applies.length) { // more than pure water's Tg
    traces.push({
      type: "scatter", mode: "lines", name: "Glass transition Tg (Gordon–Taylor model)", x, y: tg,
      line: { color: "#d62728", width: 2 }, connectgaps: false,
    });
  } else if (tg.filter(isNum).length > 1) {
    // Solid where the whole solution forms an ice-free glass (measured range); dotted where
    // ice forms first, so this homogeneous Tg is not the glass a user sees there.
    const seen = x.map((_, i) => (applies[i] === "homogeneous" && isNum(tg[i]) ? tg[i] : null));
    const hidden = x.map((_, i) => (applies[i] !== "homogeneous" && isNum(tg[i]) ? tg[i] : null));
    if (seen.some(isNum)) {
      traces.push({
        type: "scatter", mode: "lines", name: "Tg, homogeneous glass (Gordon–Taylor model)", x, y: seen,
        line: { color: "#d62728", width: 2 }, connectgaps: false,
      });
    }
    traces.push({
      type: "scatter", mode: "lines",
      name: applies.includes("homogeneous") ? "Tg if no ice formed (not observed: ice forms first)" : "Tg, homogeneous glass (model; whether ice forms first is not recorded)",
      x, y: hidden, line: { color: "#d62728", width: 1.5, dash: "dot" }, connectgaps: false,
    });
  }
  const tgp = diagram?.tg_prime;
  const tgPrimeYs = [];
  if (tgp && isNum(tgp.value_k)) {
    // Tg′ applies wherever ice forms: up to the measured ice-free concentration (or W′g).
    const edge = isNum(diagram.homogeneous_glass_min_percent)
      ? diagram.homogeneous_glass_min_percent
      : isNum(tgp.wg_prime_mass_fraction) ? tgp.wg_prime_mass_fraction * 100 : Math.max(...finite(x), 0);
    const yc = tgp.value_k - 273.15;
    tgPrimeYs.push(yc, tgp.low_k - 273.15, tgp.high_k - 273.15);
    traces.push({
      type: "scatter", mode: "lines",
      name: `Tg′, freeze-concentrated phase (published, ${formatPublished("temperature_k", asPublished(tgp.low_k))}–${formatPublished("temperature_k", asPublished(tgp.high_k))})`,
      x: [0, edge], y: [yc, yc],
      text: [(tgp.published || []).map((q) => `${q.tg_prime_k} K: ${q.source}`).join("<br>")],
      hovertemplate: "Tg′ %{y:.1f} °C<br>%{text}<extra></extra>",
      line: { color: "#ff7f0e", width: 2 },
      error_y: { type: "data", symmetric: false, array: [tgp.high_k - tgp.value_k, tgp.high_k - tgp.value_k], arrayminus: [tgp.value_k - tgp.low_k, tgp.value_k - tgp.low_k], color: "#ff7f0e" },
    });
  }
  const th = (diagram?.nucleation_points || []).filter((p) => isNum(p.mass_percent) && isNum(p.temperature_c));
  if (th.length) {
    traces.push({
      type: "scatter", mode: "lines+markers", name: "Th, homogeneous nucleation (published)",
      x: th.map((p) => p.mass_percent), y: th.map((p) => p.temperature_c),
      text: th.map((p) => p.source || ""), hovertemplate: "%{x:.1f} % w/w, %{y:.1f} °C<br>%{text}<extra></extra>",
      line: { color: "#17becf", width: 1.5 }, marker: { size: 7, color: "#17becf" },
    });
  }
  const crc = (diagram?.measured_melting_points || []).filter((p) => isNum(p.mass_percent) && isNum(p.melting_point_c));
  if (crc.length) {
    traces.push({
      type: "scatter", mode: "markers", name: "Melting point (measured, CRC Handbook)",
      x: crc.map((p) => p.mass_percent), y: crc.map((p) => p.melting_point_c),
      text: crc.map((p) => p.source || ""),
      customdata: crc.map((p) => recordedText(p.melting_point_c, "°C", p.published_decimals)), // as published
      hovertemplate: "%{x:.1f} % w/w, %{customdata} (measured)<br>%{text}<extra></extra>",
      marker: { size: 7, symbol: "circle-open", color: "#1f77b4", line: { width: 1.5 } },
    });
  }
  for (const kind of [...new Set(measured.map((p) => p.kind))]) {
    const pts = measured.filter((p) => p.kind === kind);
    traces.push({
      type: "scatter", mode: "markers", name: kind,
      x: pts.map((p) => p.mass_percent), y: pts.map((p) => p.temperature_c),
      text: pts.map((p) => p.source), hovertemplate: "%{x:.1f} % w/w, %{y:.1f} °C<br>%{text}<extra></extra>",
      marker: { size: 11, symbol: kind.startsWith("Tg′") ? "diamond" : "square", color: "#2ca02c", line: { color: "#000", width: 1 } },
    });
  }
  const ys = [
    ...finite(tm), ...finite(tg), ...finite(bounded), ...published.map((p) => p.temperature_c),
    ...measured.map((p) => p.temperature_c), ...crc.map((p) => p.melting_point_c),
    ...tgPrimeYs, ...th.map((p) => p.temperature_c),
  ];
  if (isNum(currentMassPercent) && ys.length) {
    traces.push({
      type: "scatter", mode: "lines", name: `This mixture: ${formatQuantity("mass_fraction", currentMassPercent, "% w/w")} ${solute}`,
      x: [currentMassPercent, currentMassPercent], y: [Math.min(...ys), Math.max(...ys)],
      line: { color: "#555", dash: "dash", width: 1 },
    });
  }
  const xMax = Math.max(...finite(x), ...measured.map((p) => p.mass_percent), 1);
  const layout = {
    margin: { l: 70, r: 20, t: 20, b: 60 },
    xaxis: { title: { text: `${solute} in water (% w/w)` }, range: [0, xMax + 2], zeroline: false },
    yaxis: { title: { text: "Temperature (°C)" }, zeroline: false },
    legend: { orientation: "h", y: -0.25 },
  };
  return { traces, layout };
}
