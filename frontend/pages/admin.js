// Administration: load any dataset (dry run first, every row error in a table), KPI weights and
// thresholds, perspective weights and scorecard settings, users, and the audit trail.
import { api, ApiError } from "../api.js";
import { fmt, localName, t } from "../i18n.js";
import { busy, emptyBox, errorBox, h, loading, notice, problemBox, problemText, section, table } from "../ui.js";

export const key = "admin";
// PRODUCT.md §1, in the order a first load goes
const DATASETS = ["regions", "districts", "sellers", "leaders", "accounts", "products", "seasonality", "sales",
  "activities", "targets", "kpi_values", "budgets"];
const ROLES = ["seller", "leader", "finance", "admin"];
// Action families of the audit trail (GET /audit?action=kpi matches kpi.create and kpi.update)
const AUDIT_KINDS = ["import", "kpi", "perspective", "settings", "user", "token"];
const AUDIT_LIMIT = 50;

function uploadSection(onLoaded) {
  const dataset = h("select", { name: "dataset", id: "dataset" }, DATASETS.map((d) => h("option", { value: d }, `${t(`dataset.${d}`)} (${d})`)));
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
        result.replaceChildren(...rejection(err.body));
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

const PROBLEMS_PER_PAGE = 50;
const SUMMARY_SHOWN = 30;

// A rejected file: the problems counted by kind (column and message, with their first rows), then
// every problem a page at a time, so a file of thousands of bad rows renders 50 table rows, not all.
function rejection(body) {
  const errors = body.errors;
  const total = body.error_count ?? errors.length;
  const out = [h("p", { class: "error", role: "alert" }, t("admin.rejected", { count: fmt.number(total) }))];
  // rows that would change locked months (issue 19): which months, and where they are unlocked
  const locked = Array.isArray(body.locked_months) ? body.locked_months : [];
  if (locked.length) {
    const months = locked.map((m) => `${fmt.month(m)} (${m})`);
    out.push(h("p", { class: "lock-badge", id: "import-locked" },
      locked.length === 1 ? t("admin.lockedMonth", { month: months[0] })
        : t("admin.lockedMonths", { months: months.join(", ") }), " ",
      h("a", { href: `#/close?period=${locked[0]}` }, t("admin.openClose"))));
  }
  const summary = Array.isArray(body.summary) ? body.summary : [];
  if (summary.some((g) => g.count > 1)) {
    const kinds = summary.slice(0, SUMMARY_SHOWN).map((g) => h("tr", {}, h("td", { class: "num" }, fmt.number(g.count)),
      h("td", {}, g.column ?? "–"), h("td", { class: "wrap wide" }, g.message),
      h("td", { class: "wrap wide" }, g.rows.join(", ") + (g.count > g.rows.length ? ", …" : ""))));
    out.push(h("h3", {}, t("admin.summary")),
      h("div", { id: "import-summary" }, table([t("admin.count"), t("admin.column"), t("admin.message"), t("admin.firstRows")], kinds,
        { label: t("admin.summary"), sticky: 0 })));
    if (summary.length > SUMMARY_SHOWN) out.push(h("p", { class: "muted" }, t("admin.moreKinds", { count: fmt.number(summary.length - SUMMARY_SHOWN) })));
    out.push(h("h3", {}, t("admin.allProblems")));
  }
  const tbody = h("tbody");
  const position = h("span", { class: "muted", role: "status", id: "problems-position" });
  const prev = h("button", { type: "button", class: "secondary", id: "problems-prev" }, t("admin.previous"));
  const next = h("button", { type: "button", class: "secondary", id: "problems-next" }, t("admin.next"));
  let page = 0;
  const pages = Math.max(1, Math.ceil(errors.length / PROBLEMS_PER_PAGE));
  function show() {
    const first = page * PROBLEMS_PER_PAGE;
    const shown = errors.slice(first, first + PROBLEMS_PER_PAGE);
    tbody.replaceChildren(...shown.map((e) => h("tr", {}, h("td", { class: "num" }, e.row ?? "–"), h("td", {}, e.column ?? "–"),
      h("td", { class: "wrap" }, e.value ?? ""), h("td", { class: "wrap wide" }, e.message))));
    position.textContent = t("admin.problemsShown", { from: fmt.number(first + 1), to: fmt.number(first + shown.length), total: fmt.number(errors.length) });
    // aria-disabled, not disabled: a disabled button would drop the focus at the first or last page
    prev.setAttribute("aria-disabled", String(page === 0));
    next.setAttribute("aria-disabled", String(page >= pages - 1));
  }
  prev.addEventListener("click", () => { if (page > 0) { page -= 1; show(); } });
  next.addEventListener("click", () => { if (page < pages - 1) { page += 1; show(); } });
  show();
  out.push(table([t("admin.row"), t("admin.column"), t("admin.value"), t("admin.message")], [tbody],
    { label: t("admin.allProblems"), id: "import-problems", sticky: 0 }));
  if (errors.length > PROBLEMS_PER_PAGE) out.push(h("div", { class: "buttons", id: "problems-pager" }, prev, position, next));
  if (errors.length < total) out.push(h("p", { class: "muted" }, t("admin.problemsListed", { listed: fmt.number(errors.length), total: fmt.number(total) })));
  return out;
}

// `label`: the input's name for a screen reader, where a table's column and row say what it is (axe: label)
function numberInput(name, value, { step = "0.01", min = "0", max, label } = {}) {
  return h("input", { type: "number", name, value: String(value), step, min, max, class: "short", "aria-label": label });
}

async function kpiSection() {
  const body = h("div", {}, loading());
  const out = section(t("admin.kpis"), body);
  try {
    const [kpis, perspectives, settings] = await Promise.all([api("/kpis"), api("/perspectives"), api("/settings/scorecard")]);
    const order = new Map(perspectives.map((p, i) => [p.key, i]));
    const byName = new Map(perspectives.map((p) => [p.key, localName(p)]));
    kpis.sort((a, b) => (order.get(a.perspective) ?? 99) - (order.get(b.perspective) ?? 99));
    const rows = kpis.map((k) => {
      const of = (key) => `${t(key)}: ${localName(k)}`;
      const weight = numberInput("weight", k.weight, { max: "1000", label: of("admin.weight") });
      const green = numberInput("green", k.green_threshold, { max: "10", label: of("admin.green") });
      const amber = numberInput("amber", k.amber_threshold, { max: "10", label: of("admin.amber") });
      const active = h("input", { type: "checkbox", name: "active", checked: k.active, "aria-label": of("admin.active") });
      // reaching the KPI's month target is an achievement on the sales floor; revenue always is
      const always = k.code === "revenue";
      const celebrated = h("input", { type: "checkbox", name: "celebrated", checked: always || Boolean(k.celebrated), disabled: always,
        title: always ? t("admin.celebratedAlways") : t("admin.celebratedHint"), "aria-label": of("admin.celebrated") });
      const msg = h("span", { class: "inline-msg", role: "status" });
      const save = h("button", { type: "button", class: "secondary", onclick: async () => {
        msg.textContent = "";
        try {
          await api(`/kpis/${k.code}`, { method: "PATCH", json: { weight: Number(weight.value), green_threshold: Number(green.value),
            amber_threshold: Number(amber.value), active: active.checked, ...(always ? {} : { celebrated: celebrated.checked }) } });
          msg.textContent = t("admin.saved");
        } catch (err) { msg.textContent = err.message; msg.className = "inline-msg error"; }
      } }, t("admin.save"));
      return h("tr", { dataset: { kpi: k.code } }, h("th", { scope: "row" }, localName(k)), h("td", {}, byName.get(k.perspective) ?? k.perspective),
        h("td", {}, weight), h("td", {}, green), h("td", {}, amber), h("td", {}, active),
        h("td", {}, celebrated, always ? h("small", { class: "muted" }, " ", t("admin.celebratedAlways")) : null), h("td", {}, save, msg));
    });
    const prow = perspectives.map((p) => {
      const weight = numberInput("weight", p.weight, { max: "1000", label: `${t("admin.weight")}: ${localName(p)}` });
      const msg = h("span", { class: "inline-msg", role: "status" });
      return h("tr", {}, h("th", { scope: "row" }, localName(p)), h("td", {}, weight), h("td", {}, h("button", { type: "button", class: "secondary",
        onclick: async () => {
          try { await api(`/perspectives/${p.key}`, { method: "PATCH", json: { weight: Number(weight.value) } }); msg.textContent = t("admin.saved"); }
          catch (err) { msg.textContent = err.message; }
        } }, t("admin.save")), msg));
    });
    const cap = numberInput("score_cap", settings.score_cap, { min: "1", max: "10" });
    const fiscal = numberInput("fiscal", settings.fiscal_year_start_month, { step: "1", min: "1", max: "12" });
    // shown once the API has the setting (GET /settings/scorecard answers it)
    const redComment = "require_comment_on_red" in settings
      ? h("input", { type: "checkbox", name: "require_comment_on_red", checked: Boolean(settings.require_comment_on_red) }) : null;
    // the wallboard shows sellers' names only when the company says so (otherwise their ranking positions)
    const wallNames = "wall_show_names" in settings
      ? h("input", { type: "checkbox", name: "wall_show_names", checked: Boolean(settings.wall_show_names) }) : null;
    const smsg = h("span", { class: "inline-msg", role: "status" });
    const saveSettings = h("button", { type: "button", class: "secondary", onclick: async () => {
      try {
        await api("/settings/scorecard", { method: "PATCH", json: { score_cap: Number(cap.value), fiscal_year_start_month: Number(fiscal.value),
          ...(redComment ? { require_comment_on_red: redComment.checked } : {}),
          ...(wallNames ? { wall_show_names: wallNames.checked } : {}) } });
        smsg.textContent = t("admin.saved");
      } catch (err) { smsg.textContent = err.message; }
    } }, t("admin.save"));
    body.replaceChildren(
      table([t("kpi"), t("perspective"), t("admin.weight"), t("admin.green"), t("admin.amber"), t("admin.active"), t("admin.celebrated"), ""], rows,
        { label: t("admin.kpis") }),
      h("p", { class: "muted" }, t("admin.celebratedHint")),
      h("h3", {}, t("admin.perspectives")), table([t("perspective"), t("admin.weight"), ""], prow, { label: t("admin.perspectives") }),
      h("h3", {}, t("admin.settings")),
      h("div", { class: "controls" }, h("label", {}, t("admin.cap"), cap), h("label", {}, t("admin.fiscal"), fiscal),
        redComment ? h("label", { class: "inline" }, redComment, t("admin.requireComment")) : null,
        wallNames ? h("label", { class: "inline" }, wallNames, t("admin.wallShowNames")) : null, saveSettings, smsg));
  } catch (err) {
    body.replaceChildren(errorBox(err));
  }
  return out;
}

// One login's row: role (a select and its button), status, switch off/on (confirmed first: it signs
// the person out everywhere), a new password. The admin's own row offers none of these (the API
// refuses switching off or demoting yourself, and your own password is changed on the Account page).
// The row updates in place, so focus stays on the control used; `onChanged` refreshes the audit trail.
function userRow(initial, me, onChanged) {
  let user = initial;
  const own = user.email === me.email;
  const msg = h("div", { class: "row-msg" });
  const say = (text) => msg.replaceChildren(h("span", { class: "inline-msg", role: "status" }, text));
  const fail = (err, labels) => msg.replaceChildren(problemBox(problemText(err, labels)));
  const labels = { role: t("admin.role"), active: t("users.status"), password: t("users.newPassword") };
  const forEmail = () => h("span", { class: "visually-hidden" }, ` ${user.email}`);
  const status = h("span");
  const showStatus = () => {
    status.className = `status ${user.is_active ? "status-green" : "status-none"}`;
    status.textContent = `${user.is_active ? "✓" : "✗"} ${t(user.is_active ? "users.active" : "users.off")}`;
  };
  showStatus();
  if (own) {
    return h("tr", { dataset: { user: user.id, email: user.email } },
      h("th", { scope: "row" }, user.email, h("span", { class: "muted" }, ` (${t("users.you")})`)),
      h("td", {}, t(`role.${user.role}`)), h("td", {}, status),
      h("td", { class: "actions wide" }, h("span", { class: "muted" }, t("users.ownNote"), " ",
        h("a", { href: "#/account" }, t("users.ownLink")))));
  }
  const role = h("select", { name: "role", "aria-label": t("users.roleOf", { email: user.email }) },
    ROLES.map((r) => h("option", { value: r, selected: r === user.role }, t(`role.${r}`))));
  const saveRole = h("button", { type: "button", class: "secondary", onclick: () => busy(saveRole, async () => {
    msg.replaceChildren();
    if (role.value === user.role) return;
    try {
      user = await api(`/users/${user.id}`, { method: "PATCH", json: { role: role.value } });
      say(t("users.roleSaved", { email: user.email, role: t(`role.${user.role}`) }));
      onChanged();
    } catch (err) {
      role.value = user.role;  // the select shows the role the login has
      fail(err, labels);
    }
  }) }, t("users.saveRole"), forEmail());
  const toggle = h("button", { type: "button", class: "secondary" });
  const showToggle = () => {
    toggle.classList.toggle("danger", user.is_active);
    toggle.replaceChildren(t(user.is_active ? "users.switchOff" : "users.switchOn"), forEmail());
  };
  showToggle();
  toggle.addEventListener("click", () => busy(toggle, async () => {
    msg.replaceChildren();
    const active = !user.is_active;
    if (!active && !window.confirm(t("users.confirmOff", { email: user.email }))) {
      say(t("users.keptOn", { email: user.email }));
      return;
    }
    try {
      user = await api(`/users/${user.id}`, { method: "PATCH", json: { active } });
      showStatus();
      showToggle();
      say(t(user.is_active ? "users.switchedOn" : "users.switchedOff", { email: user.email }));
      onChanged();
    } catch (err) { fail(err, labels); }
  }));
  const formId = `password-form-${user.id}`;
  const password = h("input", { type: "password", name: "password", required: true, minlength: "8", maxlength: "200",
    autocomplete: "new-password" });
  const openPassword = h("button", { type: "button", class: "secondary", "aria-expanded": "false", "aria-controls": formId },
    t("users.setPassword"), forEmail());
  const cancel = h("button", { type: "button", class: "secondary" }, t("users.cancel"));
  const savePassword = h("button", { type: "submit" }, t("users.savePassword"));
  const form = h("form", { class: "row-form", id: formId, hidden: true },
    h("label", {}, t("users.newPasswordFor", { email: user.email }), password),
    h("div", { class: "buttons" }, savePassword, cancel));
  const showForm = (open) => {
    form.hidden = !open;
    openPassword.setAttribute("aria-expanded", String(open));
    if (open) password.focus(); else { form.reset(); }
  };
  openPassword.addEventListener("click", () => { msg.replaceChildren(); showForm(form.hidden); });
  cancel.addEventListener("click", () => { showForm(false); openPassword.focus(); });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(savePassword, () => setPassword());
  });
  async function setPassword() {
    msg.replaceChildren();
    try {
      await api(`/users/${user.id}/password`, { method: "PUT", json: { password: password.value } });
      showForm(false);
      openPassword.focus();
      say(t("users.passwordSet", { email: user.email }));
      onChanged();
    } catch (err) { fail(err, labels); }
  }
  return h("tr", { dataset: { user: user.id, email: user.email } },
    h("th", { scope: "row" }, user.email),
    h("td", { class: "wide" }, h("div", { class: "row-controls role-controls" }, role, saveRole)),
    h("td", {}, status),
    h("td", { class: "actions wide" }, h("div", { class: "row-controls" }, toggle, openPassword), form, msg));
}

