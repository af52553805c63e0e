// Steering, the pieces the team and seller pages share (PRODUCT.md §5 "Steering"): the needs-attention
// panel, a KPI table with each KPI's comments, coaching actions (list, card, form), goal conversations
// (list and form) and the meeting pack's downloads. Free text (comments, notes, titles, outcomes) only
// ever goes into text nodes through h(); nothing here builds markup from a string.
import { api, csvStyle, download } from "../api.js";
import { fmt, lang, localName, t } from "../i18n.js";
import {
  busy, emptyBox, errorBox, fill, formatDay, freshBadge, h, kpiNotLoaded, loading, notice, problemBox, problemText, statusBadge, statusOfScore,
  table,
} from "../ui.js";

export const AREAS = ["goals", "culture", "sales_meetings", "goal_conversations", "management", "sales_process", "recruiting"];
export const ARENAS = ["appraisal", "training", "practice", "problem_solving", "goals", "plan"];
const MARK = { stretch: "★", green: "✓", amber: "!", red: "✗", none: "–" };
const ATTENTION_SHOWN = 8;  // the attention items shown before "Show all"

let ids = 0;
const uid = (prefix) => `${prefix}-${++ids}`;
const pad = (n) => String(n).padStart(2, "0");
const isoDay = (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
const daysAhead = (n) => { const d = new Date(); d.setDate(d.getDate() + n); return isoDay(d); };
// "2026-10" -> "Oct 2026" (nb "okt. 2026")
const monthShort = (period) => {
  const [y, m] = period.split("-").map(Number);
  return new Intl.DateTimeFormat(lang() === "nb" ? "nb-NO" : "en-GB", { month: "short", year: "numeric" }).format(new Date(y, m - 1, 1));
};
const hidden = (text) => h("span", { class: "visually-hidden" }, text);
const canCoach = (me) => me?.role === "leader" || me?.role === "admin";
// Coaching is personal: finance reads none of it (the API answers 404), so its pages leave it out.
export const seesCoaching = (me) => me?.role !== "finance";
const unitParam = (code) => encodeURIComponent(code);

// The labels problemText() puts before a 422's messages, by the field the API names.
const LABELS = () => ({
  text: t("comment.text"), title: t("action.title"), due: t("action.due"), owner_email: t("action.ownerEmail"),
  arena: t("action.arena"), kpi: t("kpi"), outcome: t("action.outcome"), held_on: t("goal.date"), notes: t("goal.notes"),
  period: t("goal.period"), target: t("target"),
});

// A seller's e-mail for an action's owner (GET /sellers/{code}); null when it cannot be read.
const sellerEmails = new Map();
export function sellerEmail(code) {
  if (!sellerEmails.has(code)) sellerEmails.set(code, api(`/sellers/${unitParam(code)}`).then((s) => s.email || null, () => null));
  return sellerEmails.get(code);
}

// A small form in place: a button opens it (aria-expanded), Cancel closes it and gives the focus back.
function disclosure(button, form, { onOpen, onClose } = {}) {
  form.id = form.id || uid("form");
  button.setAttribute("aria-controls", form.id);
  button.setAttribute("aria-expanded", "false");
  form.hidden = true;
  const open = (yes) => {
    form.hidden = !yes;
    button.setAttribute("aria-expanded", String(yes));
    if (yes) { onOpen?.(); form.querySelector("input, select, textarea")?.focus(); } else { onClose?.(); }
  };
  button.addEventListener("click", () => open(form.hidden));
  return { open, close: () => { open(false); button.focus(); } };
}

function textArea(name, { required = true, rows = 3 } = {}) {
  return h("textarea", { name, rows: String(rows), maxlength: "5000", required });
}

// --- comments ----------------------------------------------------------------------------------

// A comment thread: each comment's text (a text node, as written), its author and when.
export function commentList(comments, { me, onRemove } = {}) {
  return h("ul", { class: "comments" }, comments.map((c) => h("li", { class: "comment", dataset: { comment: c.id } },
    h("p", { class: "comment-text" }, c.text),
    h("p", { class: "muted comment-by" }, `${c.author} · ${fmt.dateTime(c.created_at)}`,
      onRemove && (c.author === me?.email || me?.role === "admin")
        ? h("button", { type: "button", class: "link", onclick: () => onRemove(c) }, t("comment.remove"), hidden(` ${c.text.slice(0, 40)}`))
        : null))));
}

// The form for a comment on one KPI of one unit for a period: POST /comments; `onSaved(comment)`.
export function commentForm({ level, code, period, kpi, kpiLabel, onSaved, onCancel }) {
  const text = textArea("text");
  const msg = h("div", { class: "form-msg" });
  const save = h("button", { type: "submit" }, t("comment.save"));
  const cancel = h("button", { type: "button", class: "secondary", onclick: () => onCancel?.() }, t("users.cancel"));
  const form = h("form", { class: "inline-form comment-form" },
    h("label", {}, kpiLabel ? t("comment.on", { kpi: kpiLabel }) : t("comment.text"), text),
    h("div", { class: "buttons" }, save, cancel), msg);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(save, async () => {
      msg.replaceChildren();
      try {
        const made = await api("/comments", { method: "POST", json: { level, code, period, kpi, text: text.value } });
        form.reset();
        onSaved?.(made);
      } catch (err) { msg.replaceChildren(problemBox(problemText(err, LABELS()))); }
    });
  });
  return form;
}

