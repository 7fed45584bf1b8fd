// The .eln import page (issue 18), the pure part: where each imported record now lives and
// the report in words.

const PAGES = { molecule: "/molecules", mixture: "/mixtures", protocol: "/protocols", experiment: "/experiments" };

/** A kind of record in words ("cell_type" -> "cell type"). */
export function kindLabel(kind) {
  return String(kind).replaceAll("_", " ");
}

/** The page of an imported record here, or null for a kind without a page (cell types). */
export function recordHref(record) {
  const base = PAGES[record.kind];
  return base ? `${base}/${record.id}` : null;
}

function counted(records) {
  const counts = new Map();
  for (const r of records) counts.set(r.kind, (counts.get(r.kind) || 0) + 1);
  return [...counts].map(([kind, n]) => `${n} ${kindLabel(kind)}${n === 1 ? "" : "s"}`).join(", ");
}

/** "3 records created (1 mixture, 2 molecules); 1 already here re-used (1 cell type)." */
export function importSummary(report) {
  const made = report.records.filter((r) => r.created);
  const reused = report.records.filter((r) => !r.created);
  const parts = [`${made.length} record${made.length === 1 ? "" : "s"} created${made.length ? ` (${counted(made)})` : ""}`];
  if (reused.length) parts.push(`${reused.length} already here re-used (${counted(reused)})`);
  return `${parts.join("; ")}.`;
}
