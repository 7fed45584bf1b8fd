// One saved protocol: what was asked (cell type, target, temperatures, limits), the same step
// table and charts as the design page, and "attach to an experiment" (PATCH
// /experiments/<id> with protocol_id, or a new experiment with ?protocol_id=). Its owner can
// delete it; anyone who sees it can design a variant (/protocols/design?from=<id>).
import { apiRequest, confirmDelete, currentUser, fetchResourceFromApi, guarded, pageStatus, reportUnexpected, showError } from "./api.js";
import { definitionList, h, replace, showSuccess } from "./dom.js";
import { formatQuantity, query } from "./format.js";
import { timeEl } from "./precision_ui.js";
import { renderDesign } from "./protocols_ui.js";
import { designLimits, targetText } from "./protocols_lib.js";
import { recipeUrl, renderRecipe, sheetUrl } from "./recipe_ui.js";

const root = document.getElementById("protocol-page");
const protocolId = root.dataset.protocolId;
const { error, loading } = pageStatus();
const attachForm = document.getElementById("attach-form");

function facts(protocol) {
  const design = protocol.design || {};
  const request = design.request || {};
  const settings = design.settings || {};
  const limits = designLimits(design);
  const mixture = design.mixture_id
    ? h("a", { href: `/mixtures/${design.mixture_id}` }, "the saved mixture")
    : "CPAs given in the request";
  return [
    [
      "Cell type",
      [
        design.cell_type_name || design.cell_name || "—",
        protocol.cell_type_id ? [" · ", h("a", { href: `/protocols${query({ cell_type_id: protocol.cell_type_id })}` }, "other protocols for this cell type")] : "",
      ],
    ],
    ["Target (intracellular goal)", [targetText(design.target), " — from ", mixture]],
    ["Loading temperature", formatQuantity("temperature", settings.addition_temperature_c ?? protocol.temperature_c)],
    ["Unloading temperature", formatQuantity("temperature", settings.removal_temperature_c ?? protocol.temperature_c)],
    [
      "Osmotic tolerance limits",
      `${formatQuantity("volume_fraction", limits.min_volume_fraction, "")} – ${formatQuantity("volume_fraction", limits.max_volume_fraction)}${request.osmotic_limits ? " (set in the request)" : " (the cell type's own)"}`,
    ],
    ["Most steps per phase", String(settings.max_steps ?? request.max_steps ?? "—")],
    ["Visibility", protocol.team_id ? [protocol.visibility, " · ", h("a", { href: `/teams/${protocol.team_id}` }, "its team")] : protocol.visibility],
    ["Saved", timeEl(protocol.created_at)],
  ];
}

async function loadExperiments(user) {
  const body = await apiRequest(`/api/v1/experiments${query({ per_page: 100 })}`, { error });
  const mine = (body.items || []).filter((e) => e.created_by === user.id);
  const linked = mine.filter((e) => e.protocol_id === protocolId);
  replace(
    document.getElementById("linked-experiments"),
    linked.map((e) => h("li", {}, h("a", { href: `/experiments/${e.id}` }, e.title), ` (${e.verification_status})`)),
  );
  document.getElementById("linked-empty").hidden = linked.length > 0;
  const select = attachForm.elements.experiment_id;
  const others = mine.filter((e) => e.protocol_id !== protocolId);
  replace(
    select,
    h("option", { value: "" }, others.length ? "— choose an experiment —" : "— no other experiment of yours —"),
    others.map((e) =>
      h("option", { value: e.id }, `${e.title}${e.protocol_name ? ` (now: ${e.protocol_name})` : ""}${e.performed_on ? ` · ${e.performed_on}` : ""}`),
    ),
  );
  document.getElementById("attach-button").disabled = !others.length;
}

async function attach(event, user) {
  event.preventDefault();
  const experimentId = attachForm.elements.experiment_id.value;
  if (!experimentId) {
    const slot = attachForm.querySelector('[data-error-for="experiment_id"]');
    slot.textContent = "Choose an experiment first.";
    slot.hidden = false;
    return;
  }
  const updated = await apiRequest(`/api/v1/experiments/${encodeURIComponent(experimentId)}`, {
    method: "PATCH",
    json: { protocol_id: protocolId },
    form: attachForm,
    error,
    loading: document.getElementById("attaching"),
  });
  showSuccess(document.getElementById("flash"), "Attached to ", h("a", { href: `/experiments/${updated.id}` }, updated.title), ".");
  await loadExperiments(user);
}

function wireDelete(protocol, user) {
  document.getElementById("delete-button").hidden = !(user && protocol.created_by === user.id);
  const ids = ["confirm-delete", "confirm-delete-yes", "confirm-delete-no"];
  confirmDelete(
    "delete-button",
    async () => {
      await apiRequest(`/api/v1/protocols/${encodeURIComponent(protocolId)}`, { method: "DELETE", error });
      window.location.assign("/protocols");
    },
    { ids },
  );
}

function wireRecipe() {
  const form = document.getElementById("recipe-form");
  const link = document.getElementById("print-sheet-link");
  const show = async () => {
    const choice = { volume: form.elements.volume_ml.value, carrierStrength: form.elements.carrier_strength.value };
    link.href = sheetUrl(protocolId, choice);
    const recipe = await apiRequest(recipeUrl(protocolId, choice), { form, error, loading: document.getElementById("recipe-loading") });
    renderRecipe(document.getElementById("recipe"), recipe);
  };
  form.addEventListener("submit", guarded((event) => (event.preventDefault(), show())));
  form.elements.volume_ml.addEventListener("change", guarded(show));
  form.elements.carrier_strength.addEventListener("change", guarded(show));
  document.getElementById("recipe-section").hidden = false;
  return show();
}

async function main() {
  const [protocol, user] = await Promise.all([
    fetchResourceFromApi(`/api/v1/protocols/${encodeURIComponent(protocolId)}`, { loading, error }),
    currentUser(),
  ]);
  document.title = `${protocol.name} · CryoProtect`;
  document.getElementById("protocol-title").textContent = protocol.name;
  document.getElementById("crumb").textContent = protocol.name;
  const description = document.getElementById("protocol-description");
  description.textContent = protocol.description || "";
  description.hidden = !protocol.description;
  replace(document.getElementById("protocol-facts"), ...definitionList(facts(protocol)).childNodes);
  document.getElementById("variant-link").href = `/protocols/design${query({ from: protocol.id })}`;
  document.getElementById("protocol-actions").hidden = false;
  wireDelete(protocol, user);

  const results = document.getElementById("results");
  results.hidden = false;
  renderDesign(results, protocol.design || {}, { showError: (m) => showError(error, m) });
  wireRecipe().catch((exc) => reportUnexpected(exc));

  document.getElementById("attach-section").hidden = false;
  document.getElementById("new-experiment-link").href = `/experiments/new${query({ protocol_id: protocol.id })}`;
  if (!user) {
    attachForm.hidden = true;
    document.getElementById("attach-signin").hidden = false;
    return;
  }
  attachForm.addEventListener("submit", guarded((event) => attach(event, user)));
  await loadExperiments(user);
}

main().catch((exc) => reportUnexpected(exc));
