// Pure data processing for the molecule pages (no DOM): list state <-> URL and API queries,
// drawing and export URLs, property and CPA-score tables, request bodies, import summaries.
// Unit-tested with Node's built-in test runner (tests/js/molecules.test.mjs).
import { formatPublished, formatQuantity, isNum, label, query } from "./format.js";
import { scopeBody } from "./scope_lib.js";

export const API = "/api/v1/molecules";

/** Sort orders the list API accepts, with the direction each one sorts in. */
export const SORTS = {
  name: { label: "Name (A–Z)", direction: "ascending" },
  molecular_weight: { label: "Molecular weight (lightest first)", direction: "ascending" },
  created_at: { label: "Newest first", direction: "descending" },
};

/** Property-range filters of the list API (query keys ``<key>_min`` / ``<key>_max``). */
export const RANGE_FILTERS = [
  { key: "mw", label: "Molecular weight", unit: "g/mol" },
  { key: "clogp", label: "Calculated logP (Wildman–Crippen)", unit: "log10, dimensionless" },
  { key: "tpsa", label: "Topological polar surface area", unit: "Å²" },
  { key: "hbd", label: "H-bond donors", unit: "count" },
  { key: "hba", label: "H-bond acceptors", unit: "count" },
];

export const PER_PAGE_CHOICES = [10, 25, 50, 100];
const CHOICE_FILTERS = ["visibility", "molecule_class", "kind"];
const RANGE_KEYS = RANGE_FILTERS.flatMap((f) => [`${f.key}_min`, `${f.key}_max`]);

/** The default list state: first page of 25, sorted by name, no filters. */
export function defaultListState() {
  const state = { q: "", sort: "name", page: 1, per_page: 25 };
  for (const key of [...CHOICE_FILTERS, ...RANGE_KEYS]) state[key] = "";
  return state;
}

const asNumberText = (text) => {
  const trimmed = String(text ?? "").trim();
  return trimmed !== "" && Number.isFinite(Number(trimmed)) ? trimmed : "";
};

/**
 * The list state from a URL query string (the page keeps its state in the address bar so a
 * search can be bookmarked or shared). Unknown or malformed values fall back to defaults.
 */
export function parseListState(search) {
  const params = new URLSearchParams(search || "");
  const state = defaultListState();
  state.q = (params.get("q") || "").trim();
  const sort = params.get("sort");
  if (sort && Object.hasOwn(SORTS, sort)) state.sort = sort;
  const page = Number.parseInt(params.get("page") || "", 10);
  if (Number.isInteger(page) && page >= 1) state.page = page;
  const perPage = Number.parseInt(params.get("per_page") || "", 10);
  if (PER_PAGE_CHOICES.includes(perPage)) state.per_page = perPage;
  for (const key of CHOICE_FILTERS) state[key] = params.get(key) || "";
  for (const key of RANGE_KEYS) state[key] = asNumberText(params.get(key));
  return state;
}

/**
 * Query string for the state: for the API (every value that is set) or, with
 * ``{forUrl: true}``, for the address bar (defaults left out).
 */
export function listQuery(state, { forUrl = false } = {}) {
  const defaults = defaultListState();
  const out = {};
  for (const [key, value] of Object.entries(state)) {
    if (!(key in defaults) || value === "" || value === null || value === undefined) continue;
    if (forUrl && value === defaults[key]) continue;
    out[key] = value;
  }
  return query(out);
}

export const SEARCH_MODES = ["text", "similarity", "substructure"];
const SIMILARITY_DEFAULTS = { structure: "", threshold: "0.3", k: "25" };
const SUBSTRUCTURE_DEFAULTS = { query: "", max_hits: "50" };

const boundedText = (text, low, high, fallback, integer = false) => {
  const value = Number(text);
  if (text === null || String(text).trim() === "" || !Number.isFinite(value)) return fallback;
  if (value < low || value > high || (integer && !Number.isInteger(value))) return fallback;
  return String(value);
};

/** The search mode and the structure-search inputs from a URL query string. */
export function parseSearchMode(search) {
  const params = new URLSearchParams(search || "");
  const mode = SEARCH_MODES.includes(params.get("mode")) ? params.get("mode") : "text";
  return {
    mode,
    similarity: {
      structure: (params.get("structure") || "").trim(),
      threshold: boundedText(params.get("threshold"), 0, 1, SIMILARITY_DEFAULTS.threshold),
      k: boundedText(params.get("k"), 1, 1000, SIMILARITY_DEFAULTS.k, true),
    },
    substructure: {
      query: (params.get("query") || "").trim(),
      max_hits: boundedText(params.get("max_hits"), 1, 1000, SUBSTRUCTURE_DEFAULTS.max_hits, true),
    },
  };
}

