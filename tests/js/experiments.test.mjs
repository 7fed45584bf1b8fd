// Unit tests of the experiment, team and admin pages' pure helpers (node --test tests/js/).
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  healthClass,
  healthSections,
  overrideTarget,
  parseTargetId,
  rolloutText,
} from "../../src/cryoprotect/web/static/js/admin_lib.js";
import {
  buildAttachments,
  buildConditions,
  buildResults,
  comparisonAxisTitle,
  comparisonRows,
  comparisonTraces,
  conditionFields,
  conditionRows,
  describeBiologicalSystem,
  describeResult,
  historyTimeline,
  IMPORT_COLUMNS,
  importSummary,
  measureIndex,
  parseNumberList,
  permissions,
  resultSummary,
  statusBadge,
  summaryRows,
  summaryTraces,
  templateCsv,
  unitChoice,
} from "../../src/cryoprotect/web/static/js/experiments_lib.js";
import {
  adminCount,
  countFigure,
  memberActions,
  ROLES,
  sharedWith,
} from "../../src/cryoprotect/web/static/js/teams_lib.js";
import { defaultScope, scopePayload } from "../../src/cryoprotect/web/static/js/scope_lib.js";

// The shape GET /api/v1/experiments/vocabulary returns (services/experiments.py MEASURES).
const VOCABULARY = {
  measures: [
    { key: "viability_percent", label: "Post-thaw viability", kind: "percent", units: ["%"], minimum: 0, maximum: 100, needs_assay: false },
    { key: "function_assay", label: "Function assay", kind: "number", units: [], minimum: null, maximum: null, needs_assay: true },
    { key: "ice_observed", label: "Ice observed", kind: "boolean", units: [""], minimum: null, maximum: null, needs_assay: false },
  ],
  conditions: { cooling_rate_c_per_min: [0, 1e7], storage_temperature_c: [-273.15, 100], storage_duration_h: [0, 1e6] },
  biological_kinds: ["cell", "tissue", "organ", "organism"],
};
const MEASURES = measureIndex(VOCABULARY);

test("status badges use the site's verified/pending/rejected classes", () => {
  assert.deepEqual(statusBadge("verified"), { text: "Verified", className: "badge verified" });
  assert.deepEqual(statusBadge("pending"), { text: "Pending verification", className: "badge pending" });
  assert.deepEqual(statusBadge("unverified"), { text: "Not submitted", className: "badge" });
  assert.equal(statusBadge("weird").className, "badge");
});

test("unit choice: fixed for percent measures, free for assays, none for yes/no", () => {
  assert.deepEqual(unitChoice(MEASURES.get("viability_percent")), { kind: "fixed", units: ["%"] });
  assert.deepEqual(unitChoice(MEASURES.get("function_assay")), { kind: "free", units: [] });
  assert.deepEqual(unitChoice(MEASURES.get("ice_observed")), { kind: "none", units: [] });
});

test("condition fields take their unit from the key", () => {
  const fields = conditionFields(VOCABULARY.conditions);
  assert.deepEqual(
    fields.map((f) => [f.key, f.label, f.unit, f.min, f.max]),
    [
      ["cooling_rate_c_per_min", "Cooling rate", "°C/min", 0, 1e7],
      ["storage_temperature_c", "Storage temperature", "°C", -273.15, 100],
      ["storage_duration_h", "Storage duration", "h", 0, 1e6],
    ],
  );
});

test("result rows become the API's results; bad numbers pass through for the API to name", () => {
  const rows = [
    { measure: "viability_percent", value: "72.5", unit: "%", replicates: "3", sd: "4.1", assay: "", time_point_h: "", notes: "" },
    { measure: "ice_observed", value: "no", unit: "", replicates: "1", sd: "", assay: "", time_point_h: "", notes: "" },
    { measure: "function_assay", value: "2.1", unit: "ug/h", replicates: "2", sd: "", assay: " albumin ", time_point_h: "24", notes: "" },
    { measure: "viability_percent", value: "abc", unit: "%", replicates: "", sd: "", assay: "", time_point_h: "", notes: "" },
  ];
  assert.deepEqual(buildResults(rows, MEASURES), [
    { measure: "viability_percent", value: 72.5, unit: "%", replicates: 3, sd: 4.1 },
    { measure: "ice_observed", value: false, replicates: 1 },
    { measure: "function_assay", value: 2.1, unit: "ug/h", replicates: 2, time_point_h: 24, assay: "albumin" },
    { measure: "viability_percent", value: "abc", unit: "%" },
  ]);
});