async function usersSection(me, onChanged) {
  const list = h("div", { id: "user-list" }, loading());
  const email = h("input", { type: "email", name: "email", required: true, autocomplete: "off" });
  const password = h("input", { type: "password", name: "password", required: true, minlength: "8", autocomplete: "new-password" });
  const role = h("select", { name: "role" }, ROLES.map((r) => h("option", { value: r }, t(`role.${r}`))));
  const msg = h("div", { "aria-live": "polite" });
  async function refresh() {
    try {
      const users = await api("/users");
      list.replaceChildren(users.length
        ? table([t("admin.email"), t("admin.role"), t("users.status"), t("users.actions")], users.map((u) => userRow(u, me, onChanged)),
          { label: t("admin.users"), className: "users" })
        : emptyBox("–"));
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
      onChanged();
    } catch (err) {
      msg.replaceChildren(problemBox(problemText(err, { email: t("admin.email"), password: t("admin.password"), role: t("admin.role") })));
    }
  });
  await refresh();
  return section(t("admin.users"), list, h("h3", {}, t("admin.createUser")), h("div", { class: "narrow-form" }, form));
}

const auditValue = (v) => (v === null || v === undefined ? "–" : typeof v === "object" ? JSON.stringify(v) : String(v));

const roleName = (r) => (ROLES.includes(r) ? t(`role.${r}`) : auditValue(r));

