// The read-only page of a share link (/shared/<token>): the one record the link shows,
// fetched from /api/v1/shared/<token> without an account. Data are drawn with text nodes
// only (dom.js), never as HTML.

import { apiRequest, reportUnexpected } from "./api.js";
import { $, definitionList, h, headedTable, fillTable, replace } from "./dom.js";
import { label } from "./format.js";
import { timeEl } from "./precision_ui.js";

const TITLES = { mixture: "Mixture", protocol: "Protocol", experiment: "Experiment" };
const SKIP = new Set(["components", "steps", "results", "conditions", "biological_system", "attachments", "sources", "summary", "mixture_version"]);
// Columns shown first, in this order, when a table's rows have them.
const FIRST = ["name", "measure", "value", "amount", "unit", "role", "replicates", "sd", "smiles", "molar_mass"];

function text(value) {
  if (value === null || value === undefined || value === "") return "—";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

function facts(record) {
  return Object.entries(record)
    .filter(([key]) => !SKIP.has(key) && key !== "name" && key !== "title")
    .map(([key, value]) => (key.endsWith("_at") ? [label(key), timeEl(value)] : [label(key), text(value)]));
}

function objectTable(caption, rows) {
  if (!rows || !rows.length) return null;
  const seen = new Set(rows.flatMap((r) => Object.keys(r || {})));
  const keys = [...FIRST.filter((k) => seen.has(k)), ...[...seen].filter((k) => !FIRST.includes(k))];
  const table = headedTable({ class: "data" }, caption, keys.map(label));
  fillTable(table.querySelector("tbody"), rows, keys.map((k) => ({ cell: (r) => text(r[k]) })));
  return h("div", { class: "table-wrap" }, table);
}

function section(title, ...body) {
  const parts = body.filter(Boolean);
  return parts.length ? h("section", {}, h("h2", {}, title), ...parts) : null;
}

function pairs(obj) {
  const entries = Object.entries(obj || {});
  return entries.length ? definitionList(entries.map(([k, v]) => [label(k), text(v)]), { class: "provenance" }) : null;
}

export function render(answer) {
  const record = answer.record || {};
  const kind = TITLES[answer.resource_type] || "Record";
  $("shared-title").textContent = `${kind}: ${record.name || record.title || ""}`;
  document.title = `${kind} (shared) · CryoProtect`;
  replace($("shared-facts"), ...definitionList([["Link expires", timeEl(answer.expires_at)], ...facts(record)]).childNodes);
  replace(
    $("shared-sections"),
    section("Components", objectTable("Components of the mixture", record.components)),
    section("Steps", objectTable("Protocol steps", record.steps)),
    section("Summary", pairs(record.summary)),
    section("Results", objectTable("Measured results", record.results)),
    section("Conditions", pairs(record.conditions)),
    section("Biological system", pairs(record.biological_system)),
    section("Attachments", objectTable("Attachments", record.attachments)),
    section("Sources", objectTable("Sources", record.sources)),
  );
  $("content").hidden = false;
}

async function main() {
  const token = $("shared-page").dataset.token;
  const answer = await apiRequest(`/api/v1/shared/${encodeURIComponent(token)}`, { loading: $("loading"), error: $("error") });
  render(answer);
}

main().catch((exc) => reportUnexpected(exc));
