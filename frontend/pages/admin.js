// Administration: load any dataset (dry run first, every row error in a table), KPI weights and
// thresholds, perspective weights and scorecard settings, users, and the audit trail.
import { api, ApiError } from "../api.js";
import { fmt, t } from "../i18n.js";
import { emptyBox, errorBox, h, loading, notice, section, table } from "../ui.js";

export const key = "admin";
// PRODUCT.md §1, in the order a first load goes
const DATASETS = ["regions", "districts", "sellers", "leaders", "accounts", "products", "seasonality", "sales",
  "activities", "targets", "kpi_values", "budgets"];
const ROLES = ["seller", "leader", "finance", "admin"];
// Action families of the audit trail (GET /audit?action=kpi matches kpi.create and kpi.update)
const AUDIT_KINDS = ["import", "kpi", "perspective", "settings", "user", "token"];
const AUDIT_LIMIT = 50;

function uploadSection(onLoaded) {
  const dataset = h("select", { name: "dataset", id: "dataset" }, DATASETS.map((d) => h("option", { value: d }, d)));
  const file = h("input", { type: "file", name: "file", id: "upload-file", accept: ".csv,.xlsx,text/csv" });
  const result = h("div", { id: "upload-result", "aria-live": "polite" });
  const buttons = [];
  async function send(dryRun) {
    if (!file.files.length) { result.replaceChildren(errorBox({ message: t("admin.pickFile") })); return; }
    const form = new FormData();
    form.append("file", file.files[0]);
    buttons.forEach((b) => { b.disabled = true; });
    result.replaceChildren(loading());
    try {
      const r = await api(`/imports/${dataset.value}?dry_run=${dryRun}`, { method: "POST", form });
      result.replaceChildren(notice(t(dryRun ? "admin.dryOk" : "admin.ok", r)));
      if (!dryRun && onLoaded) onLoaded();
    } catch (err) {
      if (err instanceof ApiError && err.status === 422 && Array.isArray(err.body?.errors)) {
        const rows = err.body.errors.map((e) => h("tr", {}, h("td", { class: "num" }, e.row ?? "–"), h("td", {}, e.column ?? "–"),
          h("td", {}, e.value ?? ""), h("td", {}, e.message)));
        result.replaceChildren(
          h("p", { class: "error", role: "alert" }, t("admin.rejected", { count: err.body.error_count ?? rows.length })),
          table([t("admin.row"), t("admin.column"), t("admin.value"), t("admin.message")], rows));
      } else {
        result.replaceChildren(errorBox(err));
      }
    } finally {
      buttons.forEach((b) => { b.disabled = false; });
    }
  }
  buttons.push(h("button", { type: "button", class: "secondary", id: "dry-run", onclick: () => send(true) }, t("admin.dryRun")));
  buttons.push(h("button", { type: "button", id: "load", onclick: () => send(false) }, t("admin.load")));
  return section(t("admin.upload"),
    h("div", { class: "controls" }, h("label", {}, t("admin.dataset"), dataset), h("label", {}, t("admin.file"), file)),
    h("div", { class: "buttons" }, buttons), result);
}

function numberInput(name, value, { step = "0.01", min = "0", max } = {}) {
  return h("input", { type: "number", name, value: String(value), step, min, max, class: "short" });
}

async function kpiSection() {
  const body = h("div", {}, loading());
  const out = section(t("admin.kpis"), body);
  try {
    const [kpis, perspectives, settings] = await Promise.all([api("/kpis"), api("/perspectives"), api("/settings/scorecard")]);
    const order = new Map(perspectives.map((p, i) => [p.key, i]));
    const byName = new Map(perspectives.map((p) => [p.key, p.name]));
    kpis.sort((a, b) => (order.get(a.perspective) ?? 99) - (order.get(b.perspective) ?? 99));
    const rows = kpis.map((k) => {
      const weight = numberInput("weight", k.weight, { max: "1000" });
      const green = numberInput("green", k.green_threshold, { max: "10" });
      const amber = numberInput("amber", k.amber_threshold, { max: "10" });
      const active = h("input", { type: "checkbox", name: "active", checked: k.active });
      const msg = h("span", { class: "inline-msg", role: "status" });
      const save = h("button", { type: "button", class: "secondary", onclick: async () => {
        msg.textContent = "";
        try {
          await api(`/kpis/${k.code}`, { method: "PATCH", json: { weight: Number(weight.value), green_threshold: Number(green.value),
            amber_threshold: Number(amber.value), active: active.checked } });
          msg.textContent = t("admin.saved");
        } catch (err) { msg.textContent = err.message; msg.className = "inline-msg error"; }
      } }, t("admin.save"));
      return h("tr", { dataset: { kpi: k.code } }, h("th", { scope: "row" }, k.name), h("td", {}, byName.get(k.perspective) ?? k.perspective),
        h("td", {}, weight), h("td", {}, green), h("td", {}, amber), h("td", {}, active), h("td", {}, save, msg));
    });
    const prow = perspectives.map((p) => {
      const weight = numberInput("weight", p.weight, { max: "1000" });
      const msg = h("span", { class: "inline-msg", role: "status" });
      return h("tr", {}, h("th", { scope: "row" }, p.name), h("td", {}, weight), h("td", {}, h("button", { type: "button", class: "secondary",
        onclick: async () => {
          try { await api(`/perspectives/${p.key}`, { method: "PATCH", json: { weight: Number(weight.value) } }); msg.textContent = t("admin.saved"); }
          catch (err) { msg.textContent = err.message; }
        } }, t("admin.save")), msg));
    });
    const cap = numberInput("score_cap", settings.score_cap, { min: "1", max: "10" });
    const fiscal = numberInput("fiscal", settings.fiscal_year_start_month, { step: "1", min: "1", max: "12" });
    const smsg = h("span", { class: "inline-msg", role: "status" });
    const saveSettings = h("button", { type: "button", class: "secondary", onclick: async () => {
      try {
        await api("/settings/scorecard", { method: "PATCH", json: { score_cap: Number(cap.value), fiscal_year_start_month: Number(fiscal.value) } });
        smsg.textContent = t("admin.saved");
      } catch (err) { smsg.textContent = err.message; }
    } }, t("admin.save"));
    body.replaceChildren(
      table([t("kpi"), t("perspective"), t("admin.weight"), t("admin.green"), t("admin.amber"), t("admin.active"), ""], rows),
      h("h3", {}, t("admin.perspectives")), table([t("perspective"), t("admin.weight"), ""], prow),
      h("h3", {}, t("admin.settings")),
      h("div", { class: "controls" }, h("label", {}, t("admin.cap"), cap), h("label", {}, t("admin.fiscal"), fiscal), saveSettings, smsg));
  } catch (err) {
    body.replaceChildren(errorBox(err));
  }
  return out;
}