test("conditions: empty inputs dropped, step temperatures parsed in order", () => {
  const body = buildConditions(
    { cooling_rate_c_per_min: "1", storage_temperature_c: "", storage_duration_h: "168", step_temperatures_c: "22, 4; -20", method: " slow ", container: "" },
    ["cooling_rate_c_per_min", "storage_temperature_c", "storage_duration_h"],
  );
  assert.deepEqual(body, { cooling_rate_c_per_min: 1, storage_duration_h: 168, step_temperatures_c: [22, 4, -20], method: "slow" });
  assert.deepEqual(parseNumberList("1, x, 3"), [1, "x", 3]);
  assert.deepEqual(parseNumberList(""), []);
});

test("attachments without a file name are left out", () => {
  assert.deepEqual(
    buildAttachments([
      { filename: "plate1.csv", content_type: "text/csv", size_bytes: "1200", sha256: "", url: "", description: "" },
      { filename: " ", content_type: "text/csv", size_bytes: "", sha256: "", url: "", description: "" },
    ]),
    [{ filename: "plate1.csv", content_type: "text/csv", size_bytes: 1200 }],
  );
});

test("scope: a team only for team visibility; default follows the team switcher", () => {
  assert.deepEqual(scopePayload("team", "t1"), { visibility: "team", team_id: "t1" });
  assert.deepEqual(scopePayload("private", "t1"), { visibility: "private", team_id: null });
  assert.deepEqual(defaultScope("t1"), { visibility: "team", team_id: "t1" });
  assert.deepEqual(defaultScope(""), { visibility: "private", team_id: null });
});

test("results are described with units, replicates and SD", () => {
  const viability = { measure: "viability_percent", value: 72.5, unit: "%", replicates: 3, sd: 4.1 };
  assert.equal(describeResult(viability, MEASURES.get("viability_percent")), "72.5 % (n = 3, SD 4.1 %)");
  const ice = { measure: "ice_observed", value: false, unit: "", replicates: 1 };
  assert.equal(resultSummary([viability, ice], MEASURES), "Post-thaw viability 72.5 %; Ice observed: no");
  assert.equal(resultSummary([viability, viability, ice], MEASURES, 1), "Post-thaw viability 72.5 %; +2 more");
});

test("biological system and conditions in words", () => {
  assert.equal(describeBiologicalSystem({ cell_type_name: "HepG2", biological_system: { kind: "cell", species: "human" } }), "HepG2 (cell, human)");
  assert.equal(describeBiologicalSystem({ biological_system: { kind: "tissue", name: "rat kidney slices" } }), "rat kidney slices (tissue)");
  assert.equal(describeBiologicalSystem({ biological_system: {} }), "—");
  assert.equal(
    describeBiologicalSystem({ cell_type_name: "Fibroblast", biological_system: { kind: "cell", name: "HFF-1" } }),
    "Fibroblast · HFF-1 (cell)",
  );
  assert.deepEqual(conditionRows({ cooling_rate_c_per_min: 1, step_temperatures_c: [22, 4], method: "slow cooling" }), [
    ["Cooling rate", "1 °C/min"],
    ["Step temperatures", "22 °C → 4 °C"],
    ["Method", "slow cooling"],
  ]);
});

test("permissions: the author never verifies; a verifier of the team does, only when pending", () => {
  const experiment = { created_by: "author", team_id: "t", visibility: "team", verification_status: "pending" };
  const author = permissions(experiment, { id: "author" }, [{ id: "t", my_role: "admin" }]);
  assert.equal(author.canVerify, false);
  assert.equal(author.canEdit, true);
  const verifier = permissions(experiment, { id: "v" }, [{ id: "t", my_role: "verifier" }]);
  assert.equal(verifier.canVerify, true);
  const viewer = permissions(experiment, { id: "w" }, [{ id: "t", my_role: "viewer" }]);
  assert.deepEqual([viewer.canVerify, viewer.canEdit], [false, false]);
  const unverified = permissions({ ...experiment, verification_status: "unverified" }, { id: "author" }, []);
  assert.equal(unverified.canSubmit, true);
  const privateOne = permissions({ ...experiment, visibility: "private", verification_status: "unverified" }, { id: "author" }, []);
  assert.equal(privateOne.canSubmit, false);
  const verified = permissions({ ...experiment, verification_status: "verified" }, { id: "author" }, []);
  assert.equal(verified.canDelete, false);
});