// A KPI's comments in a table: the button for the KPI row's last cell, and the row after it holding
// the thread and the form (hidden while there is neither a comment nor an open form).
function kpiComments({ level, code, period, kpi, comments, me, colspan }) {
  const list = [...(comments || [])];
  const thread = h("div", { class: "thread" });
  const count = h("span", { class: "count" });
  const button = h("button", { type: "button", class: "secondary small comment-toggle" });
  const label = localName(kpi);
  const form = commentForm({ level, code, period, kpi: kpi.code, kpiLabel: label,
    onSaved: (made) => { list.push(made); draw(); control.close(); },
    onCancel: () => control.close() });
  const row = h("tr", { class: "thread-row", dataset: { commentsOf: kpi.code } }, h("td", { colspan: String(colspan) }, thread, form));
  const control = disclosure(button, form, { onOpen: () => { row.hidden = false; }, onClose: () => { row.hidden = !list.length; } });
  async function remove(c) {
    if (!window.confirm(t("comment.confirmRemove"))) return;
    try {
      await api(`/comments/${c.id}`, { method: "DELETE" });
      list.splice(list.indexOf(c), 1);
      draw();
      button.focus();
    } catch (err) { thread.append(problemBox(problemText(err))); }
  }
  function draw() {
    count.textContent = list.length ? ` (${list.length})` : "";
    button.replaceChildren(t("comment.button"), count, hidden(` ${t("comment.onKpi", { kpi: label })}`));
    thread.replaceChildren(list.length ? commentList(list, { me, onRemove: remove }) : "");
    row.hidden = !list.length && form.hidden;
  }
  draw();
  return { button, row };
}

// A unit's KPI table, grouped by perspective: KPI, status, attainment, actual, target, the stretch (a
// column only when some KPI has one: the figure and how much of it the actual reached), the previous
// month's attainment and status, and each KPI's comments (the scorecard answer's `comments`).
// `collapsible`: each perspective's rows open and close (see perspectiveTiles); `open` the keys shown.
// `kpiHref(kpi)`: the KPI's name is a link (the seller page's trend), else plain text.
export function kpiTable(card, { level, code, me, kpiHref, collapsible = false, open = new Set(), focusKpi } = {}) {
  const stretched = card.perspectives.some((p) => p.kpis.some((k) => typeof k.stretch === "number"));
  const columns = [t("kpi"), t("status"), t("attainment"), t("actual"), t("target"), ...(stretched ? [t("stretch")] : []),
    t("kpi.previous", { month: fmt.month(card.previous_period) }), t("comment.column")];
  const groups = new Map();
  const bodies = card.perspectives.map((p) => {
    const rows = [];
    for (const k of p.kpis) {
      const notLoaded = kpiNotLoaded(k.code, card);
      const prev = k.previous || {};
      const was = MARK[prev.status] ? prev.status : "none";
      const comments = kpiComments({ level, code, period: card.period, kpi: k, comments: k.comments, me, colspan: columns.length });
      rows.push(h("tr", { dataset: { kpi: k.code }, class: k.code === focusKpi ? "focus" : null },
        h("th", { scope: "row" }, kpiHref ? h("a", { href: kpiHref(k) }, localName(k)) : localName(k)),
        h("td", {}, freshBadge(k.status, notLoaded && k.target !== null)),
        h("td", { class: "num" }, fmt.attainment(k.attainment, k)),
        h("td", { class: "num" }, fmt.kpi(k.actual, k.unit)),
        h("td", { class: "num" }, fmt.kpi(k.target, k.unit)),
        stretched ? stretchCell(k) : null,
        // the previous month's status as a mark and a word, not a second badge (a row has one status)
        h("td", { class: "num prev" }, fmt.attainment(prev.attainment, k), " ",
          h("span", { class: `prev-status prev-${was}` }, `${MARK[was]} ${t(`status.${was}`)}`)),
        h("td", {}, comments.button)));
      rows.push(comments.row);
    }
    const red = p.kpis.filter((k) => k.status === "red").length;
    const summary = h("span", { class: "muted group-summary" }, t("kpi.count", { count: p.kpis.length, red }));
    const head = h("tbody", { class: "group-head" }, h("tr", { class: "group" },
      h("th", { colspan: String(columns.length), scope: "rowgroup" },
        h("span", { class: "group-label" }, `${localName(p)} · ${fmt.statusPct(p.score)} `, summary))));
    const body = h("tbody", { id: uid(`kpis-${p.key}`), dataset: { perspective: p.key }, hidden: collapsible && !open.has(p.key) }, rows);
    groups.set(p.key, { body });
    return [head, body];
  });
  const el = table(columns, bodies.flat(), { label: t("kpis"), className: "kpi-table" });
  return { el, groups };
}