/** The address-bar query of a structure search (``mode`` plus its non-default inputs). */
export function searchModeQuery(mode, values) {
  const defaults = mode === "similarity" ? SIMILARITY_DEFAULTS : SUBSTRUCTURE_DEFAULTS;
  const out = { mode };
  for (const [key, value] of Object.entries(values)) {
    if (key in defaults && value !== "" && String(value) !== defaults[key]) out[key] = value;
  }
  return query(out);
}

/** The link that opens the list page on a similarity search for a SMILES. */
export function similaritySearchHref(smiles) {
  return `/molecules${searchModeQuery("similarity", { structure: smiles })}`;
}

/** Bounds where the lower exceeds the upper, as {"<key>_max": message} for the form. */
export function rangeProblems(state) {
  const problems = {};
  for (const f of RANGE_FILTERS) {
    const low = state[`${f.key}_min`];
    const high = state[`${f.key}_max`];
    if (low !== "" && high !== "" && Number(low) > Number(high)) {
      problems[`${f.key}_max`] = `The upper bound (${high} ${f.unit}) is below the lower bound (${low} ${f.unit}).`;
    }
  }
  return problems;
}

/** How many filters (besides the text search) are active: shown on the filter toggle. */
export function activeFilterCount(state) {
  return [...CHOICE_FILTERS, ...RANGE_KEYS].filter((key) => state[key] !== "" && state[key] !== undefined).length;
}

/** ``aria-sort`` of a sortable column: the direction when the list is sorted by it. */
export function ariaSort(state, key) {
  return state.sort === key ? SORTS[key].direction : "none";
}

/** The API path of a molecule's RDKit SVG drawing, optionally highlighting a pattern. */
export function depictionPath(id, { highlight = "", width = 0, height = 0 } = {}) {
  return `${API}/${encodeURIComponent(id)}/depiction${query({
    highlight: highlight || "",
    width: width || "",
    height: height || "",
  })}`;
}

/** An SVG document as a ``data:`` URL for an ``<img>`` (the CSP allows ``data:`` images). */
export function svgDataUrl(svg) {
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
}

/** Alternative text of a molecule drawing. */
export function drawingAlt(m, highlight = "") {
  const name = m.name || m.formula || "unnamed molecule";
  const what = m.smiles ? `Structure of ${name} (SMILES ${m.smiles})` : `Structure of ${name}`;
  return highlight ? `${what}, atoms matching ${highlight} highlighted` : what;
}

export const EXPORT_FORMATS = {
  csv: { label: "CSV", extension: "csv" },
  sdf: { label: "SDF", extension: "sdf" },
  json: { label: "JSON", extension: "json" },
};

/** The export API path for some molecule ids (or, with no ids, a text search ``q``). */
export function exportPath(format, { ids = [], q = "" } = {}) {
  if (!Object.hasOwn(EXPORT_FORMATS, format)) throw new Error(`unknown export format ${format}`);
  const parts = [`format=${encodeURIComponent(format)}`];
  for (const id of ids) parts.push(`ids=${encodeURIComponent(id)}`);
  if (!ids.length && q) parts.push(`q=${encodeURIComponent(q)}`);
  return `${API}/export?${parts.join("&")}`;
}

/** File name of a download: ``molecules-<n>.<ext>``. */
export function exportFilename(format, count) {
  return `molecules-${count}.${EXPORT_FORMATS[format].extension}`;
}

/** The ids to export: the ticked rows when any are ticked, else every row shown. */
export function exportSelection(checkedIds, shownIds) {
  const checked = new Set(checkedIds);
  const chosen = shownIds.filter((id) => checked.has(id));
  return chosen.length ? { ids: chosen, scope: "selected" } : { ids: [...shownIds], scope: "shown" };
}

/** A Tanimoto coefficient (0–1, dimensionless) to three decimals (precision.js). */
export function tanimotoText(x) {
  return formatQuantity("tanimoto", x);
}

/** Similarity hits, most similar first, with the coefficient as text. */
export function similarityRows(result) {
  return [...(result?.items || [])]
    .sort((a, b) => (b.similarity ?? 0) - (a.similarity ?? 0))
    .map((hit) => ({ ...hit, similarityText: tanimotoText(hit.similarity) }));
}

/** A molar mass in g/mol with two decimals, or "—" (precision.js). */
export function massText(value) {
  return formatQuantity("molar_mass", value);
}

/** Labels for stored literature values that the descriptor catalogue does not describe. */
export const MEASURED_LABELS = {
  logp_experimental: "log P (octanol/water, experimental)",
  melting_point: "Melting point",
  boiling_point: "Boiling point",
  density: "Density",
};

/**
 * A property value as text: a literature value with the decimals its source writes
 * (``published_decimals``: DMSO density "1.100"), counts as integers, others to four significant figures.
 */
