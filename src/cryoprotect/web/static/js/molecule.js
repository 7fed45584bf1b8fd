// One molecule: drawing, identifiers, CPA score explained, measured and computed properties
// with method and provenance, similar molecules, links, and (signed in) edit, add, delete.
import {
  ApiError,
  apiRequest,
  currentUser,
  fetchResourceFromApi,
  guarded,
  reportUnexpected,
  showError,
} from "./api.js";
import { $, fillTable, formValues, h, replace } from "./dom.js";
import { formatQuantity } from "./format.js";
import { timeEl } from "./precision_ui.js";
import {
  API,
  changesText,
  editBody,
  EXPORT_FORMATS,
  exportPath,
  identifierRows,
  propertyTables,
  pubchemUrl,
  scoreChart,
  scoreRows,
  similarityRows,
  similaritySearchHref,
  sourceEntry,
} from "./molecules_lib.js";
import { download, drawing, visibilityBadge } from "./molecules_ui.js";
import { myTeams, scopeControls } from "./scope_ui.js";
import { moleculePredictionRows } from "./models_lib.js";

const root = $("molecule-page");
const moleculeId = root.dataset.moleculeId;
const error = $("error");
const loading = $("loading");

function renderHeader(m) {
  const name = m.name || m.formula || "Unnamed molecule";
  $("molecule-title").textContent = name;
  $("crumb").textContent = name;
  document.title = `${name} · Molecules · CryoProtect`;
  replace(
    $("molecule-badges"),
    visibilityBadge(m.visibility),
    " ",
    m.molecule_class ? h("span", { class: "badge" }, m.molecule_class) : null,
    " ",
    h("span", { class: "note" }, "registered ", timeEl(m.created_at)),
  );
}

function renderIdentifiers(m) {
  replace(
    $("identifiers"),
    identifierRows(m).map(([term, value]) => [
      h("dt", {}, term),
      h("dd", {}, term === "PubChem CID" && m.pubchem_cid ? h("a", { href: pubchemUrl(m.pubchem_cid), rel: "noopener" }, value) : value),
    ]),
  );
  $("identifiers-method").textContent = m.identifiers_method ? `Identifiers: ${m.identifiers_method}.` : "";
  const std = m.standardization || {};
  $("standardization").textContent = std.method
    ? `Standardisation: ${std.method}; steps applied: ${changesText(std.changes)}.`
    : "";
  replace($("drawing"), drawing(m, { width: 340, height: 260, className: "drawing-large" }));
}

function renderScore(score, m) {
  if (!score) {
    $("score-empty").hidden = false;
    $("score-empty").textContent =
      m.kind === "no_structure"
        ? "No score: the score is computed from structure descriptors and this component has no structure."
        : "No score: the descriptors the score needs are not stored for this molecule.";
    return;
  }
  $("score-body").hidden = false;
  $("score-value").textContent = formatQuantity("score", score.score);
  $("score-method").textContent = score.method;
  replace(
    $("score-table").querySelector("tbody"),
    scoreRows(score).map((r) => [
      h(
        "tr",
        { class: "component" },
        h("th", { scope: "row" }, r.label),
        h("td", { "data-label": "Value" }, r.valueText),
        h("td", { "data-label": "Weight" }, r.weightText),
        h("td", { "data-label": "Desirability" }, r.desirabilityText),
        h("td", { "data-label": "Contribution" }, r.contributionText),
        h("td", { "data-label": "Share of score" }, r.shareText),
      ),
      h(
        "tr",
        { class: "explain" },
        h("td", { colspan: 6, class: "text" }, r.rationale, h("div", { class: "hint" }, `Source: ${r.citation}`)),
      ),
    ]),
  );
  if (!window.Plotly) {
    showError(error, "The chart library (Plotly) did not load; the table below has the same numbers.");
    return;
  }
  const chart = scoreChart(score);
  window.Plotly.newPlot($("score-chart"), chart.data, chart.layout, { responsive: true, displaylogo: false });
}