// A KPI's stretch: the figure, and under it the share of it the actual reached (on the side of 100 % it
// is on: 99.96 % is never "100 %"); "–" without a stretch.
function stretchCell(k) {
  if (typeof k.stretch !== "number") return h("td", { class: "num stretch" }, "–");
  return h("td", { class: "num stretch" }, fmt.kpi(k.stretch, k.unit),
    typeof k.stretch_attainment === "number"
      ? h("div", { class: "muted stretch-share" }, t("stretch.attainment", { value: fmt.statusPct(k.stretch_attainment, [1.0]) }))
      : null);
}

// The download of one table the page shows as CSV (GET /scorecards/{level}/{code}/export?table=kpis|ranking|
// heatmap), with a status line as on the budget page; in bokmål the file has bokmål headers and words, `;`,
// decimal `,` and a byte-order mark, as Norwegian Excel reads it.
export function tableDownload({ level, code, period, range, table: which }) {
  const status = h("div", { class: "download-status", "aria-live": "polite" });
  const button = h("button", { type: "button", class: "secondary small", dataset: { download: which } }, t(`download.${which}`));
  button.addEventListener("click", () => busy(button, async () => {
    status.replaceChildren();
    const q = new URLSearchParams({ period, range, table: which, format: "csv", lang: lang() });
    try {
      const name = await download(`/scorecards/${level}/${unitParam(code)}/export?${q}${csvStyle()}`, `scorecard-${which}.csv`);
      status.replaceChildren(notice(t("budget.downloaded", { name })));
    } catch (err) { status.replaceChildren(errorBox(err)); }
  }));
  return h("div", { class: "table-download" }, h("div", { class: "downloads" }, button), status);
}

// A tile per perspective that opens (and closes) its KPI rows in `kpis` (a kpiTable's groups).
export function perspectiveTiles(card, groups, { waits }) {
  return h("div", { class: "tiles" }, card.perspectives.map((p) => {
    const group = groups.get(p.key);
    const button = h("button", { type: "button", class: "tile tile-button", dataset: { perspective: p.key },
      "aria-controls": group.body.id, "aria-expanded": String(!group.body.hidden) },
    h("span", { class: "tile-name" }, localName(p)), h("span", { class: "tile-value" }, fmt.statusPct(p.score)),
    freshBadge(statusOfScore(p.score), waits(p.kpis)));
    button.addEventListener("click", () => {
      const open = group.body.hidden;
      group.body.hidden = !open;
      button.setAttribute("aria-expanded", String(open));
      if (open) group.body.scrollIntoView({ block: "nearest" });
    });
    return button;
  }));
}

// --- needs attention ---------------------------------------------------------------------------