// A login's changes in words ("Role: seller → finance; switched off; 1 API token revoked"), or null.
function userAuditDetails(action, before, after) {
  if (action === "user.password") return t(after.changed_by === "the user" ? "audit.passwordByUser" : "audit.passwordByAdmin");
  if (action === "user.create" && "role" in after) return t("audit.userCreated", { role: roleName(after.role) });
  if (action !== "user.update") return null;
  const parts = [];
  if ("role" in after && before.role !== after.role) parts.push(t("audit.roleChanged", { from: roleName(before.role), to: roleName(after.role) }));
  if ("is_active" in after && before.is_active !== after.is_active) parts.push(t(after.is_active ? "audit.switchedOn" : "audit.switchedOff"));
  if (after.api_tokens_revoked) parts.push(t(after.api_tokens_revoked === 1 ? "audit.tokenRevoked" : "audit.tokensRevoked", { count: after.api_tokens_revoked }));
  return parts.length ? parts.join("; ") : null;
}

// An import's sample of rows, folded: a changed row as its key and "field: before → after", an
// inserted row (its "before" is null) as "new:" and its fields. Rows name things by their codes.
function importSample(e) {
  const before = Array.isArray(e.before) ? e.before : [];
  const after = Array.isArray(e.after) ? e.after : [];
  if (!after.length) return null;
  const lines = after.map((row, i) => {
    const old = before[i];
    const fields = Object.keys(row || {});
    if (!old) {
      return h("li", {}, `${t("audit.inserted")} `, fields.filter((f) => row[f] !== null).map((f) => `${f}: ${auditValue(row[f])}`).join(", "));
    }
    const key = fields.filter((f) => old[f] === row[f]);
    const changed = fields.filter((f) => old[f] !== row[f]);
    return h("li", {}, `${key.map((f) => auditValue(row[f])).join(" · ")}: `,
      changed.map((f) => `${f}: ${auditValue(old[f])} → ${auditValue(row[f])}`).join("; "));
  });
  return h("details", { class: "audit-sample" }, h("summary", {}, t("audit.sample", { count: after.length })), h("ul", {}, lines));
}

