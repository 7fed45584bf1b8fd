// Sign in and sign up: tokens go to localStorage, then back to where the user came from.
import { apiRequest, reportUnexpected, setTokens } from "./api.js";
import { formValues } from "./dom.js";

function nextUrl() {
  const next = new URLSearchParams(window.location.search).get("next");
  return next && next.startsWith("/") && !next.startsWith("//") ? next : "/";
}

async function signIn(form, email, password) {
  const tokens = await apiRequest("/api/v1/auth/login", {
    method: "POST",
    json: { email, password },
    form,
    error: document.getElementById("error"),
    loading: document.getElementById("loading"),
  });
  setTokens(tokens);
  window.location.assign(nextUrl());
}

function wire(form, handler) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      await handler(formValues(form));
    } catch (exc) {
      reportUnexpected(exc); // API errors are already next to their field
    } finally {
      button.disabled = false;
    }
  });
}

const signinForm = document.getElementById("signin-form");
if (signinForm) wire(signinForm, (v) => signIn(signinForm, v.email || "", v.password || ""));

const signupForm = document.getElementById("signup-form");
if (signupForm) {
  wire(signupForm, async (v) => {
    const requested = await apiRequest("/api/v1/auth/register", {
      method: "POST",
      json: { email: v.email || "", password: v.password || "", display_name: v.display_name || null },
      form: signupForm,
      error: document.getElementById("error"),
      loading: document.getElementById("loading"),
    });
    try {
      await signIn(signupForm, v.email, v.password);
    } catch (exc) {
      // The address already had an account with another password: say what to do.
      const error = document.getElementById("error");
      error.textContent = `${requested.message} (${exc.message})`;
      error.hidden = false;
      throw exc;
    }
  });
}