// The panel for a unit (GET /attention): every red KPI below it, most costly first, each with its
// area and why, its comments and open actions, and buttons to comment or open an action.
// `hrefFor(item, kpi?)`: the link to the item's unit (with kpi=CODE for the KPI's link).
// `kpis`: the registry's KPIs by code (their thresholds, for the percent beside a status).
export function attentionPanel({ level, code, period, range, me, hrefFor, kpis, onAction }) {
  const body = h("div", { class: "attention-body" }, loading());
  const el = h("section", { class: "card attention", id: "attention", "aria-labelledby": "attention-title" },
    h("h2", { id: "attention-title" }, t("attention.title")), body);
  const ready = (async () => {
    let answer;
    try {
      answer = await api(`/attention?${new URLSearchParams({ period, range, level, code })}`);
    } catch (err) {
      body.replaceChildren(err.status === 404 ? emptyBox(t("attention.none", { month: fmt.month(period) })) : errorBox(err));
      return;
    }
    const rules = new Map((answer.rules || []).map((r) => [r.rule, r]));
    if (!answer.items.length) { body.replaceChildren(emptyBox(t("attention.none", { month: fmt.month(period) }))); return; }
    const items = answer.items.map((item) => attentionItem(item, {
      rule: rules.get(item.rule), period, me, hrefFor, kpi: kpis.get(item.kpi), onAction }));
    const list = h("ol", { class: "attention-list", id: uid("attention-list") }, items);
    // the most costly first; the rest behind a button, so the page still reaches the unit's own card
    let more = null;
    if (items.length > ATTENTION_SHOWN) {
      more = h("button", { type: "button", class: "secondary", "aria-controls": list.id, "aria-expanded": "false" });
      const show = (all) => {
        items.forEach((li, i) => { li.hidden = !all && i >= ATTENTION_SHOWN; });
        more.setAttribute("aria-expanded", String(all));
        more.textContent = all ? t("attention.fewer", { count: ATTENTION_SHOWN }) : t("attention.all", { count: items.length });
      };
      more.addEventListener("click", () => show(more.getAttribute("aria-expanded") !== "true"));
      show(false);
    }
    fill(body, h("p", { class: "muted" }, t(answer.closed ? "attention.introClosed" : "attention.intro",
      { count: answer.items.length, month: fmt.month(period) })), list, more ? h("div", { class: "buttons" }, more) : null);
  })();
  return { el, ready };
}

function attentionItem(item, { rule, period, me, hrefFor, kpi, onAction }) {
  const li = h("li", { class: "attention-item", dataset: { unit: `${item.level}:${item.code}`, kpi: item.kpi } });
  const comments = [...(item.comments || [])];
  const slot = h("div", { class: "item-form" });
  const msg = h("div", { class: "item-msg", role: "status" });
  const kpiName = localName({ name: item.kpi_name, name_nb: item.kpi_name_nb });
  const unitName = `${item.name} (${item.code})`;
  const commentButton = h("button", { type: "button", class: "secondary small" }, t("comment.button"), hidden(` ${t("attention.onItem", { kpi: kpiName, unit: unitName })}`));
  const actionButton = canCoach(me)
    ? h("button", { type: "button", class: "secondary small" }, t("action.open"), hidden(` ${t("attention.onItem", { kpi: kpiName, unit: unitName })}`))
    : null;
  const counts = h("p", { class: "item-counts" });
  const thread = h("div", { class: "thread" });
  function drawCounts() {
    fill(counts,
      seesCoaching(me) ? h("span", { class: "open-actions" }, t(item.open_actions === 1 ? "attention.action1" : "attention.actions", { count: item.open_actions })) : null,
      h("span", { class: "comment-count" }, t(comments.length === 1 ? "attention.comment1" : "attention.comments", { count: comments.length })),
      item.needs_comment && !comments.length ? h("span", { class: "flag needs-comment" }, `! ${t("attention.needsComment")}`) : null);
    thread.replaceChildren(comments.length ? commentList(comments) : "");
  }
  const form = (which) => {
    // one form at a time in the item; the button that opened it says so (aria-expanded)
    const buttons = [commentButton, actionButton].filter(Boolean);
    const opener = which === "comment" ? commentButton : actionButton;
    const close = () => { slot.replaceChildren(); buttons.forEach((b) => b.setAttribute("aria-expanded", "false")); opener.focus(); };
    if (opener.getAttribute("aria-expanded") === "true") { close(); return; }
    msg.replaceChildren();
    const made = which === "comment"
      ? commentForm({ level: item.level, code: item.code, period, kpi: item.kpi, kpiLabel: `${kpiName}, ${unitName}`,
        onCancel: close,
        onSaved: (c) => { comments.push(c); drawCounts(); close(); msg.replaceChildren(t("comment.saved")); } })
      : actionForm({ level: item.level, code: item.code, period, kpi: item.kpi, kpiLabel: kpiName, me,
        owner: item.level === "seller" ? sellerEmail(item.code) : null,
        onCancel: close,
        onSaved: (a) => { item.open_actions += 1; drawCounts(); close(); msg.replaceChildren(t("action.opened", { title: a.title })); onAction?.(a); } });
    slot.replaceChildren(made);
    buttons.forEach((b) => b.setAttribute("aria-expanded", String(b === opener)));
    made.querySelector("input, select, textarea")?.focus();
  };
  commentButton.setAttribute("aria-expanded", "false");
  commentButton.addEventListener("click", () => form("comment"));
  if (actionButton) { actionButton.setAttribute("aria-expanded", "false"); actionButton.addEventListener("click", () => form("action")); }
  drawCounts();
  const why = rule ? (lang() === "nb" ? rule.text_nb : rule.text) : item.rule;
  li.append(
    h("div", { class: "item-head" },
      h("a", { class: "item-unit", href: hrefFor(item) }, unitName), " · ",
      h("a", { class: "item-kpi", href: hrefFor(item, item.kpi) }, kpiName), " ",
      statusBadge(item.status)),
    h("dl", { class: "item-figures" },
      h("div", {}, h("dt", {}, t("actual")), h("dd", {}, fmt.kpi(item.actual, item.unit))),
      h("div", {}, h("dt", {}, t("target")), h("dd", {}, fmt.kpi(item.target, item.unit))),
      h("div", {}, h("dt", {}, t("attainment")), h("dd", {}, fmt.attainment(item.attainment, kpi))),
      h("div", {}, h("dt", {}, t("attention.monthsRed")), h("dd", { class: "months-red" },
        t(item.months_red === 1 ? "attention.month1" : "attention.months", { count: item.months_red })))),
    h("p", { class: "item-area" }, h("strong", {}, `${t("attention.area")}: `), h("span", { class: "area" }, t(`area.${item.area}`))),
    h("p", { class: "item-why" }, h("strong", {}, `${t("attention.why")}: `), h("span", { class: "why" }, why)),
    counts, thread,
    h("div", { class: "buttons" }, commentButton, actionButton), slot, msg);
  return li;
}

