// Next-experiment suggestions for one model: POST /api/v1/predictive-models/<id>/suggest and
// a table of the batch (composition, prediction with interval, acquisition value, exploit or
// explore and why, melting point and osmolality or why they are unknown, how makeability
// was decided).
import { apiRequest, fetchResourceFromApi, guarded } from "./api.js";
import { h, replace } from "./dom.js";
import { formatInUnit, formatQuantity } from "./format.js";

const root = document.getElementById("suggest-page");
const form = document.getElementById("suggest-form");
const loading = document.getElementById("loading");
const error = document.getElementById("error");

/** The request body from the form: empty optional fields are left out. */
export function suggestBody(data) {
  const body = {
    batch_size: Number(data.get("batch_size")),
    rule: data.get("rule"),
    dmso_free: data.get("dmso_free") === "on",
    n_candidates: Number(data.get("n_candidates")),
  };
  for (const key of ["max_ingredients", "max_osmolality_osmol_per_kg", "max_melting_point_c"]) {
    const value = data.get(key);
    if (value !== null && value !== "") body[key] = Number(value);
  }
  return body;
}

/** A physics answer: its value, else "unknown" with the reason (and a proving bound). */
function physicsCell(answer, unit) {
  if (!answer) return h("td", {}, "not computed");
  if (answer.value !== null && answer.value !== undefined) return h("td", {}, formatInUnit(answer.value, unit));
  const bound = answer.bound ? ` (bound: ${answer.bound.text})` : "";
  return h("td", { class: "unknown" }, `unknown: ${answer.reason || "no validated value"}${bound}`);
}

function row(s) {
  const p = s.prediction;
  const composition = s.composition.map((c) => `${c.name} ${c.amount} ${c.unit}`).join(" + ");
  return h(
    "tr",
    { "data-picked": s.picked_for },
    h("td", {}, String(s.rank)),
    h("td", {}, composition),
    h("td", {}, `${formatInUnit(p.value, p.unit)} (${formatQuantity("confidence", p.level * 100)} interval ${formatInUnit(p.lower, p.unit)} – ${formatInUnit(p.upper, p.unit)})`),
    h("td", {}, formatQuantity("metric", s.acquisition.value)),
    h("td", { class: `picked-${s.picked_for}` }, s.picked_for),
    h("td", {}, s.why),
    physicsCell(s.physics && s.physics.melting_point, "°C"),
    physicsCell(s.physics && s.physics.osmolality, "osmol/kg"),
    h(
      "td",
      { title: s.makeable.method },
      s.makeable.ok
        ? s.makeable.method.startsWith("solutions.check_composition")
          ? "yes (exact conversion)"
          : "yes (density estimated by the model's closure; hover for why)"
        : `no — ${s.makeable.reason}`,
    ),
  );
}

function show(answer) {
  const a = answer.acquisition;
  replace(
    document.getElementById("acquisition"),
    h("dt", {}, "Rule"),
    h("dd", {}, a.description),
    h("dt", {}, "Uncertainty"),
    h("dd", {}, a.uncertainty_source),
    h("dt", {}, "Best measured so far"),
    h("dd", {}, `${formatInUnit(answer.incumbent.value, answer.incumbent.unit)} (${answer.incumbent.row_id})`),
  );
  const c = answer.candidates;
  document.getElementById("counts").textContent =
    `${c.sampled} candidates sampled, ${c.impossible} impossible, ${c.in_domain ?? 0} inside the applicability domain, ` +
    `${c.physics_checked ?? 0} checked for solution physics, ${c.passed_constraints ?? 0} passed every constraint.`;
  replace(document.getElementById("notes"), ...answer.notes.map((n) => h("li", {}, n)));
  replace(document.querySelector("#suggestions tbody"), ...answer.suggestions.map(row));
  document.getElementById("empty").hidden = answer.suggestions.length > 0;
  document.getElementById("result").hidden = false;
}

async function submit(event) {
  event.preventDefault();
  const button = document.getElementById("suggest-button");
  button.disabled = true;
  try {
    const answer = await apiRequest(`${root.dataset.api}/suggest`, {
      method: "POST",
      json: suggestBody(new FormData(form)),
      loading,
      error,
      form,
    });
    show(answer);
  } finally {
    button.disabled = false;
  }
}

async function main() {
  const model = await fetchResourceFromApi(root.dataset.api, { loading, error });
  document.getElementById("model-name").textContent = `— ${model.name} v${model.version} (${model.algorithm}, ${model.target})`;
  form.addEventListener("submit", guarded(submit, error));
}

if (root) main().catch(() => {});
