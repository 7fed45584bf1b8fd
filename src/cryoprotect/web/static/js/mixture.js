// One mixture: composition in every unit, computed properties with method and provenance,
// measured values of named solutions, the binary phase diagram (Plotly), predictions,
// experiments, version history; edit, clone, delete, compare.
import { ApiError, apiRequest, confirmDelete, currentTeam, currentUser, guarded, onSubmit, pageStatus, reportUnexpected, showError } from "./api.js";
import { myTeams } from "./scope_ui.js";
import { $, definitionList, fillTable, h, replace } from "./dom.js";
import { formatQuantity, formatRecorded, formatTimestamp, uniqueWarnings } from "./format.js";
import { timeEl } from "./precision_ui.js";
import { densityParagraph, renderCompositionTable, renderPropertyCards } from "./mixtures_ui.js";
import { selected, selectionUrl, toggle } from "./mixtures_selection_ui.js";
import { baselineVerdict, predictionState, predictionSummary } from "./models_lib.js";
import { amountIn, isReference, scopeText, SYSTEM_USER_ID, versionRows } from "./mixtures_lib.js";
import {
  freezeConcentratedText,
  glassLayerNotes,
  measuredPhasePoints,
  measurementRows,
  phaseDiagramChoices,
  phaseDiagramFigure,
} from "./mixtures_properties_lib.js";
import { defaultScope } from "./scope_lib.js";

const root = document.getElementById("mixture-page");
const mixtureId = root.dataset.mixtureId;
const { error, loading } = pageStatus();

const PLOT_CONFIG = { responsive: true, displaylogo: false };

function showNotFound() {
  document.title = "Mixture not found · CryoProtect";
  $("mixture-title").textContent = "Mixture not found";
  $("crumb").textContent = "not found";
  replace(
    error,
    "This mixture was not found or is not visible to you: it may be private to another user or team, or it was deleted. ",
    h("a", { href: "/mixtures" }, "Back to the mixtures you can see"),
    ".",
  );
  error.hidden = false;
}

function sourcesList(sources) {
  if (!sources || sources.length === 0) return "none recorded";
  return h(
    "ul",
    { class: "sources" },
    sources.map((s) => h("li", {}, [s.citation, s.doi ? `doi:${s.doi}` : "", s.url, s.note].filter(Boolean).join(" — "))),
  );
}

function ownerText(mixture, user) {
  if (mixture.created_by === SYSTEM_USER_ID) return "CryoProtect reference library";
  if (user && mixture.created_by === user.id) return "you";
  return "another user";
}

async function teamNames(user) {
  if (!user) return {};
  const teams = await myTeams(error);
  return Object.fromEntries(teams.map((t) => [t.id, t.name]));
}

function renderHeader(mixture, user, teams) {
  const reference = isReference(mixture);
  document.title = `${mixture.name} v${mixture.version} · CryoProtect`;
  $("mixture-title").textContent = mixture.name;
  $("crumb").textContent = mixture.name;
  $("reference-badge").hidden = !reference;
  $("description").textContent = mixture.description || "";
  $("description").hidden = !mixture.description;
  $("summary").replaceWith(
    definitionList(
      [
      ["Version", `v${mixture.version}`],
      ["Carrier", mixture.carrier || "water (no carrier)"],
      ["Shared", scopeText(mixture, teams)],
      ["Created by", ownerText(mixture, user)],
      ["Created", timeEl(mixture.created_at)],
      ["Last changed", timeEl(mixture.updated_at)],
        ["Sources", sourcesList(mixture.sources)],
      ],
      { id: "summary", class: "provenance" },
    ),
  );
}

