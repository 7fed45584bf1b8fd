// A saved protocol as a bench recipe (GET /api/v1/protocols/<id>/recipe): one table per step
// with what to measure (mL of each liquid stock, g of each solid, water to make up), the hold
// rounded for the bench with the "too short to do by hand" warning, the totals of each stock
// for the whole protocol, the carrier choice's toxicity cost and how every number was
// obtained. Shared by the protocol page's Recipe section and the printable sheet
// (/protocols/<id>/recipe), which adds a checkbox per line for the bench.
import { fillTable, h, headedTable, replace } from "./dom.js";
import { formatQuantity, formatTime, query } from "./format.js";

/** The API address of a protocol's recipe. */
export function recipeUrl(protocolId, { volume, carrierStrength } = {}) {
  return `/api/v1/protocols/${encodeURIComponent(protocolId)}/recipe${query({ volume_ml: volume, carrier_strength: carrierStrength })}`;
}

/** The print sheet's address for the same choices. */
export function sheetUrl(protocolId, { volume, carrierStrength } = {}) {
  return `/protocols/${encodeURIComponent(protocolId)}/recipe${query({ volume_ml: volume, carrier_strength: carrierStrength })}`;
}

/** A rounded hold as a timer reads it: "45 s", "2 min 45 s", "79 min". */
export function timerText(seconds) {
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const min = Math.floor(s / 60);
  const rest = s % 60;
  return rest ? `${min} min ${rest} s` : `${min} min`;
}

/** What to take of one ingredient: "1.000 mL" (liquids, with the mass), "0.2345 g" (solids). */
export function amountText(item) {
  if (item.measure === "mass") return `${formatQuantity("mass", item.mass_g)} (weigh)`;
  return `${formatQuantity("volume", item.volume_ml)} (${formatQuantity("mass", item.mass_g)})`;
}

/** The concentrations of a step: "Dimethyl sulfoxide 10.0 % v/v (1.41 mol/L)". */
export function concentrationText(recipe) {
  return Object.entries(recipe.concentrations || {})
    .map(([name, c]) => {
      const main = c["% v/v"] !== undefined ? formatQuantity("percent", c["% v/v"], "% v/v") : formatQuantity("percent", c["% w/v"], "% w/v");
      return `${name} ${main} (${formatQuantity("molarity", c["mol/L"])}; ${formatQuantity("molality", recipe.molality?.[name])})`;
    })
    .join(" · ");
}

/** One sentence on the carrier choice and, for a salt-reduced design, its cost beside the conventional one. */
export function carrierText(carrier) {
  if (!carrier) return "";
  if (!carrier.salt_reduced) return "Conventional design: every step keeps the carrier's salts at full strength.";
  const cmp = carrier.comparison;
  const base = `Salt-reduced design (carrier salts down to ${formatQuantity("share", 100 * (carrier.min_carrier_fraction ?? 0))} of isotonic in loading steps).`;
  if (!cmp) return `${base} The conventional design was not computed for this protocol (saved before the comparison existed).`;
  if (!cmp.conventional) return `${base} ${cmp.reason || "The conventional design is infeasible."}`;
  const unit = cmp.toxicity_unit || "";
  return (
    `${base} Toxicity cost ${formatQuantity("toxicity_cost", cmp.salt_reduced.toxicity_cost, unit)} vs ${formatQuantity("toxicity_cost", cmp.conventional.toxicity_cost, unit)} ` +
    `for the conventional design (carrier kept): ${formatQuantity("toxicity_cost", cmp.difference, unit)}, ×${formatQuantity("ratio", cmp.ratio, "")}.`
  );
}

/** For a salt-reduced design (``settings.carrier_comparison``), a note with both costs; else null. */
export function carrierComparisonNote(settings) {
  const comparison = settings?.carrier_comparison;
  if (!comparison) return null;
  const text = carrierText({ salt_reduced: true, min_carrier_fraction: comparison.min_carrier_fraction, comparison });
  return h("p", { class: "note", id: "carrier-comparison" }, text);
}

/** Whether the rounded holds take the cell outside its limits. */
export function roundingOutside(effect) {
  return effect?.status === "computed" && effect.rounded?.within_limits === false;
}

/** One sentence on what rounding the holds changes. */
export function roundingText(effect) {
  if (!effect || effect.status !== "computed") return `Effect of the rounding: unknown (${effect?.reason || "not computed"}).`;
  const d = effect.designed;
  const r = effect.rounded;
  const unit = d.toxicity_unit || "";
  return (
    `With the rounded holds the protocol lasts ${timerText(r.total_duration_s)} (designed ${timerText(d.total_duration_s)}); ` +
    `toxicity cost ${formatQuantity("toxicity_cost", r.toxicity_cost, unit)} (designed ${formatQuantity("toxicity_cost", d.toxicity_cost, unit)}, ${formatQuantity("percent", 100 * (effect.toxicity_change ?? NaN))}); ` +
    `cell volume ${formatQuantity("volume_fraction", r.min_volume_fraction, "")}–${formatQuantity("volume_fraction", r.max_volume_fraction)}, ` +
    (r.within_limits ? "within the limits." : `OUTSIDE the limits: ${r.violations.join("; ")}.`)
  );
}

