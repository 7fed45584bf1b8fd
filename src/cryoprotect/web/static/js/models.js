// The model list: visible model versions from the API.
import { fetchResourceFromApi, reportUnexpected } from "./api.js";
import { formatQuantity, formatTimestamp } from "./format.js";
import { baselineVerdict } from "./models_lib.js";

async function main() {
  const loading = document.getElementById("loading");
  const error = document.getElementById("error");
  const table = document.getElementById("models-table");
  const page = await fetchResourceFromApi("/api/v1/predictive-models?per_page=100", { loading, error });
  const items = page.items || [];
  if (items.length === 0) {
    document.getElementById("empty").hidden = false;
    return;
  }
  const tbody = table.querySelector("tbody");
  for (const m of items) {
    const tr = document.createElement("tr");
    const link = document.createElement("a");
    link.href = `/models/${m.id}`;
    link.textContent = m.name;
    const unit = m.target && m.target.endsWith("_percent") ? " %" : "";
    const mae = m.metrics?.pooled?.model?.mae;
    const verdict = document.createElement("span");
    if (m.status === "ready") {
      const v = baselineVerdict(m);
      verdict.className = `verdict verdict-${v.state}`;
      verdict.textContent = v.state === "better" ? "Better than its baselines." : v.sentence;
    } else {
      verdict.textContent = "—";
    }
    const cells = [link, String(m.version), m.algorithm, m.target, m.status,
      mae === undefined ? "—" : `${formatQuantity("metric", mae)}${unit}`, verdict, formatTimestamp(m.created_at)];
    for (const c of cells) {
      const td = document.createElement("td");
      if (c instanceof Node) td.append(c);
      else td.textContent = c;
      tr.append(td);
    }
    tbody.append(tr);
  }
  table.hidden = false;
}

main().catch((exc) => reportUnexpected(exc));
