// Download buttons (issue 18): every element with data-download-base holds buttons with
// data-download="csv|xlsx|pdf"; a click fetches the export with the signed-in user's token
// and saves the file under the name the server gives it (reports/_downloads.html).

import { ApiError, guarded, showError } from "./api.js";
import { $ } from "./dom.js";
import { downloadFile } from "./download.js";
import { exportUrl } from "./record_export_lib.js";

const NOTES = { 404: "(sign in if this record is not public)" };

async function save(url, status, error) {
  showError(error, "");
  status.textContent = "Preparing the file…";
  try {
    status.textContent = `Downloaded ${await downloadFile(url, { fallbackName: "export", notes: NOTES })}.`;
  } catch (exc) {
    status.textContent = "";
    if (exc instanceof ApiError) showError(error, exc.message);
    throw exc;
  }
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