test("history merges decisions and edits in time order (edit first at equal times), hides status-only updates", () => {
  const history = {
    verifications: [
      { status: "pending", created_by_name: "Ann", created_at: "2026-01-01T08:00:00+00:00", notes: "Submitted for verification" },
      { status: "verified", verifier: "Vic", verified_at: "2026-01-03T09:00:00+00:00", created_at: "2026-01-03T09:00:00+00:00", notes: "counts re-done", equipment: "Countess II" },
    ],
    changes: [
      { occurred_at: "2026-01-01T08:00:00+00:00", actor: "Ann", action: "INSERT", changes: {} },
      { occurred_at: "2026-01-01T08:00:00+00:00", actor: "Ann", action: "UPDATE", changes: { verification_status: { old: "unverified", new: "pending" } } },
      { occurred_at: "2026-01-04T12:00:00+00:00", actor: "Ann", action: "UPDATE", changes: { title: { old: "a", new: "b" } } },
    ],
  };
  const entries = historyTimeline(history);
  assert.deepEqual(
    entries.map((e) => [e.when, e.who, e.what]),
    [
      ["1 Jan 2026 08:00 UTC", "Ann", "Recorded"],
      ["1 Jan 2026 08:00 UTC", "Ann", "Pending verification"],
      ["3 Jan 2026 09:00 UTC", "Vic", "Verified"],
      ["4 Jan 2026 12:00 UTC", "Ann", "Edited"],
    ],
  );
  assert.equal(entries[1].detail, "Submitted for verification");
  assert.equal(entries[2].detail, "counts re-done · equipment: Countess II");
  assert.equal(entries[3].detail, 'Title: a → b');
  // An entry the reader may not see in full (e.g. edited while private) says so.
  const hidden = historyTimeline({
    changes: [{ occurred_at: "2026-01-02T08:00:00+00:00", actor: "Ann", action: "UPDATE", changes: {}, redacted: true }],
  });
  assert.equal(hidden[0].what, "Edited");
  assert.match(hidden[0].detail, /withheld/);
});

const COMPARISON = {
  measure: "viability_percent",
  unit: "%",
  measured: 72.5,
  replicates: 3,
  predicted: 65.2,
  lower: 50.0,
  upper: 80.5,
  confidence_level: 0.9,
  error: -7.3,
  inside_interval: true,
  model_id: "m1",
  model_name: "ridge viability",
  model_version: 2,
  predicted_at: "2026-01-05T11:30:00+00:00",
};

test("predicted vs measured rows carry units and the interval", () => {
  const [row] = comparisonRows([COMPARISON]);
  assert.equal(row.model, "ridge viability v2");
  assert.equal(row.measured, "72.5 %");
  assert.equal(row.predicted, "65.2 %");
  assert.equal(row.interval, "50.0 – 80.5 % (90 %)");
  assert.equal(row.error, "-7.3 %");
  assert.equal(row.inside, "yes");
});

test("comparison traces: prediction with asymmetric interval bars, measured as its own marker", () => {
  const [predicted, measured] = comparisonTraces([COMPARISON]);
  assert.deepEqual(predicted.x, ["ridge viability v2"]);
  assert.deepEqual(predicted.y, [65.2]);
  assert.deepEqual(predicted.error_y.array, [80.5 - 65.2]);
  assert.deepEqual(predicted.error_y.arrayminus, [65.2 - 50.0]);
  assert.deepEqual(measured.y, [72.5]);
  assert.equal(comparisonAxisTitle([COMPARISON]), "Viability (%)");
  const other = { ...COMPARISON, measure: "recovery_percent" };
  assert.deepEqual(comparisonTraces([COMPARISON, other])[0].x, ["ridge viability v2 · Viability (%)", "ridge viability v2 · Recovery (%)"]);
});

test("prediction-error summary rows and bars", () => {
  const model = { model_id: "m1", model_name: "ridge", model_version: 1, measure: "viability_percent", unit: "%", n: 4, experiments: 3, mae: 6.125, rmse: 7.5, bias: -2.0, coverage: 0.75 };
  const [row] = summaryRows([model]);
  assert.deepEqual([row.model, row.mae, row.rmse, row.bias, row.coverage], ["ridge v1", "6.1 %", "7.5 %", "-2.0 %", "75 %"]);
  assert.equal(summaryRows([{ ...model, coverage: null }])[0].coverage, "—");
  const [mae, rmse] = summaryTraces([model]);
  assert.deepEqual([mae.y, rmse.y], [[6.125], [7.5]]);
});

test("CSV template is the header row of the import columns", () => {
  const csv = templateCsv();
  assert.ok(csv.endsWith("\r\n"));
  assert.deepEqual(csv.trim().split(","), IMPORT_COLUMNS.map(([name]) => name));
  assert.ok(csv.startsWith("experiment_id,title,"));
});

