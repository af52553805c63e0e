// Wallboards (leaders and administrators): make a display token for a unit's wall on the office TV (the
// token and the wall's address are shown once, with a copy button), list the displays, revoke one (its
// wall goes blank at its next refresh). A leader makes displays of the units they lead and those below.
import { api } from "../api.js";
import { fmt, t } from "../i18n.js";
import { emptyBox, errorBox, h, loading, section, table } from "../ui.js";

export const key = "displays";

// The units the caller may make a wall of: the company (an administrator, or a leader of it), the regions
// and the districts the caller sees (a leader's: those they lead and those below).
async function unitOptions(me) {
  const [regions, districts] = await Promise.all([api("/regions"), api("/districts")]);
  const options = [];
  if (me.role === "admin" || (me.units || []).includes("company")) options.push(["company", "-", t("level.company")]);
  for (const r of regions) options.push(["region", r.code, `${t("level.region")} ${r.name} (${r.code})`]);
  for (const d of districts) options.push(["district", d.code, `${t("level.district")} ${d.name} (${d.code})`]);
  return options;
}

export async function render(el, ctx) {
  if (!["leader", "admin"].includes(ctx.me.role)) {
    el.replaceChildren(h("h1", {}, t("displays.title")), errorBox({ message: t("error.forbidden") }));
    return;
  }
  el.replaceChildren(loading());
  let options;
  try { options = await unitOptions(ctx.me); } catch (err) { el.replaceChildren(errorBox(err)); return; }

  const list = h("div", {}, loading());
  const created = h("div", { class: "created", "aria-live": "polite" });
  const name = h("input", { name: "name", id: "display-name", required: true, maxlength: "100", placeholder: t("displays.namePlaceholder") });
  const unit = h("select", { name: "unit", id: "display-unit", required: true },
    options.map(([level, code, label]) => h("option", { value: `${level}:${code}` }, label)));
  const error = h("div");
  const form = h("form", { class: "stack", id: "display-form" },
    h("label", {}, t("displays.name"), name),
    h("label", {}, t("displays.unit"), unit),
    h("button", { type: "submit" }, t("displays.create")), error);

  async function refresh() {
    try {
      const { items } = await api("/displays");
      if (!items.length) { list.replaceChildren(emptyBox(t("displays.none"))); return; }
      list.replaceChildren(table([t("displays.name"), t("displays.unit"), t("displays.createdBy"), t("displays.createdAt"),
        t("displays.lastSeen"), t("displays.state"), ""], items.map((d) => h("tr", { dataset: { id: d.id } },
        h("th", { scope: "row" }, d.name),
        h("td", {}, d.level === "company" ? t("level.company") : `${d.unit_name} (${d.code})`),
        h("td", {}, d.created_by), h("td", {}, fmt.dateTime(d.created_at)), h("td", {}, fmt.dateTime(d.last_seen_at)),
        h("td", {}, d.revoked_at ? t("displays.revoked") : t("displays.active")),
        h("td", {}, d.revoked_at ? "" : h("button", { type: "button", class: "secondary danger", onclick: async () => {
          if (!window.confirm(t("displays.confirm", { name: d.name }))) return;
          try { await api(`/displays/${d.id}`, { method: "DELETE" }); await refresh(); } catch (err) { list.prepend(errorBox(err)); }
        } }, t("displays.revoke"))))), { label: t("displays.title") }));
    } catch (err) {
      list.replaceChildren(errorBox(err));
    }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.replaceChildren();
    const [level, ...rest] = unit.value.split(":");
    try {
      const made = await api("/displays", { method: "POST", json: { name: name.value, level, code: rest.join(":") } });
      const url = `${location.origin}${made.wall_url}`;
      const field = h("input", { readonly: true, value: url, id: "new-wall-url", class: "token", "aria-label": t("displays.url") });
      const said = h("span", { class: "inline-msg", role: "status" });
      const copy = h("button", { type: "button", class: "secondary", id: "copy-wall-url", onclick: async () => {
        try { await navigator.clipboard.writeText(url); said.textContent = t("displays.copied"); } catch {
          field.select(); said.textContent = t("displays.copyByHand");
        }
      } }, t("displays.copy"));
      created.replaceChildren(h("p", { class: "notice", role: "status" }, t("displays.created", { name: made.name })),
        field, h("div", { class: "buttons" }, copy,
          h("a", { href: made.wall_url, target: "_blank", rel: "noopener", id: "open-wall" }, t("displays.open")), said));
      field.select();
      form.reset();
      await refresh();
    } catch (err) {
      error.replaceChildren(errorBox(err));
    }
  });

  el.replaceChildren(h("h1", {}, t("displays.title")), h("p", {}, t("displays.intro")),
    options.length ? h("section", { class: "card form-card" }, h("h2", {}, t("displays.create")), form, created)
      : emptyBox(t("displays.noUnits")),
    section(t("displays.list"), list));
  await refresh();
}
