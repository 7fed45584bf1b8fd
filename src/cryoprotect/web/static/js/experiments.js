// The experiment list: search, status and team filters (kept in the URL, so a filtered list
// can be linked to), verification badges and pagination. ?mixture_id= / ?cell_type_id=
// narrow it to one mixture or cell type (links from those pages).
import { apiRequest, currentUser, guarded, onSubmit, pageStatus, reportUnexpected } from "./api.js";
import { myTeams } from "./scope_ui.js";
import { fillTable, h, replace } from "./dom.js";
import { pageInfo, query } from "./format.js";
import { timeEl } from "./precision_ui.js";
import {
  describeBiologicalSystem,
  describeMixture,
  measureIndex,
  resultSummary,
  statusBadge,
} from "./experiments_lib.js";

const PER_PAGE = 25;
const { error, loading } = pageStatus();
const form = document.getElementById("filters");
const table = document.getElementById("experiments-table");

let measures = new Map();
let teams = [];

function stateFromUrl() {
  const p = new URLSearchParams(window.location.search);
  return {
    q: p.get("q") || "",
    status: p.get("status") || "",
    team_id: p.get("team_id") || "",
    mixture_id: p.get("mixture_id") || "",
    cell_type_id: p.get("cell_type_id") || "",
    page: Math.max(1, Number(p.get("page")) || 1),
  };
}

let state = stateFromUrl();

function pushState() {
  const { page, ...rest } = state;
  window.history.replaceState(null, "", `/experiments${query({ ...rest, page: page > 1 ? page : "" })}`);
}

function teamCell(e) {
  if (!e.team_id) return e.visibility;
  const team = teams.find((t) => t.id === e.team_id);
  return [`${e.visibility} · `, team ? h("a", { href: `/teams/${team.id}` }, team.name) : "a team"];
}

/** A record's name for the filter note; a failure is said in place of the name. */
async function named(path) {
  try {
    return await apiRequest(path, { quiet: true });
  } catch (exc) {
    return { failed: `(${exc.status === 404 ? "not visible to you" : `name not loaded: ${exc.message}`})` };
  }
}

async function describeNarrowing() {
  const note = document.getElementById("scope-note");
  const parts = [];
  if (state.mixture_id) {
    const m = await named(`/api/v1/mixtures/${encodeURIComponent(state.mixture_id)}`);
    parts.push(["mixture ", m.name ? h("a", { href: `/mixtures/${m.id}` }, m.name) : m.failed]);
  }
  if (state.cell_type_id) {
    const c = await named(`/api/v1/cell-types/${encodeURIComponent(state.cell_type_id)}`);
    parts.push(`cell type ${c.name || c.failed}`);
  }
  if (!parts.length) {
    note.hidden = true;
    return;
  }
  replace(
    note,
    "Showing experiments with ",
    parts.map((p, i) => [i ? " and " : "", p]),
    ". ",
    h("a", { href: "/experiments" }, "Show all experiments"),
    state.mixture_id ? [" · ", h("a", { href: `/experiments/new${query({ mixture_id: state.mixture_id })}` }, "record one with this mixture")] : "",
  );
  note.hidden = false;
}

async function load() {
  const path = `/api/v1/experiments${query({ ...state, per_page: PER_PAGE })}`;
  const body = await apiRequest(path, { loading, error, form });
  const items = body.items || [];
  const info = pageInfo(body);
  const filtered = state.q || state.status || state.team_id || state.mixture_id || state.cell_type_id;
  document.getElementById("empty").hidden = items.length > 0;
  document.getElementById("empty-text").textContent = filtered
    ? "No experiment matches these filters."
    : "No experiments yet.";
  table.hidden = items.length === 0;
  document.getElementById("experiments-caption").textContent = `Experiments ${info.first}–${info.last} of ${info.total}`;
  fillTable(table.querySelector("tbody"), items, [
    { header: true, cell: (e) => h("a", { href: `/experiments/${e.id}` }, e.title) },
    {
      cell: (e) => {
        const b = statusBadge(e.verification_status);
        return h("span", { class: b.className }, b.text);
      },
    },
    { cell: (e) => (e.mixture_id ? h("a", { href: `/mixtures/${e.mixture_id}` }, describeMixture(e)) : "—") },
    { cell: (e) => describeBiologicalSystem(e) },
    { cell: (e) => resultSummary(e.results, measures, 2) || "—" },
    { cell: (e) => e.performed_on || "—" },
    { cell: teamCell },
    { cell: (e) => timeEl(e.created_at) },
  ]);
  const pager = document.getElementById("pager");
  pager.hidden = info.pages <= 1;
  document.getElementById("page-info").textContent = `Page ${info.page} of ${info.pages}`;
  document.getElementById("prev").disabled = !info.hasPrev;
  document.getElementById("next").disabled = !info.hasNext;
}

function syncForm() {
  form.elements.q.value = state.q;
  form.elements.status.value = state.status;
  form.elements.team_id.value = state.team_id;
}

async function main() {
  const user = await currentUser();
  const [vocabulary, teamList] = await Promise.all([
    apiRequest("/api/v1/experiments/vocabulary", { error }),
    user ? myTeams(error) : Promise.resolve([]),
  ]);
  measures = measureIndex(vocabulary);
  teams = teamList;
  form.elements.team_id.append(...teams.map((t) => h("option", { value: t.id }, t.name)));
  if (!user) {
    const note = document.getElementById("flash");
    replace(note, "You are not signed in: only public experiments are listed. ", h("a", { href: "/signin?next=/experiments" }, "Sign in"), " to see yours and your teams'.");
    note.className = "note";
    note.hidden = false;
  } else if (new URLSearchParams(window.location.search).get("deleted")) {
    const note = document.getElementById("flash");
    note.textContent = "The experiment was deleted.";
    note.hidden = false;
  }
  syncForm();
  onSubmit(form, async () => {
    state = { ...state, q: form.elements.q.value.trim(), status: form.elements.status.value, team_id: form.elements.team_id.value, page: 1 };
    pushState();
    await load();
  });
  form.elements.status.addEventListener("change", () => form.requestSubmit());
  form.elements.team_id.addEventListener("change", () => form.requestSubmit());
  document.getElementById("clear-filters").addEventListener(
    "click",
    guarded(async () => {
      state = { q: "", status: "", team_id: "", mixture_id: "", cell_type_id: "", page: 1 };
      syncForm();
      pushState();
      await Promise.all([load(), describeNarrowing()]);
    }),
  );
  for (const [id, step] of [["prev", -1], ["next", 1]]) {
    document.getElementById(id).addEventListener(
      "click",
      guarded(async () => {
        state = { ...state, page: state.page + step };
        pushState();
        await load();
      }),
    );
  }
  await Promise.all([load(), describeNarrowing()]);
}

main().catch((exc) => reportUnexpected(exc));