// --- coaching actions --------------------------------------------------------------------------

// The form to open an action on a unit's KPI: arena, title, due (two weeks ahead), owner e-mail (the
// seller's for a seller, else the signed-in user's; `owner` may be a promise of it). With `kpis`
// (a list of KPIs) instead of `kpi` it asks for the KPI too. POST /actions; `onSaved(action)`.
export function actionForm({ level, code, period, kpi, kpis, kpiLabel, me, owner, onSaved, onCancel }) {
  const arena = h("select", { name: "arena", required: true }, ARENAS.map((a) => h("option", { value: a }, t(`arena.${a}`))));
  const kpiSelect = kpis ? h("select", { name: "kpi", required: true }, kpis.map((k) => h("option", { value: k.code }, localName(k)))) : null;
  const title = h("input", { type: "text", name: "title", required: true, maxlength: "200" });
  const due = h("input", { type: "date", name: "due", required: true, value: daysAhead(14), min: isoDay(new Date()) });
  const email = h("input", { type: "email", name: "owner_email", required: true, value: me?.email || "", autocomplete: "off" });
  Promise.resolve(typeof owner === "function" ? owner() : owner).then((found) => { if (found && email.value === (me?.email || "")) email.value = found; });
  const msg = h("div", { class: "form-msg" });
  const save = h("button", { type: "submit" }, t("action.save"));
  const form = h("form", { class: "inline-form action-form" },
    h("p", { class: "form-title" }, kpiLabel ? t("action.on", { kpi: kpiLabel }) : t("action.open")),
    kpiSelect ? h("label", {}, t("kpi"), kpiSelect) : null,
    h("label", {}, t("action.arena"), arena),
    h("label", {}, t("action.title"), title),
    h("div", { class: "form-row" }, h("label", {}, t("action.due"), due), h("label", {}, t("action.ownerEmail"), email)),
    h("div", { class: "buttons" }, save, h("button", { type: "button", class: "secondary", onclick: () => onCancel?.() }, t("users.cancel"))),
    msg);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(save, async () => {
      msg.replaceChildren();
      const body = { level, code, kpi: kpiSelect ? kpiSelect.value : kpi, arena: arena.value, title: title.value,
        due: due.value, owner_email: email.value.trim(), period };
      try { onSaved?.(await api("/actions", { method: "POST", json: body })); } catch (err) { msg.replaceChildren(problemBox(problemText(err, LABELS()))); }
    });
  });
  return form;
}

