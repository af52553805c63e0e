// Your own login: who you are signed in as, and changing your password. The answer to a password
// change is a new token for this session (the old one stops working at once), kept like the login's.
import { api, setToken } from "../api.js";
import { t } from "../i18n.js";
import { busy, h, notice, problemBox, problemText, section } from "../ui.js";

export const key = "account";

function passwordForm(me) {
  const current = h("input", { type: "password", name: "current_password", id: "current-password", required: true,
    autocomplete: "current-password", maxlength: "200" });
  const fresh = h("input", { type: "password", name: "new_password", id: "new-password", required: true, minlength: "8",
    maxlength: "200", autocomplete: "new-password", "aria-describedby": "new-password-hint" });
  const repeat = h("input", { type: "password", name: "repeat_password", id: "repeat-password", required: true, minlength: "8",
    maxlength: "200", autocomplete: "new-password" });
  const result = h("div", { id: "password-result" });
  const button = h("button", { type: "submit" }, t("account.submit"));
  const form = h("form", { class: "stack", id: "password-form" },
    // for password managers: whose password this is
    h("input", { type: "email", name: "username", autocomplete: "username", value: me.email, readonly: true, hidden: true }),
    h("label", {}, t("account.current"), current),
    h("label", {}, t("account.new"), fresh),
    h("p", { class: "muted field-hint", id: "new-password-hint" }, t("account.hint")),
    h("label", {}, t("account.repeat"), repeat),
    button, result);
  const labels = { current_password: t("account.current"), new_password: t("account.new") };
  const fields = { current_password: current, new_password: fresh };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(button, change);
  });
  async function change() {
    result.replaceChildren();
    for (const input of [current, fresh, repeat]) input.removeAttribute("aria-invalid");
    if (fresh.value !== repeat.value) {
      repeat.setAttribute("aria-invalid", "true");
      result.replaceChildren(problemBox(t("account.mismatch")));
      repeat.focus();
      return;
    }
    try {
      const { access_token: token } = await api("/me/password", { method: "POST",
        json: { current_password: current.value, new_password: fresh.value } });
      setToken(token);
      form.reset();
      result.replaceChildren(notice(t("account.changed")));
    } catch (err) {
      for (const d of Array.isArray(err?.body?.detail) ? err.body.detail : []) {
        const input = fields[Array.isArray(d.loc) ? d.loc[d.loc.length - 1] : ""];
        if (input) input.setAttribute("aria-invalid", "true");
      }
      result.replaceChildren(problemBox(problemText(err, labels)));
    }
  }
  return form;
}

export async function render(el, ctx) {
  const { me } = ctx;
  el.replaceChildren(h("h1", {}, t("account.title")),
    h("div", { class: "grid two top" },
      section(t("account.you"), h("dl", { class: "facts" },
        h("dt", {}, t("login.email")), h("dd", { id: "account-email" }, me.email),
        h("dt", {}, t("admin.role")), h("dd", {}, t(`role.${me.role}`)))),
      section(t("account.password"), h("p", {}, t("account.intro")), passwordForm(me))));
}