function stepTable(step, volume, sheet) {
  const recipe = step.recipe;
  const headers = [...(sheet ? ["Done"] : []), "Take", "From", "Amount"];
  const caption = `${step.label}: make ${formatQuantity("volume", volume)} at ${formatQuantity("temperature", step.temperature_c)}`;
  const table = headedTable({ class: "data recipe-step", dataset: { step: step.label } }, caption, headers);
  const rows = recipe.ingredients.map((item) => ({
    take: item.form === "water" ? "Water" : item.solute,
    from: item.form === "water" ? `water, then make up to ${formatQuantity("volume", volume)}` : item.stock,
    amount: amountText(item),
  }));
  fillTable(table.querySelector("tbody"), rows, [
    ...(sheet ? [{ cell: () => h("input", { type: "checkbox", "aria-label": "done" }) }] : []),
    { header: true, cell: (r) => r.take },
    { cell: (r) => r.from },
    { cell: (r) => r.amount, class: "num" },
  ]);
  return table;
}

function stepBlock(step, volume, sheet) {
  const hold = step.hold;
  return h(
    "article",
    { class: "recipe-step-block", dataset: { phase: step.phase } },
    h("h3", {}, `${step.phase === "addition" ? "Loading" : "Unloading"} — ${step.label}`),
    h("p", { class: "recipe-conc" }, concentrationText(step.recipe) || "Carrier only"),
    h("div", { class: "table-wrap" }, stepTable(step, volume, sheet)),
    h(
      "p",
      { class: "recipe-hold" },
      sheet ? h("input", { type: "checkbox", "aria-label": "hold done" }) : null,
      ` Hold the cells ${timerText(hold.rounded_s)} `,
      h("span", { class: "hint" }, `(designed ${formatTime(hold.model_s)}, rounded to ${formatTime(hold.resolution_s)})`),
    ),
    hold.warning ? h("p", { class: "alert short-step", role: "note" }, `⚠ ${hold.warning}`) : null,
    h("p", { class: "hint" }, `Sum of the parts ${formatQuantity("volume", step.recipe.sum_of_parts_ml)}; solution density ${formatQuantity("density", step.recipe.density_g_per_ml)}, ${formatQuantity("mass", step.recipe.final_mass_g)} in all.`),
    h("details", { class: "recipe-how" }, h("summary", {}, "How obtained"), h("ul", {}, (step.recipe.how_obtained || []).map((t) => h("li", {}, t)))),
  );
}

function totalsTable(recipe, sheet) {
  const headers = [...(sheet ? ["Ready"] : []), "Stock", "Volume", "Mass"];
  const table = headedTable({ class: "data", id: "recipe-totals" }, `For the whole protocol (${recipe.steps.length} solutions of ${formatQuantity("volume", recipe.volume_ml)})`, headers);
  fillTable(table.querySelector("tbody"), recipe.totals, [
    ...(sheet ? [{ cell: () => h("input", { type: "checkbox", "aria-label": "ready" }) }] : []),
    { header: true, cell: (t) => t.stock },
    { cell: (t) => (t.volume_ml === null || t.volume_ml === undefined ? "— (weigh)" : formatQuantity("volume", t.volume_ml)), class: "num" },
    { cell: (t) => formatQuantity("mass", t.mass_g), class: "num" },
  ]);
  return table;
}

/**
 * Render ``recipe`` (the API's answer) into ``root`` (emptied first).
 * @param {HTMLElement} root
 * @param {object} recipe
 * @param {{sheet?: boolean}} options - sheet: checkboxes for the bench
 */
export function renderRecipe(root, recipe, { sheet = false } = {}) {
  const warnings = recipe.warnings || [];
  replace(
    root,
    warnings.length
      ? h("div", { class: "alert", id: "recipe-warnings", role: "note" }, h("strong", {}, "Short holds: "), h("ul", {}, warnings.map((w) => h("li", {}, w))))
      : null,
    h("p", { id: "recipe-carrier", class: "note" }, carrierText(recipe.carrier)),
    h("p", { id: "recipe-rounding", class: roundingOutside(recipe.rounding_effect) ? "alert" : "note" }, roundingText(recipe.rounding_effect)),
    h("div", { class: "table-wrap" }, totalsTable(recipe, sheet)),
    recipe.steps.map((step) => stepBlock(step, recipe.volume_ml, sheet)),
    h(
      "details",
      { class: "recipe-how", open: sheet ? true : null },
      h("summary", {}, "How these numbers were obtained"),
      h("ul", {}, (recipe.how_obtained || []).map((t) => h("li", {}, t))),
      h("ul", { id: "recipe-stock-sources" }, (recipe.stocks || []).map((s) => h("li", {}, h("strong", {}, s.label), `: ${s.how_obtained}`))),
    ),
  );
}
