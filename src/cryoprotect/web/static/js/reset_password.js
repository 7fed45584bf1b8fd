// The page of a one-time password-reset link (/reset/<token>): checks the link
// (GET /api/v1/password-reset/<token>), then sets the new password with it (POST). The link
// works once; the API answers 410 for a used, replaced or expired one, shown as the error.
import { apiRequest, onSubmit, reportUnexpected, showFieldErrors } from "./api.js";
import { $ } from "./dom.js";
import { formatTimestamp } from "./format.js";

async function main() {
  const token = $("reset-page").dataset.token;
  const path = `/api/v1/password-reset/${encodeURIComponent(token)}`;
  const status = { loading: $("loading"), error: $("error") };
  const link = await apiRequest(path, status);
  const form = $("reset-form");
  $("reset-for").textContent = `For ${link.email}; this link works until ${formatTimestamp(link.expires_at, { utc: true })}.`;
  $("reset-email").value = link.email;
  form.hidden = false;
  onSubmit(form, async () => {
    const password = form.elements.password.value;
    if (password !== form.elements.confirm.value) {
      showFieldErrors(form, { confirm: "The two passwords differ." });
      return;
    }
    await apiRequest(path, { method: "POST", json: { password }, form, ...status });
    form.hidden = true;
    $("done").hidden = false;
    $("done").focus?.();
  });
}

main().catch((exc) => reportUnexpected(exc));