test("import summary says what landed and what was rejected", () => {
  assert.equal(
    importSummary({ total: 6, written: 4, experiments_created: 1, experiments_updated: 1, rejected_count: 2 }),
    "4 of 6 rows imported, 1 experiment created, 1 updated. 2 rows were rejected (see below).",
  );
  assert.equal(
    importSummary({ total: 2, written: 0, experiments_created: 0, experiments_updated: 0, rejected_count: 1 }),
    "0 of 2 rows imported, 0 experiments created, 0 updated. 1 row was rejected (see below). Nothing was written.",
  );
});

test("team roles and what members may do", () => {
  assert.deepEqual(ROLES.map((r) => r.name), ["viewer", "editor", "verifier", "admin"]);
  const members = [
    { user_id: "a", role: "admin" },
    { user_id: "b", role: "editor" },
  ];
  assert.equal(adminCount(members), 1);
  assert.deepEqual(memberActions(members[0], "a", "admin", members), {
    self: true,
    lastAdmin: true,
    canChangeRole: false,
    canRemove: false,
    canLeave: false,
  });
  assert.equal(memberActions(members[1], "a", "admin", members).canRemove, true);
  assert.equal(memberActions(members[1], "b", "editor", members).canLeave, true);
  assert.equal(memberActions(members[0], "b", "editor", members).canChangeRole, false);
  const two = [...members, { user_id: "c", role: "admin" }];
  assert.equal(memberActions(two[0], "a", "admin", two).canLeave, true);
});

test("shared records: the team's non-private rows only", () => {
  const items = [
    { id: 1, team_id: "t", visibility: "team" },
    { id: 2, team_id: "t", visibility: "private" },
    { id: 3, team_id: "u", visibility: "team" },
    { id: 4, team_id: "t", visibility: "public" },
  ];
  assert.deepEqual(sharedWith(items, "t").map((x) => x.id), [1, 4]);
  assert.equal(countFigure(3), "3");
  assert.equal(countFigure(100, { partial: true }), "≥ 100");
});

test("health report becomes sections with tables for object lists and 'none' for empty ones", () => {
  const report = {
    status: "warning",
    checks: {
      schema: { status: "passed", details: { missing_tables: [], rls_problems: [] } },
      performance: {
        status: "warning",
        details: {
          unindexed_foreign_keys: [{ schema: "public", table: "experiments", constraint: "fk_x", column: "protocol_id" }],
          slow_statements: { available: false, reason: "pg_stat_statements extension is not installed" },
        },
      },
    },
  };
  const [schema, perf] = healthSections(report);
  assert.equal(schema.status, "passed");
  assert.deepEqual(schema.findings.map((f) => [f.title, f.kind]), [
    ["Missing tables", "none"],
    ["Row-level security problems", "none"],
  ]);
  const fk = perf.findings[0];
  assert.equal(fk.kind, "table");
  assert.deepEqual(fk.rows, [["public", "experiments", "fk_x", "protocol_id"]]);
  assert.equal(perf.findings[1].value, "not available: pg_stat_statements extension is not installed");
  const slow = healthSections({
    checks: { performance: { status: "passed", details: { slow_statements: { available: true, statements: [{ query: "SELECT 1", calls: 3, mean_exec_time_ms: 0.25 }] } } } },
  })[0].findings[0];
  assert.deepEqual(slow.columns.map((c) => c.title), ["Query", "Calls", "Mean time (ms)"]);
  assert.deepEqual(slow.rows, [["SELECT 1", "3", "0.25"]]);
  assert.equal(healthClass("failed"), "badge rejected");
});

test("flag wording and override targets", () => {
  assert.equal(rolloutText({ enabled: false, rollout_percentage: 100 }), "off for everyone except the overrides below");
  assert.equal(rolloutText({ enabled: true, rollout_percentage: 100 }), "on for everyone");
  assert.match(rolloutText({ enabled: true, rollout_percentage: 30 }), /^on for 30 % of signed-in users/);
  const names = new Map([["t1", "Lab A"]]);
  assert.deepEqual(overrideTarget({ target: "team", team_id: "t1", user_id: null }, names), { kind: "team", id: "t1", name: "Lab A" });
  assert.deepEqual(overrideTarget({ target: "user", user_id: "u9", team_id: null }, names), { kind: "user", id: "u9", name: "u9" });
  const id = "1b4e28ba-2fa1-11d2-883f-0016d3cca427";
  assert.equal(parseTargetId(id.toUpperCase()), id);
  assert.equal(parseTargetId(`Ada <ada@example.org> · ${id}`), id);
  assert.equal(parseTargetId("ada@example.org"), null);
});