function wireActions(mixture, user) {
  const reference = isReference(mixture);
  const signedIn = Boolean(user);
  const edit = $("edit-link");
  edit.href = `/mixtures/new?from=${mixture.id}`;
  edit.textContent = reference ? "New mixture from this one" : "Edit (new version)";
  edit.hidden = !signedIn;
  $("clone-button").hidden = !signedIn;
  $("delete-button").hidden = !signedIn || reference;
  for (const link of [$("experiment-link"), $("experiment-link-2")]) link.href = `/experiments/new?mixture_id=${mixture.id}`;
  $("experiment-link").hidden = !signedIn;
  $("signin-hint").hidden = signedIn;

  $("clone-button").addEventListener(
    "click",
    guarded(async () => {
      const scope = defaultScope(currentTeam());
      const copy = await apiRequest(`/api/v1/mixtures/${mixture.id}/clone`, { method: "POST", json: scope, error, loading });
      window.location.assign(`/mixtures/${copy.id}`);
    }),
  );
  confirmDelete("delete-button", async () => {
    await apiRequest(`/api/v1/mixtures/${mixture.id}`, { method: "DELETE", error, loading });
    window.location.assign("/mixtures");
  });
  const compareButton = $("compare-add");
  const renderCompare = () => {
    const inList = selected().some((x) => x.id === mixture.id);
    compareButton.textContent = inList ? "Remove from comparison" : "Add to comparison";
    compareButton.setAttribute("aria-pressed", inList ? "true" : "false");
    const url = selectionUrl();
    const count = selected().length;
    replace(
      $("compare-status"),
      count === 0 ? "" : `${count} mixture${count > 1 ? "s" : ""} picked for comparison. `,
      url ? h("a", { href: url }, "Compare them now") : count === 1 ? h("a", { href: "/mixtures" }, "Pick another on the list") : "",
    );
  };
  compareButton.addEventListener("click", () => {
    const inList = selected().some((x) => x.id === mixture.id);
    if (!toggle(mixture.id, mixture.name, !inList)) showError(error, "At most 10 mixtures can be compared at once.");
    renderCompare();
  });
  renderCompare();
}

// ------------------------------------------------------------ properties

function renderParameters(props) {
  fillTable($("params-table").querySelector("tbody"), props.osmolality?.parameters || [], [
    { header: true, cell: (p) => p.component },
    { cell: (p) => p.parameter_set },
    { cell: (p) => formatQuantity("coefficient", p.B_kg_per_mol) },
    { cell: (p) => formatQuantity("coefficient", p.C_kg2_per_mol2) },
    { cell: (p) => formatQuantity("number", p.k_diss) },
    { cell: (p) => formatQuantity("molality", p.molality_mol_per_kg, "") },
    { cell: (p) => (p.valid_max_molality === null || p.valid_max_molality === undefined ? "not recorded" : formatQuantity("molality", p.valid_max_molality, "")) },
    { cell: (p) => (p.within_range === true ? "yes" : p.within_range === false ? "no: outside the fitted range (no value given)" : "unknown: range not recorded") },
    { cell: (p) => `${p.provenance}${p.verified ? "" : " (not checked against the source)"}` },
    { cell: (p) => h("span", { class: "source" }, p.source || "—") },
  ]);
}

function renderMeasured(props) {
  const rows = measurementRows(props.measurements);
  $("measured-empty").hidden = rows.length > 0;
  $("measured-table").hidden = rows.length === 0;
  fillTable($("measured-table").querySelector("tbody"), rows, [
    { header: true, cell: (r) => r.property },
    { cell: (r) => r.value },
    { cell: (r) => h("span", { class: `badge provenance ${r.provenance}` }, r.provenance) },
    { cell: (r) => h("span", { class: "source" }, r.source) },
  ]);
}

async function loadProperties(mixture) {
  const props = await apiRequest(`/api/v1/mixtures/${mixture.id}/properties`, {
    loading: $("props-loading"),
    error: $("props-error"),
  });
  renderPropertyCards($("property-cards"), props);
  const fc = freezeConcentratedText(props.freeze_concentrated);
  $("freeze-concentrated").hidden = !fc;
  if (fc) {
    replace(
      $("freeze-concentrated"),
      h("strong", {}, "Freeze-concentrated glass (measured): "),
      fc,
      ". ",
      h("span", { class: "source" }, props.freeze_concentrated.source || ""),
    );
  }
  renderMeasured(props);
  renderCompositionTable($("composition-table"), props, mixture.components.length);
  densityParagraph($("density"), props.composition);
  renderParameters(props);
  return props;
}

// --------------------------------------------------------- phase diagram