export function propertyValueText(p, unit = p.unit) {
  if (!isNum(p.value)) return p.text_value ?? "—";
  if (Number.isInteger(p.published_decimals)) return formatPublished("number", { value: p.value, digits: p.published_decimals }, "");
  if (unit === "count" && Number.isInteger(p.value)) return String(p.value);
  return String(Number(p.value.toPrecision(4)));
}

/**
 * The molecule's properties as two tables: literature/user values (measured, fitted,
 * estimated — with their source) and computed descriptors (with their method), each row
 * with a human label and description from the descriptor catalogue.
 */
export function propertyTables(properties, catalogue = []) {
  const info = new Map(catalogue.map((d) => [d.name, d]));
  const order = new Map(catalogue.map((d, i) => [d.name, i]));
  const rows = (properties || []).map((p) => {
    const d = info.get(p.property_name);
    const unit = p.unit || "";
    return {
      name: p.property_name,
      label: d ? d.label.charAt(0).toUpperCase() + d.label.slice(1) : MEASURED_LABELS[p.property_name] || label(p.property_name),
      description: d && p.provenance === "computed" ? d.description : "",
      value: propertyValueText(p, unit),
      unit: unit || "no unit given",
      method: p.method,
      provenance: p.provenance,
      source: p.source || "",
    };
  });
  const computed = rows
    .filter((r) => r.provenance === "computed")
    .sort((a, b) => (order.get(a.name) ?? 1e9) - (order.get(b.name) ?? 1e9) || a.name.localeCompare(b.name));
  const literature = rows.filter((r) => r.provenance !== "computed").sort((a, b) => a.label.localeCompare(b.label));
  return { literature, computed };
}

const FEATURE_LABELS = {
  hbond_capacity_per_mass: "H-bond capacity per mass",
  nonpolar_to_polar_ratio: "Nonpolar-to-polar ratio",
  molecular_weight: "Molecular weight",
  net_formal_charge: "Net formal charge",
  clogp_crippen: "Calculated logP",
};

/**
 * The CPA score's components for a table: the feature value with its unit, its weight,
 * its desirability (contribution ÷ weight, 0–1) and its share of the score.
 */
export function scoreRows(score) {
  if (!score || !Array.isArray(score.components)) return [];
  return score.components.map((c) => {
    const desirability = c.weight > 0 ? c.contribution / c.weight : 0;
    return {
      name: c.name,
      label: FEATURE_LABELS[c.name] || label(c.name),
      valueText: isNum(c.value) ? `${Number(c.value.toPrecision(4))} ${c.unit || ""}`.trim() : "—",
      weight: c.weight,
      weightText: formatQuantity("weight", c.weight),
      desirability,
      desirabilityText: formatQuantity("weight", desirability),
      contribution: c.contribution,
      contributionText: formatQuantity("score", c.contribution),
      shareText: score.score > 0 ? formatQuantity("share", (100 * c.contribution) / score.score) : "—",
      rationale: c.rationale,
      citation: c.citation,
    };
  });
}

/** The sum of the contributions, which the API promises equals the score. */
export function scoreTotal(score) {
  return (score?.components || []).reduce((sum, c) => sum + c.contribution, 0);
}

/**
 * Plotly traces of the score breakdown: for each feature, the contribution it earned and,
 * behind it, the most it could earn (its weight).
 */
export function scoreChart(score) {
  const rows = scoreRows(score).reverse(); // Plotly draws horizontal bars bottom-up
  const y = rows.map((r) => r.label);
  const bars = (name, key, color, hovertemplate) => ({
    type: "bar",
    orientation: "h",
    name,
    x: rows.map((r) => r[key]),
    y,
    marker: { color },
    hovertemplate,
  });
  return {
    data: [
      bars("Maximum (weight)", "weight", "#d9e2ec", "%{y}: weight %{x:.2f}<extra></extra>"),
      bars("Contribution", "contribution", "#0b3d5c", "%{y}: %{x:.3f}<extra></extra>"),
    ],
    layout: {
      barmode: "overlay",
      margin: { l: 10, r: 10, t: 10, b: 50 },
      xaxis: { title: { text: "Contribution (dimensionless)" }, range: [0, 1.1 * Math.max(0, ...rows.map((r) => r.weight))] },
      yaxis: { automargin: true },
      legend: { orientation: "h", y: -0.3 },
      height: 300,
    },
  };
}