// The baseline and every month since: "Baseline Oct 2026 62 % → Nov 2026 70 % ✗ …"
function effectRow(action, kpi) {
  const b = action.baseline || {};
  return h("ol", { class: "effect", "aria-label": t("action.effect") },
    h("li", { class: "baseline" }, h("span", { class: "effect-month" }, `${t("action.baseline")} ${b.period ? monthShort(b.period) : "–"}`),
      h("span", { class: "effect-value" }, fmt.attainment(b.attainment, kpi))),
    (action.follow_up || []).map((f) => {
      const st = MARK[f.status] ? f.status : "none";
      return h("li", { class: `follow effect-${st}` }, h("span", { class: "effect-month" }, monthShort(f.period)),
        h("span", { class: "effect-value" }, `${fmt.attainment(f.attainment, kpi)} ${MARK[st]}`), hidden(` ${t(`status.${st}`)}`));
    }));
}

// One action: title, arena, unit, KPI, owner, due (overdue marked), status; its baseline and follow-up;
// its notes with a form to add one (`canNote`); for a leader or admin Done/Dropped with an outcome.
export function actionCard(initial, { me, kpis, unitHref, canNote = true, onChanged }) {
  let action = initial;
  const li = h("li", { class: "action-card", dataset: { action: String(initial.id) } });
  const msg = h("div", { class: "item-msg", role: "status" });
  const manage = canCoach(me);
  function draw() {
    const kpi = kpis?.get(action.kpi);
    const kpiName = localName({ name: action.kpi_name, name_nb: action.kpi_name_nb });
    const unit = `${action.name} (${action.code})`;
    const parts = [
      h("h3", { class: "action-title" }, action.title),
      h("p", { class: "action-meta" },
        h("span", { class: "arena" }, t(`arena.${action.arena}`)), " · ",
        unitHref ? h("a", { href: unitHref(action) }, unit) : unit, " · ", h("span", { class: "action-kpi" }, kpiName)),
      h("p", { class: "action-meta" },
        `${t("action.owner")}: ${action.owner_email} · ${t("action.due")}: ${formatDay(action.due)}`,
        action.overdue ? h("span", { class: "flag overdue" }, `! ${t("action.overdue")}`) : null,
        action.status !== "open" ? h("span", { class: `flag closed closed-${action.status}` }, t(`action.status.${action.status}`)) : null),
      action.outcome ? h("p", { class: "action-outcome" }, h("strong", {}, `${t("action.outcome")}: `), action.outcome) : null,
      effectRow(action, kpi),
    ];
    if (action.notes?.length) {
      parts.push(h("ul", { class: "comments notes" }, action.notes.map((n) => h("li", { class: "comment" },
        h("p", { class: "comment-text" }, n.text), h("p", { class: "muted comment-by" }, `${n.author} · ${fmt.dateTime(n.created_at)}`)))));
    }
    const buttons = [];
    const forms = [];
    if (canNote) {
      const text = textArea("note", { rows: 2 });
      const add = h("button", { type: "submit" }, t("note.save"));
      const noteMsg = h("div", { class: "form-msg" });
      const form = h("form", { class: "inline-form note-form" }, h("label", {}, t("note.text", { title: action.title }), text),
        h("div", { class: "buttons" }, add), noteMsg);
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        busy(add, async () => {
          noteMsg.replaceChildren();
          try {
            const note = await api(`/actions/${action.id}/notes`, { method: "POST", json: { text: text.value } });
            action = { ...action, notes: [...(action.notes || []), note] };
            draw();
            msg.replaceChildren(t("note.saved"));
            li.querySelector(".note-toggle")?.focus();
          } catch (err) { noteMsg.replaceChildren(problemBox(problemText(err, LABELS()))); }
        });
      });
      const toggle = h("button", { type: "button", class: "secondary small note-toggle" }, t("note.add"), hidden(` ${action.title}`));
      disclosure(toggle, form);
      buttons.push(toggle);
      forms.push(form);
    }
    if (manage && action.status === "open") {
      const outcome = h("input", { type: "text", name: "outcome", maxlength: "5000" });
      const closeMsg = h("div", { class: "form-msg" });
      const mark = (status) => {
        const b = h("button", { type: "button", class: status === "done" ? "" : "secondary", dataset: { status } },
          t(`action.mark.${status}`), hidden(` ${action.title}`));
        b.addEventListener("click", () => busy(b, async () => {
          closeMsg.replaceChildren();
          try {
            action = await api(`/actions/${action.id}`, { method: "PATCH", json: { status, outcome: outcome.value } });
            draw();
            msg.replaceChildren(t(`action.marked.${status}`, { title: action.title }));
            li.querySelector(".note-toggle")?.focus();
            onChanged?.(action);
          } catch (err) { closeMsg.replaceChildren(problemBox(problemText(err, LABELS()))); }
        }));
        return b;
      };
      // the outcome and the two ways to close the action, in view: the meeting decides there and then
      parts.push(h("div", { class: "close-form", role: "group", "aria-label": t("action.close", { title: action.title }) },
        h("label", {}, t("action.outcome"), outcome), h("div", { class: "buttons" }, mark("done"), mark("dropped")), closeMsg));
    }
    if (buttons.length) parts.push(h("div", { class: "buttons" }, buttons), ...forms);
    parts.push(msg);
    li.classList.toggle("is-overdue", Boolean(action.overdue));
    li.classList.toggle("is-closed", action.status !== "open");
    li.replaceChildren(...parts.filter(Boolean));
  }
  draw();
  return li;
}

