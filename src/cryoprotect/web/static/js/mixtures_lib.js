// Pure data helpers of the mixture pages (list, builder, detail, comparison): the basics of a
// mixture (reference or not, units, component summary, scope, composition table), version
// history, compare-page ids and the builder's rows and request body. No DOM, no fetch, so Node
// can unit-test them (tests/js/mixtures.test.mjs). Computed properties and the phase diagram
// are in mixtures_properties_lib.js, the side-by-side comparison in mixtures_compare_lib.js.
// Nothing is computed that the API already computes (conversions, osmolality, melting point
// and Tg all come from /api/v1/solutions and /api/v1/mixtures).
import { formatInUnit, formatPublished, formatQuantity, formatRecorded, formatTimestamp, isNum, isUuid } from "./format.js";
import { UNIT_QUANTITY } from "./precision.js";

/** Owner of the reference library shipped with the app (``cryoprotect.db.database.SYSTEM_USER_ID``). */
export const SYSTEM_USER_ID = "00000000-0000-0000-0000-000000000000";

/** A named reference solution (DP6, VS55, …): public and owned by the system user. */
export function isReference(mixture) {
  return Boolean(mixture) && mixture.visibility === "public" && mixture.created_by === SYSTEM_USER_ID;
}

/** The API's unit spelling for display: "degC/min" → "°C/min". */
export function displayUnit(unit) {
  return typeof unit === "string" ? unit.replace(/degC/g, "°C") : "";
}

/** An entered amount in a composition unit, as recorded ("3 mol/L", "22.31 % w/w"): see recordedText. */
export function fmtAmount(value, unit) {
  return recordedText(value, unit);
}

/**
 * A recorded value (a measurement, a published figure, an amount a user entered) with its unit,
 * at the precision it was recorded with (precision.js asPublished: "40 °C/min", "3 mol/L", not
 * "40.0 °C/min", "3.00 mol/L"); computed values go through the unit's rule instead. ``decimals``
 * (the API's ``published_decimals``) keeps a literature value's published digits ("1.100 g/mL").
 */
export function recordedText(value, unit, decimals) {
  const shown = displayUnit(unit);
  if (Number.isInteger(decimals) && isNum(value)) return formatPublished(UNIT_QUANTITY[shown] || "number", { value, digits: decimals }, shown);
  return formatRecorded(value, shown);
}

/** "Dimethyl sulfoxide 3 mol/L + Propylene glycol 3 mol/L" for a list row. */
export function componentSummary(components) {
  if (!Array.isArray(components) || components.length === 0) return "no components";
  // A snapshot's component whose molecule the reader cannot see comes back redacted.
  const label = (c) => (c.redacted ? "a molecule not visible to you" : c.name || c.smiles || "unnamed");
  return components.map((c) => `${label(c)} ${fmtAmount(c.amount, c.unit)}`).join(" + ");
}

/** Where a mixture is shared, in words. */
export function scopeText(mixture, teamNames = {}) {
  if (isReference(mixture)) return "public reference solution";
  if (mixture.visibility === "team") return `team ${teamNames[mixture.team_id] || "(not one of yours)"}`;
  return mixture.visibility || "—";
}

/**
 * Composition units and component roles, read from the API's own description (the enums
 * of the ``ComponentIn`` schema in /api/v1/openapi.json), so the builder offers exactly
 * what the API accepts.
 */
export function componentVocabulary(spec) {
  const props = spec?.components?.schemas?.ComponentIn?.properties;
  const units = props?.unit?.enum;
  if (!Array.isArray(units) || units.length === 0) {
    throw new Error("the API description lists no composition units (ComponentIn.unit)");
  }
  const roles = Array.isArray(props?.role?.enum) ? props.role.enum.filter((r) => typeof r === "string") : [];
  return { units: [...units], roles };
}

/**
 * Rows of the "composition in every unit" table from a properties response. The API lists
 * the mixture's own components first and then the carrier's solutes.
 * @returns {{units: string[], rows: {name: string, origin: string, cells: string[], values: (number|null)[]}[]}}
 */
export function compositionTable(composition, mixtureCount) {
  const solutes = composition?.solutes || [];
  const amounts = composition?.amounts || {};
  const units = Object.keys(amounts);
  const rows = solutes.map((name, i) => {
    const values = units.map((u) => (isNum(amounts[u]?.[i]) ? amounts[u][i] : null));
    return {
      name,
      origin: i < mixtureCount ? "component" : "carrier",
      values,
      cells: values.map((v, j) => formatInUnit(v, units[j], "")), // the unit heads the column
    };
  });
  return { units, rows };
}

/** A component's amount in ``unit`` from a properties response (by solute name), or null. */
export function amountIn(composition, soluteName, unit) {
  const i = (composition?.solutes || []).indexOf(soluteName);
  const value = i < 0 ? null : composition?.amounts?.[unit]?.[i];
  return isNum(value) ? value : null;
}

