// Unit tests of static/js/admin_users_lib.js (the admin page's Users and Audit log sections),
// run by `node --test tests/js/`. ENTRY is shaped like one item of GET /api/v1/admin/audit-log
// (a deactivation made by an administrator; data trimmed).
import assert from "node:assert/strict";
import { test } from "node:test";

import { accountActions, auditParams, changeLines, valueText, whatText, whoText } from "../../src/cryoprotect/web/static/js/admin_users_lib.js";

const ENTRY = {
  id: 41,
  occurred_at: "2026-12-06T09:08:12.345678+00:00",
  actor_id: "5e2c9217-0000-4000-8000-000000000001",
  actor_email: "chief@example.org",
  actor_role: "service_role",
  table_name: "users",
  row_id: "68a95f29-6a99-49a7-8c50-a7ecedb50000",
  action: "UPDATE",
  label: "leaver@example.org",
  changes: [
    { field: "credentials_revoked_at", old: null, new: "2026-12-06T09:08:12.345678+00:00" },
    { field: "is_active", old: true, new: false },
  ],
};

test("an active non-admin account can be deactivated or made an administrator", () => {
  const actions = accountActions({ email: "a@example.org", display_name: "Ada", is_active: true, is_admin: false });
  assert.deepEqual(
    actions.map((a) => [a.key, a.label, a.body]),
    [
      ["deactivate", "Deactivate", { is_active: false }],
      ["grant-admin", "Make admin", { is_admin: true }],
    ],
  );
  assert.equal(actions[1].aria, "Make Ada (a@example.org) an administrator");
});

test("a deactivated administrator can be reactivated or lose the rights", () => {
  const actions = accountActions({ email: "b@example.org", display_name: null, is_active: false, is_admin: true });
  assert.deepEqual(
    actions.map((a) => [a.key, a.body, a.aria]),
    [
      ["reactivate", { is_active: true }, "Reactivate b@example.org"],
      ["revoke-admin", { is_admin: false }, "Revoke administrator rights of b@example.org"],
    ],
  );
});

test("an update reads as its changed fields, old to new", () => {
  assert.equal(whatText(ENTRY), "users: changed");
  assert.equal(whoText(ENTRY), "chief@example.org");
  assert.deepEqual(changeLines(ENTRY), ["credentials_revoked_at: — → 2026-12-06 09:08", "is_active: yes → no"]);
});

test("inserts and deletes read as created and deleted; the system is named", () => {
  const created = { ...ENTRY, action: "INSERT", changes: [], actor_id: "00000000-0000-0000-0000-000000000000", actor_email: "system@cryoprotect.invalid" };
  assert.deepEqual(changeLines(created), ["created"]);
  assert.equal(whatText(created), "users: created");
  assert.equal(whoText(created), "system (server)");
  assert.deepEqual(changeLines({ ...ENTRY, action: "DELETE" }), ["deleted"]);
  assert.equal(whoText({ ...ENTRY, actor_id: null, actor_email: null, actor_role: "anon" }), "anonymous");
});

test("values are shortened and objects written as JSON", () => {
  assert.equal(valueText("x".repeat(100)).length, 78);
  assert.equal(valueText({ a: 1 }), '{"a":1}');
  assert.equal(valueText(null), "—");
  assert.equal(valueText(3), "3");
});

test("the audit query keeps only the filters given", () => {
  assert.deepEqual(auditParams({ table: "users", action: "", actor: "  chief ", row_id: "", since: "2026-12-01T00:00", until: "" }, 2), {
    page: 2,
    per_page: 25,
    table: "users",
    actor: "chief",
    since: "2026-12-01T00:00",
  });
});
