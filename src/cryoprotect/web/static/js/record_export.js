// Download buttons (issue 18): every element with data-download-base holds buttons with
// data-download="csv|xlsx|pdf"; a click fetches the export with the signed-in user's token
// and saves the file under the name the server gives it (reports/_downloads.html).

import { apiHeaders, guarded, showError } from "./api.js";
import { $, h } from "./dom.js";
import { dispositionName, exportUrl } from "./record_export_lib.js";

async function save(url, status, error) {
  showError(error, "");
  status.textContent = "Preparing the file…";
  const response = await fetch(url, { headers: apiHeaders() });
  if (!response.ok) {
    const body = await response.json().catch(() => null);
    const message = body?.error?.message || `Download failed (HTTP ${response.status}).`;
    status.textContent = "";
    showError(error, response.status === 404 ? `${message} (sign in if this record is not public)` : message);
    return;
  }
  const name = dispositionName(response.headers.get("Content-Disposition"), "export");
  const href = URL.createObjectURL(await response.blob());
  const link = h("a", { href, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(href), 10_000);
  status.textContent = `Downloaded ${name}.`;
}

function main() {
  const error = $("error");
  for (const bar of document.querySelectorAll("[data-download-base]")) {
    const status = bar.querySelector("[data-download-status]");
    const withFilters = bar.dataset.downloadFilters === "list";
    for (const button of bar.querySelectorAll("[data-download]")) {
      button.addEventListener(
        "click",
        guarded(() => save(exportUrl(bar.dataset.downloadBase, button.dataset.download, { search: window.location.search, withFilters }), status, error), error),
      );
    }
  }
}

main();