function renderProperties(properties, catalogue) {
  const { literature, computed } = propertyTables(properties, catalogue);
  const valueColumns = [
    { cell: (r) => r.value },
    { cell: (r) => r.unit },
    { cell: (r) => h("span", { class: `badge ${r.provenance}` }, r.provenance) },
    { class: "text", cell: (r) => r.method },
  ];
  propertyTable("literature", literature, [{ header: true, cell: (r) => r.label }, ...valueColumns, { class: "text", cell: (r) => r.source || "—" }]);
  propertyTable("computed", computed, [
    { header: true, cell: (r) => [r.label, r.description ? h("div", { class: "hint" }, r.description) : null] },
    ...valueColumns,
  ]);
}

/** Table ``#<name>-table`` with ``rows``, or its ``#<name>-empty`` note when there are none. */
function propertyTable(name, rows, columns) {
  $(`${name}-empty`).hidden = rows.length > 0;
  $(`${name}-table`).hidden = rows.length === 0;
  fillTable($(`${name}-table`).querySelector("tbody"), rows, columns);
}

async function renderSimilar(m) {
  if (m.kind !== "structure") {
    $("similar-empty").hidden = false;
    $("similar-empty").textContent = "Similarity needs a structure; this component has none.";
    return;
  }
  const body = await apiRequest(`${API}/${moleculeId}/similar?k=8`, { error, quiet: true }).catch((exc) => {
    $("similar-empty").hidden = false;
    $("similar-empty").textContent = `Similar molecules could not be loaded: ${exc.message}`;
    return null;
  });
  if (!body) return;
  const rows = similarityRows(body);
  $("similar-method").textContent = `${body.method}, among the molecules you can see.`;
  $("similar-empty").hidden = rows.length > 0;
  $("similar-empty").textContent = "No other molecule you can see shares any fingerprint bits with this one.";
  replace(
    $("similar"),
    rows.map((r) =>
      h(
        "div",
        { class: "card" },
        drawing(r, { width: 170, height: 120 }),
        h("div", {}, h("a", { href: `/molecules/${r.id}` }, r.name || r.formula || "(unnamed)")),
        h("div", { class: "note" }, `Tanimoto ${r.similarityText} (0–1)`),
      ),
    ),
  );
}

async function renderPredicted(m) {
  const empty = $("predicted-empty");
  if (m.kind !== "structure") {
    empty.hidden = false;
    empty.textContent = "Predictions need a structure; this component has none.";
    return;
  }
  const body = await apiRequest(`/api/v1/predictive-models/molecules/${moleculeId}/predictions`, {
    loading: $("predicted-loading"),
    error,
    quiet: true,
  }).catch((exc) => {
    empty.hidden = false;
    empty.textContent = `Predictions could not be loaded: ${exc.message}`;
    return null;
  });
  if (!body) return;
  const rows = moleculePredictionRows(body);
  empty.hidden = rows.length > 0;
  empty.textContent = body.reason ? `No predictions: ${body.reason}.` : "No predictions.";
  const table = $("predicted-table");
  table.hidden = rows.length === 0;
  replace(
    table.querySelector("tbody"),
    rows.map((r) =>
      h(
        "tr",
        { class: r.kind === "no_value" ? "out-of-domain" : "" },
        h("td", {}, r.property),
        h("td", { class: r.kind === "value" ? "num" : "warning", role: r.kind === "value" ? null : "note" }, r.value),
        h("td", { class: "num" }, r.interval),
        h("td", { class: "text" }, h("a", { href: `/models/${r.modelId}` }, r.model), h("div", { class: r.verdictClass }, r.verdict)),
        h("td", { class: r.kind === "value" ? "text" : "text warning" }, r.domain),
      ),
    ),
  );
}

function renderSources(m) {
  const entries = (m.sources || []).map(sourceEntry);
  $("sources-empty").hidden = entries.length > 0;
  replace(
    $("sources"),
    entries.map((s) => h("li", {}, s.href ? h("a", { href: s.href, rel: "noopener" }, s.text) : s.text)),
  );
}

