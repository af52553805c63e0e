// Sign in, then land on the page for the role.
import { ApiError, login } from "../api.js";
import { t } from "../i18n.js";
import { h } from "../ui.js";

export const key = "login";

export async function render(el, ctx) {
  const email = h("input", { name: "username", type: "email", autocomplete: "username", required: true });
  const password = h("input", { name: "password", type: "password", autocomplete: "current-password", required: true });
  const error = h("p", { id: "login-error", class: "error", role: "alert", hidden: true });
  const button = h("button", { type: "submit" }, t("login.submit"));
  const form = h("form", { id: "login-form", class: "login" },
    h("label", {}, t("login.email"), email),
    h("label", {}, t("login.password"), password),
    button, error);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    button.disabled = true;
    try {
      await login(email.value, password.value);
      const user = await ctx.signedIn();
      ctx.afterLogin(user);
    } catch (err) {
      error.textContent = err instanceof ApiError && err.status === 401 ? t("login.wrong") : err.message;
      error.hidden = false;
    } finally {
      button.disabled = false;
    }
  });
  el.replaceChildren(h("section", { class: "card narrow" }, h("h1", {}, t("login.title")), form));
  email.focus();
}