// A list of actions (GET /actions?…): `query` the parameters; a 404 is nothing to show. Overdue first,
// then by due date. `refresh()` asks again. With `newAction` ({level, code, kpis, owner}) a leader
// or admin may open an action from here too.
export function actionsSection({ title, query, me, kpis, unitHref, canNote = true, emptyText, newAction, id = "actions" }) {
  const body = h("div", { class: "actions-body" }, loading());
  const head = h("h2", { id: `${id}-title` }, title);
  const el = h("section", { class: "card actions", id, "aria-labelledby": `${id}-title` }, head);
  const msg = h("div", { role: "status", class: "item-msg" });
  if (newAction && canCoach(me)) {
    const slot = h("div");
    const opener = h("button", { type: "button", class: "secondary", "aria-expanded": "false" }, t("action.open"));
    const close = () => { slot.replaceChildren(); opener.setAttribute("aria-expanded", "false"); opener.focus(); };
    opener.addEventListener("click", () => {
      if (opener.getAttribute("aria-expanded") === "true") { close(); return; }
      const form = actionForm({ ...newAction, me, onCancel: close,
        onSaved: (a) => { close(); msg.replaceChildren(t("action.opened", { title: a.title })); refresh(); } });
      slot.replaceChildren(form);
      opener.setAttribute("aria-expanded", "true");
      form.querySelector("select, input")?.focus();
    });
    el.append(h("div", { class: "buttons" }, opener), slot);
  }
  el.append(msg, body);
  const order = (a, b) => (a.status !== "open") - (b.status !== "open") || b.overdue - a.overdue || a.due.localeCompare(b.due) || a.id - b.id;
  async function refresh() {
    let answer;
    try {
      answer = await api(`/actions?${new URLSearchParams(query)}`);
    } catch (err) {
      body.replaceChildren(err.status === 404 ? emptyBox(emptyText) : errorBox(err));
      return;
    }
    const items = [...answer.items].sort(order);
    const overdue = items.filter((a) => a.overdue).length;
    head.replaceChildren(title, items.length ? h("span", { class: "muted count" }, ` (${items.length}${overdue ? `, ${t("action.overdueCount", { count: overdue })}` : ""})`) : "");
    body.replaceChildren(items.length
      // an action closed here stays in the list, marked done or dropped, until the list is asked again
      ? h("ul", { class: "action-list" }, items.map((a) => actionCard(a, { me, kpis, unitHref, canNote })))
      : emptyBox(emptyText));
  }
  const ready = refresh();
  return { el, ready, refresh };
}

// --- goal conversations ------------------------------------------------------------------------

// A seller's goal conversations (GET /goal-conversations?seller_code=): date, KPIs and targets agreed,
// notes; for a leader or admin a form to record one (POST /goal-conversations).
export function goalConversations({ sellerCode, me, kpis, period }) {
  const byCode = new Map(kpis.map((k) => [k.code, k]));
  const list = h("div", { class: "goal-list" }, loading());
  const msg = h("div", { role: "status", class: "item-msg" });
  const el = h("section", { class: "card goals", id: "goal-conversations", "aria-labelledby": "goal-title" },
    h("h2", { id: "goal-title" }, t("goal.title")));
  let items = [];
  function draw() {
    list.replaceChildren(items.length ? h("ul", { class: "goal-items" }, items.map((g) => h("li", { class: "goal", dataset: { goal: String(g.id) } },
      h("h3", {}, formatDay(g.held_on)),
      g.kpis.length ? table([t("kpi"), t("period"), t("target")], g.kpis.map((a) => {
        const k = byCode.get(a.kpi);
        return h("tr", {}, h("th", { scope: "row" }, k ? localName(k) : a.kpi), h("td", {}, a.period),
          h("td", { class: "num" }, fmt.kpi(a.target, k?.unit)));
      }), { label: t("goal.title") }) : null,
      g.notes ? h("p", { class: "goal-notes" }, g.notes) : null,
      h("p", { class: "muted" }, t("goal.recordedBy", { who: g.recorded_by }))))) : emptyBox(t("goal.none")));
  }
  if (canCoach(me)) el.append(goalForm({ sellerCode, kpis, period, onSaved: (g) => { items = [g, ...items]; draw(); msg.replaceChildren(t("goal.saved")); } }));
  el.append(msg, list);
  const ready = (async () => {
    try {
      items = (await api(`/goal-conversations?${new URLSearchParams({ seller_code: sellerCode })}`)).items;
      draw();
    } catch (err) {
      if (err.status === 404) { items = []; draw(); } else list.replaceChildren(errorBox(err));
    }
  })();
  return { el, ready };
}

