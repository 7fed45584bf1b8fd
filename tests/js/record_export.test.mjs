// The download buttons' URLs and file names (record_export_lib.js, issue 18).
import assert from "node:assert/strict";
import { test } from "node:test";

import { dispositionName } from "../../src/cryoprotect/web/static/js/download.js";
import { exportUrl } from "../../src/cryoprotect/web/static/js/record_export_lib.js";

test("a record's export URL names the format only", () => {
  assert.equal(exportUrl("/api/v1/experiments/x/export", "xlsx", { search: "?q=a" }), "/api/v1/experiments/x/export?format=xlsx");
});

test("a list export carries the list's filters from the address, not its page", () => {
  const url = exportUrl("/api/v1/molecules/list-export", "csv", { search: "?q=glycol&page=3&per_page=50&mw_min=60&kind=&mode=text", withFilters: true });
  assert.equal(url, "/api/v1/molecules/list-export?format=csv&q=glycol&mw_min=60");
});

test("the file name comes from Content-Disposition", () => {
  assert.equal(dispositionName('attachment; filename="experiment-a-2026-12-06.pdf"', "x"), "experiment-a-2026-12-06.pdf");
  assert.equal(dispositionName(null, "export"), "export");
});