async function drawPhaseDiagram(choice, maxMassPercent, props) {
  const phaseError = $("phase-error");
  const path = `/api/v1/solutions/phase-diagram?molecule_id=${encodeURIComponent(choice.molecule_id)}&max_mass_percent=${encodeURIComponent(maxMassPercent)}`;
  const [diagram, binary] = await Promise.all([
    apiRequest(path, { loading: $("phase-loading"), error: phaseError, form: $("phase-form") }),
    // The binary solution's properties carry the published Tg′ and Tg of the pure solute.
    apiRequest("/api/v1/solutions/properties", {
      method: "POST",
      json: { components: [{ molecule_id: choice.molecule_id, amount: 1, unit: "% w/w" }] },
      quiet: true,
    }).catch((exc) => {
      if (!(exc instanceof ApiError)) throw exc;
      return { unavailable: exc.message };
    }),
  ]);
  const measured = binary.unavailable ? [] : measuredPhasePoints(binary);
  const current = props ? amountIn(props.composition, choice.name, "% w/w") : null;
  if (typeof Plotly === "undefined") {
    showError(phaseError, "The charting library (Plotly.js) did not load.");
    return;
  }
  const { traces, layout } = phaseDiagramFigure(diagram, { measured, currentMassPercent: current });
  await Plotly.react("chart-phase", traces, layout, PLOT_CONFIG);
  const methods = diagram.methods || {};
  const warnings = uniqueWarnings(diagram.warnings);
  const unknown = uniqueWarnings(diagram.melting_point_reason);
  replace(
    $("phase-methods"),
    h("p", {}, h("strong", {}, "Melting point: "), methods.melting_point || "—"),
    unknown.length
      ? h(
          "div",
          { class: "flag warn", id: "phase-unknown" },
          h("p", {}, h("strong", {}, "Where the melting point is not given: "), methods.melting_point_bound ? `the dashed line is an upper bound (${methods.melting_point_bound}).` : ""),
          h("ul", {}, unknown.map((r) => h("li", {}, `unknown, because ${r}`))),
        )
      : "",
    h("p", {}, h("strong", {}, "Glass transition: "), methods.glass_transition || "—"),
    h("ul", { id: "phase-glass-notes" }, glassLayerNotes(diagram).map((n) => h("li", {}, n))),
    h(
      "p",
      {},
      h("strong", {}, "Measured points: "),
      binary.unavailable
        ? `not available (${binary.unavailable})`
        : measured.length
          ? measured.map((p) => `${p.kind} at ${formatRecorded(p.mass_percent, "% w/w")}: ${formatQuantity("temperature", p.temperature_c)} — ${p.source}`).join("; ")
          : `none recorded for ${diagram.solute}`,
    ),
    warnings.length ? h("details", {}, h("summary", {}, `Warnings (${warnings.length})`), h("ul", {}, warnings.map((w) => h("li", {}, w)))) : "",
  );
}

function setUpPhaseDiagram(mixture, propsPromise) {
  const form = $("phase-form");
  const select = form.elements.molecule_id;
  const choices = phaseDiagramChoices(mixture.components);
  if (choices.length === 0) {
    form.hidden = true;
    $("phase-empty").hidden = false;
    $("chart-phase").hidden = true;
    return Promise.resolve();
  }
  replace(
    select,
    choices.map((c) => h("option", { value: c.molecule_id }, c.role ? `${c.name} (${c.role})` : c.name)),
  );
  select.value = (choices.find((c) => c.role === "cpa") || choices[0]).molecule_id;
  const draw = async () => {
    const choice = choices.find((c) => c.molecule_id === select.value);
    const props = await propsPromise.catch(() => null); // its own error is already shown
    await drawPhaseDiagram(choice, Number(form.elements.max_mass_percent.value) || 80, props);
  };
  onSubmit(form, async () => {
    await draw();
  }, $("phase-error"));
  select.addEventListener("change", guarded(draw, $("phase-error")));
  return draw();
}

// ------------------------------------------------------------ prediction