// What an event changed, in one line: an import's file and counts, else "field: before → after" per field.
function auditDetails(e) {
  if (e.action === "import") {
    return [t("admin.auditImport", { file: e.file_name || "–", size: fmt.number(e.file_size), sha: (e.file_sha256 || "").slice(0, 12),
      rows: e.rows, inserted: e.inserted, updated: e.updated, unchanged: e.unchanged }), importSample(e)];
  }
  const before = e.before && typeof e.before === "object" && !Array.isArray(e.before) ? e.before : {};
  const after = e.after && typeof e.after === "object" && !Array.isArray(e.after) ? e.after : {};
  const users = userAuditDetails(e.action, before, after);
  if (users) return users;
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
        h("td", {}, e.entity), h("td", { class: "wrap wide", title: e.file_sha256 || "" }, auditDetails(e))));
      list.replaceChildren(...(rows.length
        ? [table([t("admin.auditAt"), t("admin.auditActor"), t("admin.auditWhat"), t("admin.auditEntity"), t("admin.auditDetails")], rows,
          { label: t("admin.audit"), sticky: 0 }),
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
  const [kpis, users] = await Promise.all([kpiSection(), usersSection(ctx.me, audit.refresh)]);
  el.replaceChildren(h("h1", {}, t("admin.title")), upload, kpis, users, audit.el);
}
