// Pure helpers of the molecule page's material forms (issue 18): the components as text and
// the "Add form" request body. Formulas are split by precision.js formulaParts (one splitter).

/** "O × 2, [Na+] × 3" (or "none (free form)"). */
export function componentsText(components) {
  return (components || []).map((c) => `${c.smiles} × ${c.count}`).join(", ") || "none (free form)";
}

/** The request body of the "Add form" form (up to two components; empty ones left out). */
export function formBody(values) {
  const components = [
    [values.smiles, values.count],
    [values.smiles2, values.count2],
  ]
    .filter(([smiles]) => smiles && String(smiles).trim())
    .map(([smiles, count]) => ({ smiles: String(smiles).trim(), count: Number(count ?? 1) }));
  const body = { components };
  for (const key of ["label", "supplier", "cas"]) if (values[key]) body[key] = values[key];
  return body;
}