/** Identifier rows of a molecule: [label, value] with the unit in the value. */
export function identifierRows(m) {
  const rows = [];
  if (m.kind === "structure") {
    rows.push(["SMILES (standardised parent)", m.smiles || "—"]);
    rows.push(["InChI", m.inchi || "—"]);
    rows.push(["InChIKey", m.inchikey || "—"]);
    rows.push(["Formula", m.formula || "—"]);
    rows.push(["Molecular weight", massText(m.molecular_weight)]);
  } else {
    rows.push(["Kind", "component without structure"]);
    rows.push(["Average molar mass", isNum(m.average_molar_mass) ? massText(m.average_molar_mass) : "not given"]);
  }
  rows.push(["PubChem CID", m.pubchem_cid ? String(m.pubchem_cid) : "—"]);
  rows.push(["Synonyms", (m.synonyms || []).length ? m.synonyms.join("; ") : "—"]);
  rows.push(["Class", m.molecule_class || "not classified"]);
  return rows;
}

/** The PubChem compound page of a CID. */
export function pubchemUrl(cid) {
  return `https://pubchem.ncbi.nlm.nih.gov/compound/${encodeURIComponent(cid)}`;
}

/** A stored source ({citation, doi, url, note}) as {text, href}. */
export function sourceEntry(source) {
  if (typeof source === "string") return { text: source, href: "" };
  const s = source || {};
  const text = [s.citation, s.doi ? `doi:${s.doi}` : "", s.note].filter(Boolean).join(" · ");
  const href = s.url || (s.doi ? `https://doi.org/${s.doi}` : "");
  return { text: text || s.url || "—", href };
}

/** Synonyms typed one per line, trimmed, blank lines and repeats (any case) dropped. */
export function parseSynonyms(text) {
  const seen = new Set();
  const out = [];
  for (const line of String(text || "").split(/\r?\n/)) {
    const value = line.trim();
    if (value && !seen.has(value.toLowerCase())) {
      seen.add(value.toLowerCase());
      out.push(value);
    }
  }
  return out;
}

export const REGISTER_MODES = ["structure", "lookup", "no_structure"];

/**
 * The POST /molecules body from the register form's values (``formValues`` output).
 * ``mode``: "structure" (SMILES/InChI/MOL text), "lookup" (copy a library molecule by
 * name or CID) or "no_structure" (a named component such as a polymer grade).
 */
export function registerBody(values, mode) {
  if (!REGISTER_MODES.includes(mode)) throw new Error(`unknown registration mode ${mode}`);
  const body = {};
  if (mode === "structure") body.structure = values.structure ?? "";
  if (mode === "lookup") body.lookup = values.lookup ?? "";
  if (mode === "no_structure") {
    body.kind = "no_structure";
    if (values.average_molar_mass !== undefined) body.average_molar_mass = values.average_molar_mass;
  }
  if (values.name) body.name = values.name;
  const synonyms = parseSynonyms(values.synonyms);
  if (synonyms.length) body.synonyms = synonyms;
  if (values.pubchem_cid !== undefined) body.pubchem_cid = values.pubchem_cid;
  if (values.molecule_class) body.molecule_class = values.molecule_class;
  if (values.on_duplicate) body.on_duplicate = values.on_duplicate;
  return { ...body, ...scopeBody(values) };
}

/** The PATCH body of the edit form: only what changed from the molecule ``m``. */
export function editBody(values, m) {
  const next = {
    name: values.name || null,
    synonyms: parseSynonyms(values.synonyms),
    pubchem_cid: values.pubchem_cid ?? null,
    molecule_class: values.molecule_class || null,
    ...scopeBody(values),
  };
  if (next.visibility !== "team") next.team_id = null;
  const current = {
    name: m.name ?? null,
    synonyms: m.synonyms || [],
    pubchem_cid: m.pubchem_cid ?? null,
    molecule_class: m.molecule_class ?? null,
    visibility: m.visibility,
    team_id: m.team_id ?? null,
  };
  const changed = {};
  for (const [key, value] of Object.entries(next)) {
    if (JSON.stringify(value) !== JSON.stringify(current[key])) changed[key] = value;
  }
  if ("visibility" in changed || "team_id" in changed) {
    changed.visibility = next.visibility;
    changed.team_id = next.team_id;
  }
  return changed;
}

const plural = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** One sentence summing up an import report. */
export function importSummary(report) {
  return (
    `${plural(report.total, "record")} read: ${report.created} created, ` +
    `${plural(report.duplicates, "duplicate")} skipped, ${report.rejected_count} rejected.`
  );
}

/** Rejected rows for the table, and a note when the report lists only the first ones. */
export function rejectedRows(report) {
  const rows = (report.rejected || []).map((r) => ({ row: r.row, input: r.input, reason: r.reason || "no reason given" }));
  const note =
    report.rejected_count > rows.length
      ? `The report lists the first ${rows.length} of ${report.rejected_count} rejected records.`
      : "";
  return { rows, note };
}

/** The standardisation steps of a structure check as text. */
export function changesText(changes) {
  return changes && changes.length ? changes.join("; ") : "none: the structure was already in standard form";
}