async function setUpPrediction(mixture) {
  const form = $("predict-form");
  const page = await apiRequest("/api/v1/predictive-models?per_page=100", { error: $("predict-error") });
  const ready = (page.items || []).filter((m) => m.status === "ready");
  if (ready.length === 0) {
    form.hidden = true;
    $("predict-empty").hidden = false;
    return;
  }
  replace(
    form.elements.model_id,
    ready.map((m) => h("option", { value: m.id }, `${m.name} v${m.version} — ${m.target} (${m.algorithm})${baselineVerdict(m).state === "better" ? "" : " — not better than its baselines"}`)),
  );
  onSubmit(form, async () => {
    const modelId = form.elements.model_id.value;
    const result = $("predict-result");
    result.hidden = true;
    const p = await apiRequest(`/api/v1/predictive-models/${modelId}/predict`, {
      method: "POST",
      json: { mixture_id: mixture.id },
      form,
      error: $("predict-error"),
      loading: $("predict-loading"),
    });
    const s = predictionSummary(p);
    // Never a number outside the applicability domain, never a green box for a model
    // that does not beat its baselines (models_lib.predictionState).
    const state = predictionState(p);
    result.className = state.className;
    result.dataset.kind = state.kind;
    replace(
      result,
      state.kind === "no_value"
        ? h("p", { class: "value" }, h("strong", {}, state.headline), " (", h("a", { href: `/models/${p.model_id}` }, s.model), ")")
        : h("p", { class: "value" }, h("strong", {}, state.kind === "extrapolated" ? state.headline : s.headline), ` (${s.interval}; `, h("a", { href: `/models/${p.model_id}` }, s.model), ")"),
      h("p", {}, state.kind === "no_value" ? state.detail : s.domain),
      state.baseline ? h("p", {}, state.baseline) : "",
      s.nearest.length ? h("p", { class: "note" }, `Nearest training formulations: ${s.nearest.join(", ")}`) : "",
      s.warnings.length ? h("ul", { class: "note" }, s.warnings.map((w) => h("li", {}, w))) : "",
    );
    result.hidden = false;
  }, $("predict-error"));
}

// ----------------------------------------------------- experiments, versions

async function loadExperiments(mixture) {
  const page = await apiRequest(`/api/v1/experiments?mixture_id=${mixture.id}&per_page=20`, {
    loading: $("experiments-loading"),
    error,
  });
  const items = page.items || [];
  $("experiments-empty").hidden = items.length > 0;
  replace(
    $("experiments-list"),
    items.map((e) =>
      h(
        "li",
        {},
        h("a", { href: `/experiments/${e.id}` }, e.title),
        " ",
        h("span", { class: `badge ${e.verification_status}` }, e.verification_status),
        ` · mixture v${e.mixture_version ?? "?"} · ${e.performed_on || formatTimestamp(e.created_at)}`,
      ),
    ),
  );
  if (page.total > items.length) $("experiments-list").append(h("li", {}, `… and ${page.total - items.length} more.`));
}

async function loadVersions(mixture) {
  const versions = await apiRequest(`/api/v1/mixtures/${mixture.id}/versions`, { error });
  fillTable($("versions-table").querySelector("tbody"), versionRows(versions, mixture.version), [
    { header: true, cell: (v) => (v.current ? `v${v.version} (current)` : `v${v.version}`) },
    { cell: (v) => v.name },
    { cell: (v) => h("span", { class: "text" }, v.summary) },
    { cell: (v) => v.carrier },
    { cell: (v) => v.date },
  ]);
}

// ------------------------------------------------------------------- main

async function main() {
  let mixture;
  try {
    mixture = await apiRequest(`/api/v1/mixtures/${mixtureId}`, { loading, error, quiet: true });
  } catch (exc) {
    if (exc instanceof ApiError && exc.status === 404) {
      showNotFound();
      return;
    }
    showError(error, `Could not load this mixture: ${exc.message}`);
    throw exc;
  }
  const user = await currentUser();
  const teams = await teamNames(user);
  renderHeader(mixture, user, teams);
  wireActions(mixture, user);
  $("mixture-content").hidden = false;
  const propsPromise = loadProperties(mixture);
  await Promise.all([
    propsPromise.catch((exc) => {
      for (const section of document.querySelectorAll(".needs-props")) section.hidden = true;
      $("props-unavailable").hidden = false;
      reportUnexpected(exc, $("props-error"));
    }),
    setUpPhaseDiagram(mixture, propsPromise).catch((exc) => reportUnexpected(exc, $("phase-error"))),
    setUpPrediction(mixture).catch((exc) => reportUnexpected(exc, $("predict-error"))),
    loadExperiments(mixture).catch((exc) => reportUnexpected(exc)),
    loadVersions(mixture).catch((exc) => reportUnexpected(exc)),
  ]);
}

main().catch((exc) => reportUnexpected(exc));
