// The .eln import page (/eln/import): the archive and the scope of the new records go to
// POST /api/v1/eln/import (all records or none); the answer lists what was created or
// re-used, each with a link to its page. A rejected archive or record is reported with the
// field at fault (next to the file input, or named in the alert).
import { apiRequest, onSubmit, pageStatus, reportUnexpected, signedInUser } from "./api.js";
import { $, fillTable, h, replace } from "./dom.js";
import { importSummary, kindLabel, recordHref } from "./eln_import_lib.js";
import { myTeams, scopeControls, scopedUpload } from "./scope_ui.js";

const { error, loading } = pageStatus();
const form = $("eln-form");

function renderReport(report) {
  $("eln-summary").textContent = importSummary(report);
  fillTable($("eln-records").querySelector("tbody"), report.records, [
    { header: true, cell: (r) => (recordHref(r) ? h("a", { href: recordHref(r) }, r.name) : r.name) },
    { cell: (r) => kindLabel(r.kind) },
    { cell: (r) => (r.created ? "created" : "already here, re-used") },
  ]);
  replace($("eln-warnings"), report.warnings.map((w) => h("li", {}, w)));
  const section = $("eln-report");
  section.hidden = false;
  section.scrollIntoView({ block: "start" });
}

async function main() {
  if (!(await signedInUser())) {
    form.hidden = true;
    return;
  }
  const scope = scopeControls(form, await myTeams(error));
  const button = $("eln-import-button");
  onSubmit(form, async () => {
    const data = scopedUpload(form, scope);
    $("eln-report").hidden = true;
    button.disabled = true;
    try {
      renderReport(await apiRequest("/api/v1/eln/import", { method: "POST", formData: data, form, error, loading }));
    } finally {
      button.disabled = false;
    }
  });
  button.disabled = false;
}

main().catch((exc) => reportUnexpected(exc));
