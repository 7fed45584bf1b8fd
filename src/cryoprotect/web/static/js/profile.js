// Profile (display name) and personal API tokens: create (secret shown once), copy, revoke.
import { apiRequest, currentUser, fetchResourceFromApi, guarded, pageStatus, reportUnexpected } from "./api.js";
import { fillTable, formValues, h, revealSuccess, showSuccess } from "./dom.js";
import { timeEl } from "./precision_ui.js";

const { error, loading } = pageStatus();

async function loadTokens() {
  const tokens = await fetchResourceFromApi("/api/v1/users/me/api-tokens", { loading, error });
  fillTable(document.querySelector("#tokens-table tbody"), tokens, [
    { cell: (t) => t.name },
    { cell: (t) => h("code", {}, t.prefix || "") },
    { cell: (t) => timeEl(t.created_at) },
    { cell: (t) => (t.expires_at ? timeEl(t.expires_at) : "never") },
    { cell: (t) => (t.last_used_at ? timeEl(t.last_used_at) : "never") },
    { cell: (t) => (t.revoked_at ? ["revoked ", timeEl(t.revoked_at)] : "active") },
    {
      cell: (t) =>
        t.revoked_at
          ? ""
          : h(
              "button",
              {
                type: "button",
                class: "secondary",
                "aria-label": `Revoke token ${t.name}`,
                onclick: guarded(async () => {
                  await apiRequest(`/api/v1/users/me/api-tokens/${t.id}`, { method: "DELETE", error });
                  await loadTokens();
                }),
              },
              "Revoke",
            ),
    },
  ]);
}

async function main() {
  const user = await currentUser();
  if (!user) {
    window.location.assign("/signin?next=/profile");
    return;
  }
  document.getElementById("profile-email").textContent = user.email;
  document.getElementById("profile-admin").hidden = !user.is_admin;
  const profileForm = document.getElementById("profile-form");
  profileForm.elements.display_name.value = user.display_name || "";
  profileForm.addEventListener("submit", guarded(async (event) => {
    event.preventDefault();
    const status = document.getElementById("profile-saved");
    showSuccess(status);
    const body = { display_name: profileForm.elements.display_name.value || null };
    await apiRequest("/api/v1/users/me", { method: "PATCH", json: body, form: profileForm, error });
    showSuccess(status, "Saved.");
  }));
  const tokenForm = document.getElementById("token-form");
  tokenForm.addEventListener("submit", guarded(async (event) => {
    event.preventDefault();
    const values = formValues(tokenForm);
    const created = await apiRequest("/api/v1/users/me/api-tokens", {
      method: "POST",
      json: { name: values.name || "", expires_in_days: values.expires_in_days ?? null },
      form: tokenForm,
      error,
    });
    document.getElementById("new-token-secret").textContent = created.token;
    revealSuccess(document.getElementById("new-token"));
    tokenForm.reset();
    await loadTokens();
  }));
  document.getElementById("copy-token").addEventListener("click", async () => {
    const status = document.getElementById("copy-status");
    try {
      await navigator.clipboard.writeText(document.getElementById("new-token-secret").textContent);
      status.textContent = "Copied.";
    } catch {
      status.textContent = "Copy failed: select the token and copy it by hand.";
    }
  });
  await loadTokens();
}

main().catch((exc) => reportUnexpected(exc));
