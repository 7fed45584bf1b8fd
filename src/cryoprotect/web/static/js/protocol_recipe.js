// The printable protocol sheet (/protocols/<id>/recipe?volume_ml=&carrier_strength=): the
// protocol's facts, and per step what to measure, the rounded hold and its warning, with a
// checkbox per line for the bench (recipe_ui.js); print CSS in protocol_recipe.css.
import { fetchResourceFromApi, pageStatus, reportUnexpected } from "./api.js";
import { definitionList, replace } from "./dom.js";
import { formatQuantity } from "./format.js";
import { recipeUrl, renderRecipe } from "./recipe_ui.js";
import { targetText } from "./protocols_lib.js";

const root = document.getElementById("recipe-page");
const protocolId = root.dataset.protocolId;
const { error, loading } = pageStatus();

async function main() {
  const params = new URLSearchParams(window.location.search);
  const choice = { volume: params.get("volume_ml") || 10, carrierStrength: params.get("carrier_strength") || 10 };
  const [protocol, recipe] = await Promise.all([
    fetchResourceFromApi(`/api/v1/protocols/${encodeURIComponent(protocolId)}`, { loading, error }),
    fetchResourceFromApi(recipeUrl(protocolId, choice), { loading, error }),
  ]);
  const design = protocol.design || {};
  const settings = design.settings || {};
  document.title = `${protocol.name} — protocol sheet · CryoProtect`;
  document.getElementById("sheet-title").textContent = `Protocol sheet: ${protocol.name}`;
  document.getElementById("crumb").textContent = protocol.name;
  replace(
    document.getElementById("sheet-facts"),
    ...definitionList([
      ["Cell type", design.cell_type_name || design.cell_name || "—"],
      ["Target", targetText(design.target)],
      ["Loading / unloading temperature", `${formatQuantity("temperature", settings.addition_temperature_c)} / ${formatQuantity("temperature", settings.removal_temperature_c)}`],
      ["Each solution", `${formatQuantity("volume", recipe.volume_ml)}; carrier stock ${recipe.carrier_strength}×`],
    ]).childNodes,
  );
  renderRecipe(document.getElementById("recipe"), recipe, { sheet: true });
  document.getElementById("print-button").addEventListener("click", () => window.print());
}

main().catch((exc) => reportUnexpected(exc));