/** Version history rows, newest first. */
export function versionRows(versions, currentVersion) {
  return [...(versions || [])]
    .sort((a, b) => b.version - a.version)
    .map((v) => ({
      version: v.version,
      current: v.version === currentVersion,
      name: v.name,
      carrier: v.carrier || "water",
      date: formatTimestamp(v.created_at, { utc: true }),
      summary: componentSummary(v.components),
    }));
}

/** Mixture ids from "?ids=a,b,c" (valid UUIDs, no repeats, in order). */
export function parseIds(search) {
  const raw = new URLSearchParams(search || "").get("ids") || "";
  const out = [];
  for (const part of raw.split(",")) {
    const id = part.trim().toLowerCase();
    if (isUuid(id) && !out.includes(id)) out.push(id);
  }
  return out;
}

/** The compare page URL for these ids. */
export function compareUrl(ids) {
  return `/mixtures/compare?ids=${ids.map(encodeURIComponent).join(",")}`;
}

// ---------------------------------------------------------------- builder

/** The amount typed in a field: a number, or null when empty or not a number. */
export function parseAmount(text) {
  const t = String(text ?? "").trim().replace(",", ".");
  if (t === "") return null;
  const n = Number(t);
  return Number.isFinite(n) ? n : null;
}

/**
 * The API's ``components`` from the builder rows, one entry per row in order (so that
 * the API's "components[i].amount" errors point at row i).
 */
export function componentsPayload(rows) {
  return (rows || []).map((r) => {
    const out = { amount: parseAmount(r.amount), unit: r.unit, role: r.role || null };
    if (r.molecule_id) out.molecule_id = r.molecule_id;
    if (r.material_form_id) out.material_form_id = r.material_form_id;
    return out;
  });
}

/** A material form as a choice: "dihydrate (C12H26O13, 378.33 g/mol)". */
export function formChoiceLabel(form) {
  return `${form.label} (${form.formula}, ${formatQuantity("molar_mass", Number(form.molar_mass))})`;
}

/** Why the live properties cannot be computed yet (null when every row is complete). */
export function previewBlocker(rows) {
  if (!rows || rows.length === 0) return "Add at least one component.";
  for (const [i, r] of rows.entries()) {
    if (!r.molecule_id) return `Choose a molecule for component ${i + 1}.`;
    if (parseAmount(r.amount) === null) return `Enter an amount for component ${i + 1}.`;
  }
  return null;
}

/**
 * Request body of POST /mixtures, or with ``edit`` of PATCH /mixtures/{id} (a new version).
 * ``existingSources`` are kept; a mixture saved as new from another records where it came
 * from (``derivedFrom`` = {id, version}).
 */
export function mixtureBody(values, rows, { edit = false, existingSources = [], derivedFrom = null } = {}) {
  const body = {
    name: (values.name || "").trim(),
    description: (values.description || "").trim() || null,
    carrier: (values.carrier || "").trim() || null,
    components: componentsPayload(rows),
    visibility: values.visibility || "private",
    team_id: values.visibility === "team" ? values.team_id || null : null,
  };
  const citation = (values.citation || "").trim();
  const added = citation ? [{ citation }] : [];
  if (edit) {
    if (added.length) body.sources = [...existingSources, ...added];
  } else {
    const origin = derivedFrom ? [{ note: `derived from mixture ${derivedFrom.id} v${derivedFrom.version}` }] : [];
    body.sources = [...existingSources, ...origin, ...added];
  }
  return body;
}

/**
 * The amount of builder row ``index`` expressed in ``newUnit``, read from the last live
 * properties (the API's conversion of the very same solution), or null when those
 * properties no longer describe the form (another amount, molecule, unit or the carrier
 * changed since).
 */
export function convertedAmount(last, rows, index, oldUnit, newUnit, carrier) {
  if (!last || !last.props || !Array.isArray(last.components) || last.components.length !== rows.length) return null;
  if ((last.carrier || null) !== (carrier || null)) return null;
  for (const [j, r] of rows.entries()) {
    const c = last.components[j];
    if (c.molecule_id !== r.molecule_id || c.amount !== parseAmount(r.amount)) return null;
    if (c.unit !== (j === index ? oldUnit : r.unit)) return null;
  }
  const value = last.props.composition?.amounts?.[newUnit]?.[index];
  return isNum(value) ? Number(value.toPrecision(6)) : null;
}

/** The library molecule whose name or a synonym is exactly ``text`` (case-insensitive). */
export function exactMatch(text, molecules) {
  const wanted = String(text || "").trim().toLowerCase();
  if (!wanted) return null;
  return (
    (molecules || []).find((m) => [m.name, ...(m.synonyms || [])].some((n) => typeof n === "string" && n.toLowerCase() === wanted)) ||
    null
  );
}

/** One line describing a library molecule in the suggestion list. */
export function moleculeLabel(m) {
  const mass = isNum(m.molecular_weight) ? m.molecular_weight : m.average_molar_mass;
  const parts = [m.name || m.smiles || m.id];
  parts.push(isNum(mass) ? formatQuantity("molar_mass", mass) : "no molar mass");
  if (m.molecule_class) parts.push(m.molecule_class);
  if (m.visibility) parts.push(m.visibility);
  return parts.join(" · ");
}
