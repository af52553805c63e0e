// API tokens for finance's systems: create (the secret is shown once), list, revoke.
import { api } from "../api.js";
import { fmt, t } from "../i18n.js";
import { emptyBox, errorBox, h, loading, section, table } from "../ui.js";

export const key = "tokens";
const SCOPES = ["scorecards:read", "budgets:read"];

export async function render(el, ctx) {
  const list = h("div", {}, loading());
  const created = h("div", { class: "created", "aria-live": "polite" });
  const name = h("input", { name: "name", required: true, maxlength: "100" });
  const expires = h("input", { name: "expires", type: "number", min: "1", max: "3650" });
  const boxes = SCOPES.map((s) => h("input", { type: "checkbox", name: "scope", value: s, checked: ctx.me.role !== "seller" || s === "scorecards:read" }));
  const error = h("div");
  const form = h("form", { class: "stack", id: "token-form" },
    h("label", {}, t("tokens.name"), name),
    h("fieldset", {}, h("legend", {}, t("tokens.scopes")), SCOPES.map((s, i) => h("label", { class: "inline" }, boxes[i], s))),
    h("label", {}, t("tokens.expires"), expires),
    h("button", { type: "submit" }, t("tokens.create")), error);

  async function refresh() {
    try {
      const tokens = await api("/tokens");
      if (!tokens.length) { list.replaceChildren(emptyBox(t("tokens.none"))); return; }
      list.replaceChildren(table([t("tokens.name"), t("tokens.prefix"), t("tokens.scopes"), t("tokens.createdAt"),
        t("tokens.lastUsed"), t("tokens.expiresAt"), t("tokens.state"), ""], tokens.map((tok) => h("tr", { dataset: { id: tok.id } },
        h("th", { scope: "row" }, tok.name), h("td", {}, h("code", {}, tok.prefix)), h("td", {}, tok.scopes.join(", ")),
        h("td", {}, fmt.dateTime(tok.created_at)), h("td", {}, fmt.dateTime(tok.last_used_at)), h("td", {}, fmt.dateTime(tok.expires_at)),
        h("td", {}, tok.revoked ? t("tokens.revoked") : t("tokens.active")),
        h("td", {}, tok.revoked ? "" : h("button", { type: "button", class: "secondary danger", onclick: async () => {
          if (!window.confirm(t("tokens.confirm", { name: tok.name }))) return;
          try { await api(`/tokens/${tok.id}`, { method: "DELETE" }); await refresh(); } catch (err) { list.prepend(errorBox(err)); }
        } }, t("tokens.revoke"))))), { label: t("tokens.title") }));
    } catch (err) {
      list.replaceChildren(errorBox(err));
    }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.replaceChildren();
    const scopes = boxes.filter((b) => b.checked).map((b) => b.value);
    try {
      const body = { name: name.value, scopes };
      if (expires.value) body.expires_in_days = Number(expires.value);
      const tok = await api("/tokens", { method: "POST", json: body });
      const field = h("input", { readonly: true, value: tok.token, id: "new-token", class: "token", "aria-label": "token" });
      created.replaceChildren(h("p", { class: "notice", role: "status" }, t("tokens.created")), field);
      field.select();
      form.reset();
      boxes.forEach((b) => { b.checked = true; });
      await refresh();
    } catch (err) {
      error.replaceChildren(errorBox(err));
    }
  });

  el.replaceChildren(h("h1", {}, t("tokens.title")), h("p", {}, t("tokens.intro")),
    // the list under the form, across the page: its eight columns fit a laptop's width
    h("section", { class: "card form-card" }, h("h2", {}, t("tokens.create")), form, created), section(t("tokens.title"), list));
  await refresh();
}