function goalForm({ sellerCode, kpis, period, onSaved }) {
  const day = h("input", { type: "date", name: "held_on", required: true, value: isoDay(new Date()) });
  const notes = textArea("notes", { required: false });
  const rows = h("div", { class: "goal-rows" });
  const msg = h("div", { class: "form-msg" });
  let n = 0;
  function addRow() {
    n += 1;
    const kpi = h("select", { name: "kpi" }, kpis.map((k) => h("option", { value: k.code }, localName(k))));
    const when = h("input", { type: "text", name: "period", required: true, value: period.slice(0, 4), pattern: "\\d{4}(-(0[1-9]|1[0-2]))?",
      inputmode: "numeric", class: "short", placeholder: "YYYY-MM" });
    const target = h("input", { type: "number", name: "target", step: "any", class: "short" });
    const row = h("fieldset", { class: "goal-row" }, h("legend", {}, t("goal.kpiRow", { n })),
      h("label", {}, t("kpi"), kpi), h("label", {}, t("goal.period"), when), h("label", {}, t("target"), target));
    const remove = h("button", { type: "button", class: "secondary small" }, t("goal.removeRow"), hidden(` ${n}`));
    remove.addEventListener("click", () => { row.remove(); addButton.focus(); });
    row.append(remove);
    rows.append(row);
    return kpi;
  }
  const addButton = h("button", { type: "button", class: "secondary", onclick: () => addRow().focus() }, t("goal.addRow"));
  const save = h("button", { type: "submit" }, t("goal.save"));
  const form = h("form", { class: "inline-form goal-form" },
    h("label", {}, t("goal.date"), day), h("label", {}, t("goal.notes"), notes), rows,
    h("div", { class: "buttons" }, addButton, save), msg);
  const opener = h("button", { type: "button", class: "secondary" }, t("goal.record"));
  const control = disclosure(opener, form);
  addRow();
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(save, async () => {
      msg.replaceChildren();
      const agreed = [...rows.querySelectorAll(".goal-row")].map((r) => {
        const target = r.querySelector("[name=target]").value;
        return { kpi: r.querySelector("[name=kpi]").value, period: r.querySelector("[name=period]").value.trim(),
          target: target === "" ? null : Number(target) };
      });
      try {
        const made = await api("/goal-conversations", { method: "POST",
          json: { seller_code: sellerCode, held_on: day.value, kpis: agreed, notes: notes.value } });
        form.reset();
        rows.replaceChildren();
        n = 0;
        addRow();
        control.close();
        onSaved(made);
      } catch (err) { msg.replaceChildren(problemBox(problemText(err, LABELS()))); }
    });
  });
  return h("div", { class: "goal-record" }, h("div", { class: "buttons" }, opener), form);
}

// --- the meeting pack --------------------------------------------------------------------------

// "Meeting pack: PDF XLSX" for a unit's period, in the page's language.
export function meetingPack({ level, code, period, range }) {
  const msg = h("span", { class: "inline-msg", role: "status" });
  const button = (format) => {
    const b = h("button", { type: "button", class: "secondary small", dataset: { format } }, format.toUpperCase(), hidden(` ${t("pack.title")}`));
    b.addEventListener("click", () => busy(b, async () => {
      msg.textContent = "";
      msg.className = "inline-msg";
      const q = new URLSearchParams({ level, code, period, range, format, lang: lang() });
      try {
        const name = await download(`/meetings/pack?${q}`, `meeting-pack-${level}-${code}-${period}.${format}`);
        msg.textContent = t("budget.downloaded", { name });
      } catch (err) { msg.textContent = err.message; msg.className = "inline-msg error"; }
    }));
    return b;
  };
  return h("div", { class: "downloads meeting-pack", role: "group", "aria-label": t("pack.title") },
    h("span", {}, `${t("pack.title")}:`), button("pdf"), button("xlsx"), msg);
}
