// Import a SMILES, CSV or SDF file: upload with the chosen scope, then the per-record report
// (created, duplicates skipped, rejected records with the reason) and links onwards.
import { apiRequest, currentUser, guarded, reportUnexpected, showFieldErrors } from "./api.js";
import { $, fillTable, h } from "./dom.js";
import { reportOf } from "./jobs_ui.js";
import { API, importSummary, rejectedRows } from "./molecules_lib.js";
import { myTeams, scopeControls } from "./scope_ui.js";
import { scopeBody } from "./scope_lib.js";

const form = $("import-form");
const error = $("error");
const loading = $("loading");

function formData() {
  const data = new FormData();
  data.append("file", form.elements.file.files[0]);
  for (const name of ["format", "smiles_column", "name_column"]) {
    const value = form.elements[name].value.trim();
    if (value) data.append(name, value);
  }
  const scope = scopeBody({ visibility: form.elements.visibility.value, team_id: form.elements.team_id.value });
  data.append("visibility", scope.visibility);
  if (scope.team_id) data.append("team_id", scope.team_id);
  return { data, scope };
}

function renderReport(report, scope) {
  $("report").hidden = false;
  $("report-summary").textContent = importSummary(report);
  $("count-total").textContent = String(report.total);
  $("count-created").textContent = String(report.created);
  $("count-duplicates").textContent = String(report.duplicates);
  $("count-rejected").textContent = String(report.rejected_count);
  const { rows, note } = rejectedRows(report);
  $("rejected-note").hidden = !note;
  $("rejected-note").textContent = note;
  $("rejected-empty").hidden = rows.length > 0;
  $("rejected-table").hidden = rows.length === 0;
  fillTable($("rejected-table").querySelector("tbody"), rows, [
    { cell: (r) => String(r.row) },
    { cell: (r) => h("code", {}, r.input || "(empty)") },
    { cell: (r) => r.reason },
  ]);
  $("view-imported").href = `/molecules?sort=created_at&visibility=${encodeURIComponent(scope.visibility)}`;
  $("report").scrollIntoView({ block: "start" });
}

async function submit(event) {
  event.preventDefault();
  $("report").hidden = true;
  if (!form.elements.file.files.length) {
    showFieldErrors(form, { file: "Choose a file to import." });
    return;
  }
  const { data, scope } = formData();
  const button = $("import-button");
  button.disabled = true;
  try {
    // A large file is imported by a background job: reportOf waits for its report.
    const answer = await apiRequest(`${API}/import`, { method: "POST", formData: data, form, error, loading });
    const report = await reportOf(answer, { error, loading });
    if (report) renderReport(report, scope);
  } finally {
    button.disabled = false;
  }
}

async function main() {
  form.addEventListener("submit", guarded(submit));
  form.elements.file.addEventListener("change", () => {
    const slot = form.querySelector('[data-error-for="file"]');
    slot.hidden = true;
    form.elements.file.removeAttribute("aria-invalid");
  });
  const user = await currentUser();
  $("signed-out").hidden = Boolean(user);
  $("import-button").disabled = !user;
  scopeControls(form, user ? await myTeams() : []);
}

main().catch((exc) => reportUnexpected(exc));