function renderRelated(m) {
  const links = [];
  if (m.smiles) {
    links.push(h("li", {}, h("a", { href: similaritySearchHref(m.smiles) }, "Find similar molecules in the library")));
    links.push(
      h("li", {}, h("a", { href: `/molecules?mode=substructure&query=${encodeURIComponent(m.smiles)}` }, "Molecules that contain this structure")),
    );
  }
  links.push(h("li", {}, h("a", { href: `/mixtures/new?molecule_id=${encodeURIComponent(m.id)}` }, "Build a mixture with this molecule")));
  links.push(h("li", {}, h("a", { href: "/mixtures" }, "Browse mixtures")));
  const status = h("span", { class: "note", role: "status" });
  links.push(
    h(
      "li",
      {},
      "Export this record: ",
      Object.entries(EXPORT_FORMATS).map(([format, info]) =>
        h(
          "button",
          {
            type: "button",
            class: "secondary",
            onclick: guarded(async () => {
              await download(exportPath(format, { ids: [m.id] }), `${(m.name || "molecule").replace(/[^A-Za-z0-9_.-]+/g, "_")}.${info.extension}`, { error });
              status.textContent = `Downloaded as ${info.label}.`;
            }),
          },
          info.label,
        ),
      ),
      " ",
      status,
    ),
  );
  replace($("related"), links);
}

async function setUpEditing(m, reload) {
  const user = await currentUser();
  if (!user) return;
  // Offer changes where they can succeed; the database's row-level security has the
  // final word (a refused change comes back as the API's 403 message).
  const mayEdit = user.is_admin || m.created_by === user.id || m.visibility === "team";
  if (!mayEdit) return;
  $("add-value").hidden = false;
  $("edit-section").hidden = false;
  const form = $("edit-form");
  form.elements.name.value = m.name || "";
  form.elements.synonyms.value = (m.synonyms || []).join("\n");
  form.elements.pubchem_cid.value = m.pubchem_cid ?? "";
  form.elements.molecule_class.value = m.molecule_class || "";
  scopeControls(form, await myTeams(), { initial: { visibility: m.visibility, team_id: m.team_id || "" } });
  form.addEventListener(
    "submit",
    guarded(async (event) => {
      event.preventDefault();
      const status = $("edit-status");
      status.textContent = "";
      const changes = editBody(formValues(form), m);
      if (!Object.keys(changes).length) {
        status.textContent = "Nothing changed.";
        return;
      }
      const updated = await apiRequest(`${API}/${moleculeId}`, { method: "PATCH", json: changes, form, error });
      Object.assign(m, updated);
      renderHeader(m);
      renderIdentifiers(m);
      status.textContent = "Saved.";
    }),
  );
  const propertyForm = $("property-form");
  propertyForm.addEventListener(
    "submit",
    guarded(async (event) => {
      event.preventDefault();
      const values = formValues(propertyForm);
      const body = {
        property_name: values.property_name || "",
        value: values.value ?? null,
        unit: values.unit || null,
        method: values.method || "",
        provenance: values.provenance,
        source: values.source || "",
      };
      await apiRequest(`${API}/${moleculeId}/properties`, { method: "POST", json: body, form: propertyForm, error });
      propertyForm.reset();
      $("property-status").textContent = `Added ${body.property_name}.`;
      await reload();
    }),
  );
  $("delete-molecule").addEventListener(
    "click",
    guarded(async () => {
      if (!window.confirm(`Delete ${m.name || "this molecule"}? This cannot be undone.`)) return;
      await apiRequest(`${API}/${moleculeId}`, { method: "DELETE", error });
      window.location.assign("/molecules");
    }),
  );
}

async function main() {
  if (!moleculeId) {
    showError(error, "No molecule id in the address.");
    return;
  }
  const catalogueRequest = apiRequest(`${API}/descriptors`, { quiet: true }).catch((exc) => {
    if (exc instanceof ApiError) return []; // labels fall back to the property names
    throw exc;
  });
  const molecule = await fetchResourceFromApi(`${API}/${moleculeId}`, { loading, error });
  const catalogue = await catalogueRequest;
  $("molecule-body").hidden = false;
  renderHeader(molecule);
  renderIdentifiers(molecule);
  renderScore(molecule.cpa_score, molecule);
  renderProperties(molecule.properties, catalogue);
  renderSources(molecule);
  renderRelated(molecule);
  const reload = async () => {
    const fresh = await fetchResourceFromApi(`${API}/${moleculeId}`, { error });
    renderProperties(fresh.properties, catalogue);
  };
  await Promise.all([renderSimilar(molecule), renderPredicted(molecule), setUpEditing(molecule, reload)]);
}

main().catch((exc) => reportUnexpected(exc));
