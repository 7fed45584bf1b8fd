// The mixture list: search, filter and paginate what the caller may see; reference
// solutions marked; pick mixtures to compare.
import { apiRequest, currentUser, guarded, onSubmit, pageStatus, reportUnexpected } from "./api.js";
import { myTeams } from "./scope_ui.js";
import { h, replace } from "./dom.js";
import { pageInfo, query } from "./format.js";
import { timeEl } from "./precision_ui.js";
import { componentSummary, isReference, scopeText } from "./mixtures_lib.js";
import { clear, MAX_COMPARE, selected, selectionUrl, toggle } from "./mixtures_selection_ui.js";

const { error, loading } = pageStatus();
const form = document.getElementById("search-form");
const table = document.getElementById("mixtures-table");
const empty = document.getElementById("empty");

const state = { q: "", visibility: "", page: 1, per_page: 25 };
let teamNames = {};

function readUrl() {
  const params = new URLSearchParams(window.location.search);
  state.q = params.get("q") || "";
  state.visibility = params.get("visibility") || "";
  state.page = Math.max(1, Number.parseInt(params.get("page") || "1", 10) || 1);
  state.per_page = Math.max(1, Number.parseInt(params.get("per_page") || "25", 10) || 25);
  form.elements.q.value = state.q;
  form.elements.visibility.value = state.visibility;
  const perPage = form.elements.per_page;
  if (![...perPage.options].some((o) => o.value === String(state.per_page))) {
    perPage.append(h("option", { value: String(state.per_page) }, String(state.per_page)));
  }
  perPage.value = String(state.per_page);
}

function writeUrl() {
  const search = query({
    q: state.q,
    visibility: state.visibility,
    page: state.page > 1 ? state.page : "",
    per_page: state.per_page !== 25 ? state.per_page : "",
  });
  window.history.replaceState(null, "", `/mixtures${search}`);
}

function renderSelection() {
  const list = selected();
  const slot = document.getElementById("compare-selected");
  replace(slot, list.length ? list.map((x, i) => [i ? ", " : "", h("a", { href: `/mixtures/${x.id}` }, x.name)]) : "none");
  const go = document.getElementById("compare-go");
  const url = selectionUrl();
  go.setAttribute("aria-disabled", url ? "false" : "true");
  go.classList.toggle("disabled", !url);
  go.href = url || "/mixtures/compare";
  go.textContent = url ? `Compare ${list.length} selected` : "Compare selected (tick at least 2)";
  for (const box of table.querySelectorAll("input[type=checkbox][data-id]")) {
    box.checked = list.some((x) => x.id === box.dataset.id);
  }
}

function row(m) {
  const ref = isReference(m);
  const box = h("input", {
    type: "checkbox",
    dataset: { id: m.id },
    onchange: (event) => {
      if (!toggle(m.id, m.name, event.target.checked)) {
        event.target.checked = false;
        error.textContent = `At most ${MAX_COMPARE} mixtures can be compared at once.`;
        error.hidden = false;
      }
      renderSelection();
    },
  });
  return h(
    "tr",
    { class: ref ? "reference-row" : "" },
    h("td", {}, h("label", { class: "check" }, box, h("span", { class: "sr-only" }, `Compare ${m.name}`))),
    h("th", { scope: "row" }, h("a", { href: `/mixtures/${m.id}` }, m.name), ref ? [" ", h("span", { class: "badge reference" }, "reference")] : ""),
    h("td", { class: "text" }, componentSummary(m.components)),
    h("td", { class: "text" }, m.carrier || "water"),
    h("td", {}, `v${m.version}`),
    h("td", { class: "text" }, scopeText(m, teamNames)),
    h("td", {}, timeEl(m.updated_at)),
  );
}

async function load() {
  writeUrl();
  const path = `/api/v1/mixtures${query({ q: state.q, visibility: state.visibility, page: state.page, per_page: state.per_page })}`;
  const body = await apiRequest(path, { loading, error, form });
  const info = pageInfo(body);
  if (body.total > 0 && body.items.length === 0 && state.page > info.pages) {
    state.page = info.pages; // the list shrank: show its last page
    return load();
  }
  const tbody = table.querySelector("tbody");
  replace(tbody, body.items.map(row));
  table.hidden = body.items.length === 0;
  document.getElementById("mixtures-caption").textContent =
    body.total === 0 ? "Mixtures" : `Mixtures ${info.first}–${info.last} of ${info.total}`;
  empty.hidden = body.items.length > 0;
  if (body.items.length === 0) {
    const filtered = state.q || state.visibility;
    replace(
      empty,
      filtered
        ? [`No mixture you can see matches ${state.q ? `“${state.q}”` : "this filter"}. `, h("a", { href: "/mixtures" }, "Show all mixtures"), "."]
        : ["No mixtures yet. ", h("a", { href: "/mixtures/new" }, "Build the first one"), "."],
    );
  }
  const pager = document.getElementById("pager");
  pager.hidden = info.pages <= 1;
  document.getElementById("page-info").textContent = `Page ${info.page} of ${info.pages} (${info.total} mixtures)`;
  document.getElementById("prev-page").disabled = !info.hasPrev;
  document.getElementById("next-page").disabled = !info.hasNext;
  renderSelection();
}

async function loadTeams() {
  const user = await currentUser();
  if (!user) return;
  const teams = await myTeams(error);
  teamNames = Object.fromEntries(teams.map((t) => [t.id, t.name]));
}

async function main() {
  readUrl();
  await loadTeams();
  onSubmit(form, async () => {
    state.q = form.elements.q.value.trim();
    state.visibility = form.elements.visibility.value;
    state.per_page = Number(form.elements.per_page.value);
    state.page = 1;
    await load();
  });
  document.getElementById("prev-page").addEventListener(
    "click",
    guarded(async () => {
      state.page = Math.max(1, state.page - 1);
      await load();
    }),
  );
  document.getElementById("next-page").addEventListener(
    "click",
    guarded(async () => {
      state.page += 1;
      await load();
    }),
  );
  document.getElementById("compare-clear").addEventListener("click", () => {
    clear();
    renderSelection();
  });
  document.getElementById("compare-go").addEventListener("click", (event) => {
    if (!selectionUrl()) {
      event.preventDefault();
      error.textContent = "Tick at least two mixtures to compare.";
      error.hidden = false;
    }
  });
  await load();
}

main().catch((exc) => reportUnexpected(exc));
