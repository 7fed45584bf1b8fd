// Dashboard: counts of what the caller can see, recent items, shortcuts.
import { apiRequest, reportUnexpected } from "./api.js";
import { h, replace } from "./dom.js";
import { timeEl } from "./precision_ui.js";

const RESOURCES = [
  ["Molecules", "/api/v1/molecules?per_page=1", "/molecules"],
  ["Mixtures", "/api/v1/mixtures?per_page=1", "/mixtures"],
  ["Model versions", "/api/v1/predictive-models?per_page=1", "/models"],
  ["Experiments", "/api/v1/experiments?per_page=1", "/experiments"],
  ["Protocols", "/api/v1/protocols?per_page=1", "/protocols"],
  ["Cell types", "/api/v1/cell-types?per_page=1", "/protocols/design"],
];

async function main() {
  const error = document.getElementById("error");
  const loading = document.getElementById("loading");
  loading.hidden = false;
  try {
    const counts = await Promise.all(
      RESOURCES.map(([, path]) => apiRequest(path, { error }).then((body) => body.total ?? (Array.isArray(body) ? body.length : 0))),
    );
    replace(
      document.getElementById("counts"),
      RESOURCES.map(([name, , href], i) =>
        h("a", { class: "card", href }, h("div", { class: "count" }, String(counts[i])), h("div", {}, name)),
      ),
    );
    const [experiments, mixtures] = await Promise.all([
      apiRequest("/api/v1/experiments?per_page=5", { error }),
      apiRequest("/api/v1/mixtures?per_page=5", { error }),
    ]);
    document.getElementById("recent-empty").hidden = experiments.items.length > 0;
    replace(
      document.getElementById("recent-experiments"),
      experiments.items.map((e) =>
        h("li", {}, h("a", { href: `/experiments/${e.id}` }, e.title), ` · ${e.verification_status} · `, timeEl(e.created_at)),
      ),
    );
    replace(
      document.getElementById("recent-mixtures"),
      mixtures.items.map((m) => h("li", {}, h("a", { href: `/mixtures/${m.id}` }, m.name), ` · v${m.version}`)),
    );
  } finally {
    loading.hidden = true;
  }
}

main().catch((exc) => reportUnexpected(exc));
