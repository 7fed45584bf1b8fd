// The shared layout on every page: sign-in state, team switcher, sign out, admin link, and the
// collapsible navigation on phones (site.css shows the Menu button below 700 px).
import { apiRequest, clearTokens, currentTeam, currentUser, reportUnexpected, setCurrentTeam } from "./api.js";
import { h, replace } from "./dom.js";

async function renderUser() {
  const slot = document.getElementById("user-area");
  const teamSlot = document.getElementById("team-switcher");
  if (!slot) return;
  let user = null;
  try {
    user = await currentUser();
  } catch (exc) {
    replace(slot, h("span", { class: "nav-error", role: "status" }, `Account unavailable: ${exc.message}`));
    return;
  }
  document.body.dataset.signedIn = user ? "true" : "false";
  if (!user) {
    replace(slot, h("a", { href: "/signin" }, "Sign in"), h("a", { href: "/signup" }, "Sign up"));
    if (teamSlot) teamSlot.hidden = true;
    return;
  }
  const signOut = h(
    "button",
    {
      type: "button",
      class: "link-button",
      id: "sign-out",
      onclick: async () => {
        const refresh = window.localStorage.getItem("cryoprotect.refresh");
        try {
          await apiRequest("/api/v1/auth/logout", { method: "POST", json: refresh ? { refresh_token: refresh } : {}, quiet: true });
        } catch {
          // the tokens are dropped locally whatever the server says
        }
        clearTokens();
        setCurrentTeam("");
        window.location.assign("/");
      },
    },
    "Sign out",
  );
  replace(slot, h("a", { href: "/profile", id: "user-name" }, user.display_name || user.email), signOut);
  const admin = document.getElementById("nav-admin");
  if (admin) admin.hidden = !user.is_admin;
  if (teamSlot) await renderTeams(teamSlot);
}

async function renderTeams(slot) {
  const select = slot.querySelector("select");
  let teams = [];
  try {
    const page = await apiRequest("/api/v1/teams?per_page=100", { quiet: true });
    teams = Array.isArray(page) ? page : page.items || [];
  } catch {
    slot.hidden = true;
    return;
  }
  const chosen = currentTeam();
  replace(
    select,
    h("option", { value: "" }, "Personal (private)"),
    teams.map((t) => h("option", { value: t.id, selected: t.id === chosen }, t.name)),
  );
  if (chosen && !teams.some((t) => t.id === chosen)) setCurrentTeam("");
  select.addEventListener("change", () => {
    setCurrentTeam(select.value);
    document.dispatchEvent(new CustomEvent("cryoprotect:team", { detail: select.value }));
  });
  slot.hidden = false;
}

/** The Menu button: collapses the navigation on narrow screens; aria-expanded says which state. */
function collapsibleNav() {
  const toggle = document.getElementById("nav-toggle");
  const nav = toggle?.closest("nav");
  if (!toggle || !nav) return;
  const set = (open) => toggle.setAttribute("aria-expanded", open ? "true" : "false");
  set(false);
  nav.dataset.collapsible = "true";
  toggle.hidden = false;
  toggle.addEventListener("click", () => set(toggle.getAttribute("aria-expanded") !== "true"));
  nav.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && toggle.getAttribute("aria-expanded") === "true" && toggle.offsetParent !== null) {
      set(false);
      toggle.focus();
    }
  });
}

collapsibleNav();
renderUser().catch((exc) => reportUnexpected(exc));
