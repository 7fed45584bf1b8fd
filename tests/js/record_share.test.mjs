// Share links, .eln export/import and file downloads (issue 18): the pure helpers of
// record_share_lib.js, eln_import_lib.js and download.js.
import assert from "node:assert/strict";
import { test } from "node:test";

import { failureMessage } from "../../src/cryoprotect/web/static/js/download.js";
import { importSummary, kindLabel, recordHref } from "../../src/cryoprotect/web/static/js/eln_import_lib.js";
import { elnSelection, linkRow, shareLinksPath, shareNotice } from "../../src/cryoprotect/web/static/js/record_share_lib.js";

const ID = "0b6c2f7e-5a51-4c1e-9a57-8d6f0d1f2a3b";

test("an .eln export selects the one record under its kind's plural", () => {
  assert.deepEqual(elnSelection("mixture", ID), { mixtures: [ID] });
  assert.deepEqual(elnSelection("protocol", ID), { protocols: [ID] });
  assert.deepEqual(elnSelection("experiment", ID), { experiments: [ID] });
  assert.throws(() => elnSelection("molecule", ID), /not a shareable record: molecule/);
});

test("a record's link list asks for that record's links only", () => {
  const url = new URL(shareLinksPath("protocol", ID), "http://x");
  assert.equal(url.pathname, "/api/v1/share-links");
  assert.equal(url.searchParams.get("resource"), "protocol");
  assert.equal(url.searchParams.get("resource_id"), ID);
  assert.equal(url.searchParams.get("per_page"), "50");
});

test("a link row reads in UTC and only an active link can be revoked", () => {
  const base = { id: ID, created_at: "2026-12-06T09:05:41+00:00", expires_at: "2026-12-13T09:05:41+00:00", revoked_at: null };
  assert.deepEqual(linkRow({ ...base, status: "active" }), {
    id: ID,
    created: "6 Dec 2026 09:05 UTC",
    expires: "13 Dec 2026 09:05 UTC",
    status: "active",
    canRevoke: true,
  });
  const revoked = linkRow({ ...base, status: "revoked", revoked_at: "2026-12-07T23:59:00Z" });
  assert.equal(revoked.status, "revoked 7 Dec 2026 23:59 UTC");
  assert.equal(revoked.canRevoke, false);
  assert.equal(linkRow({ ...base, status: "expired" }).canRevoke, false);
});

test("a new link's notice names the record's kind and its expiry", () => {
  assert.equal(shareNotice("mixture", "2026-12-13T09:05:41Z"), "Anyone with this link can read this mixture (and nothing else) until 13 Dec 2026 09:05 UTC: ");
});

test("imported records link to their pages; cell types have none", () => {
  assert.equal(recordHref({ kind: "mixture", id: ID }), `/mixtures/${ID}`);
  assert.equal(recordHref({ kind: "experiment", id: ID }), `/experiments/${ID}`);
  assert.equal(recordHref({ kind: "molecule", id: ID }), `/molecules/${ID}`);
  assert.equal(recordHref({ kind: "cell_type", id: ID }), null);
  assert.equal(kindLabel("cell_type"), "cell type");
});

test("the import summary counts created and re-used records by kind", () => {
  const records = [
    { kind: "molecule", created: true },
    { kind: "molecule", created: true },
    { kind: "molecule", created: false },
    { kind: "cell_type", created: false },
    { kind: "mixture", created: true },
  ];
  assert.equal(importSummary({ records, warnings: [] }), "3 records created (2 molecules, 1 mixture); 2 already here re-used (1 molecule, 1 cell type).");
  assert.equal(importSummary({ records: [{ kind: "cell_type", created: false }], warnings: [] }), "0 records created; 1 already here re-used (1 cell type).");
});

test("a failed download says why, asking to sign in on 401", () => {
  assert.equal(failureMessage(401, { error: { message: "Missing token." } }), "Missing token. Please sign in.");
  assert.equal(failureMessage(404, null, { 404: "(sign in if this record is not public)" }), "Download failed (HTTP 404). (sign in if this record is not public)");
  assert.equal(failureMessage(422, { error: { message: "Nothing selected." } }, { 404: "x" }), "Nothing selected.");
});