async function usersSection() {
  const list = h("div", {}, loading());
  const email = h("input", { type: "email", name: "email", required: true, autocomplete: "off" });
  const password = h("input", { type: "password", name: "password", required: true, minlength: "8", autocomplete: "new-password" });
  const role = h("select", { name: "role" }, ROLES.map((r) => h("option", { value: r }, t(`role.${r}`))));
  const msg = h("div", { "aria-live": "polite" });
  async function refresh() {
    try {
      const users = await api("/users");
      list.replaceChildren(users.length ? table([t("admin.email"), t("admin.role")],
        users.map((u) => h("tr", {}, h("td", {}, u.email), h("td", {}, t(`role.${u.role}`))))) : emptyBox("–"));
    } catch (err) { list.replaceChildren(errorBox(err)); }
  }
  const form = h("form", { class: "stack", id: "user-form" },
    h("label", {}, t("admin.email"), email), h("label", {}, t("admin.password"), password), h("label", {}, t("admin.role"), role),
    h("button", { type: "submit" }, t("admin.createUser")), msg);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const u = await api("/users", { method: "POST", json: { email: email.value, password: password.value, role: role.value } });
      msg.replaceChildren(notice(t("admin.userCreated", { email: u.email })));
      form.reset();
      await refresh();
    } catch (err) { msg.replaceChildren(errorBox(err)); }
  });
  await refresh();
  return section(t("admin.users"), h("div", { class: "grid two" }, form, list));
}

const auditValue = (v) => (v === null || v === undefined ? "–" : typeof v === "object" ? JSON.stringify(v) : String(v));

// What an event changed, in one line: an import's file and counts, else "field: before → after" per field.
function auditDetails(e) {
  if (e.action === "import") {
    return t("admin.auditImport", { file: e.file_name || "–", size: fmt.number(e.file_size), sha: (e.file_sha256 || "").slice(0, 12),
      rows: e.rows, inserted: e.inserted, updated: e.updated, unchanged: e.unchanged });
  }
  const before = e.before && typeof e.before === "object" && !Array.isArray(e.before) ? e.before : {};
  const after = e.after && typeof e.after === "object" && !Array.isArray(e.after) ? e.after : {};
  const fields = [...new Set([...Object.keys(before), ...Object.keys(after)])];
  return fields.map((f) => (f in before ? `${f}: ${auditValue(before[f])} → ${auditValue(after[f])}` : `${f}: ${auditValue(after[f])}`)).join("; ");
}

function auditSection() {
  const kind = h("select", { name: "audit-action", id: "audit-action" }, h("option", { value: "" }, t("admin.auditAll")),
    AUDIT_KINDS.map((k) => h("option", { value: k }, t(`audit.${k}`))));
  const list = h("div", { id: "audit-list", "aria-live": "polite" }, loading());
  async function refresh() {
    const q = new URLSearchParams({ limit: String(AUDIT_LIMIT) });
    if (kind.value) q.set("action", kind.value);
    try {
      const page = await api(`/audit?${q}`);
      const rows = page.items.map((e) => h("tr", {}, h("td", {}, fmt.dateTime(e.at)), h("td", {}, e.actor), h("td", {}, e.action),
        h("td", {}, e.entity), h("td", { title: e.file_sha256 || "" }, auditDetails(e))));
      list.replaceChildren(...(rows.length
        ? [table([t("admin.auditAt"), t("admin.auditActor"), t("admin.auditWhat"), t("admin.auditEntity"), t("admin.auditDetails")], rows),
          h("p", { class: "muted" }, t("admin.auditShown", { count: rows.length, total: page.total }))]
        : [emptyBox(t("admin.auditEmpty"))]));
    } catch (err) { list.replaceChildren(errorBox(err)); }
  }
  kind.addEventListener("change", refresh);
  refresh();
  return { el: section(t("admin.audit"), h("div", { class: "controls" }, h("label", {}, t("admin.auditAction"), kind)), list), refresh };
}

export async function render(el, ctx) {
  if (ctx.me.role !== "admin") { el.replaceChildren(errorBox({ message: t("error.forbidden") })); return; }
  const audit = auditSection();
  const upload = uploadSection(audit.refresh);
  el.replaceChildren(h("h1", {}, t("admin.title")), upload, loading());
  const [kpis, users] = await Promise.all([kpiSection(), usersSection()]);
  el.replaceChildren(h("h1", {}, t("admin.title")), upload, kpis, users, audit.el);
}
