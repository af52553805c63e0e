// The close (PRODUCT.md §5, "The close"): the months and their locks (finance and administrators lock
// and unlock), a month's snapshot (taken when, by whom, its totals, its downloads) and what changed since
// the lock, and reports by e-mail (subscribe, pause, resume, remove, the send log). Leaders see the same
// page with what they may do: the months' marks, the snapshots of their units, and their own reports.
// Also the pieces the seller, team and budget pages share: the lock badge beside their period, the locked
// months marked in the period picker, and the budget page's "Restated since the lock".
import { api, csvStyle, download } from "../api.js";
import { CURRENCY, fmt, lang, localName, t } from "../i18n.js";
import { busy, emptyBox, errorBox, fill, h, loading, notice, PERIOD_RE, problemBox, RANGES, section, table } from "../ui.js";

export const key = "close";
const closes = (me) => me?.role === "finance" || me?.role === "admin";
const subscribes = (me) => ["finance", "leader", "admin"].includes(me?.role);

let ids = 0;
const uid = (prefix) => `${prefix}-${++ids}`;
const hidden = (text) => h("span", { class: "visually-hidden" }, text);
const isNum = (v) => typeof v === "number" && Number.isFinite(v);
const locale = () => (lang() === "nb" ? "nb-NO" : "en-GB");

// the day of a moment, in the browser's time: "2 Dec" (with the year when it is not this year's)
function dayOf(iso) {
  if (!iso) return "–";
  const at = new Date(iso);
  const year = at.getFullYear() !== new Date().getFullYear() ? { year: "numeric" } : {};
  return new Intl.DateTimeFormat(locale(), { day: "numeric", month: "short", ...year }).format(at);
}

// --- locked months, for every page ---------------------------------------------------------------

// GET /periods (anyone signed in): the months with data and the locked ones, newest first; null when it
// cannot be read, and the page still works, only unmarked.
export async function loadPeriods() {
  try { return await api("/periods"); } catch { return null; }
}

// a padlock drawn by style.css (no emoji font needed); the words beside it say what it means
const lockIcon = () => h("span", { class: "lock-icon", "aria-hidden": "true" });

const lockOf = (periods, period) => periods?.items?.find((p) => p.period === period && p.locked) || null;

// "June 2026 is locked — closed by okonomi@… on 2 Dec", beside a page's period; null when it is open.
export function lockBadge(period, periods) {
  const lock = lockOf(periods, period);
  if (!lock) return null;
  return h("p", { class: "lock-badge", id: "lock-badge", dataset: { period } },
    lockIcon(), t("lock.badge", { month: fmt.month(period), who: lock.locked_by || "–", day: dayOf(lock.locked_at) }), " ",
    h("a", { href: `#/close?period=${period}` }, t("lock.details")));
}

// The budget page's range from..to: the one locked month as lockBadge says it, several in one line.
export function rangeLockBadge(from, to, periods) {
  const locked = (periods?.items || []).filter((p) => p.locked && p.period >= from && p.period <= to)
    .sort((a, b) => a.period.localeCompare(b.period));
  if (!locked.length) return null;
  if (locked.length === 1) return lockBadge(locked[0].period, periods);
  const months = locked.map((p) => t("lock.badgeItem", { month: fmt.month(p.period), who: p.locked_by || "–", day: dayOf(p.locked_at) }));
  return h("p", { class: "lock-badge", id: "lock-badge" }, lockIcon(),
    t("lock.badgeRange", { months: months.join("; ") }), " ", h("a", { href: "#/close" }, t("lock.details")));
}

// The month pickers in `container` offer the months with data, the locked ones marked ("June 2026 — locked"),
// when some month is locked: a <datalist> of those months for each <input type=month>.
export function markPicker(container, periods) {
  const items = periods?.items || [];
  if (!container || !items.some((p) => p.locked)) return container;
  const id = uid("months");
  container.append(h("datalist", { id, class: "locked-months" }, items.map((p) => h("option", {
    value: p.period, label: p.locked ? t("lock.option", { month: fmt.month(p.period) }) : fmt.month(p.period),
    dataset: p.locked ? { locked: "true" } : {},
  }))));
  for (const input of container.querySelectorAll("input[type=month]")) input.setAttribute("list", id);
  return container;
}

// --- what changed since a snapshot -------------------------------------------------------------

const MONEY = new Set(["budget_amount", "actual_amount", "variance_amount", "price_effect", "volume_effect", "mix_effect",
  "budget_margin", "actual_margin", "margin_variance"]);
const QUANTITY = new Set(["budget_quantity", "actual_quantity"]);
const money = (v, digits) => (digits ? new Intl.NumberFormat(locale(), { style: "currency", currency: CURRENCY,
  minimumFractionDigits: digits, maximumFractionDigits: digits }).format(v) : fmt.money(v));
const signed = (text, v) => (v > 0 ? `+${text}` : text);

// How a figure is written, by its kind, with `digits` decimals: the first of `steps` is the pages' own
// (whole kroner, a percent with one decimal), the later ones only where that would show a change as none.
const KINDS = {
  money: { steps: [0, 2], write: money },
  percent: { steps: [1, 2, 3, 4], write: (v, d) => fmt.pct(v, d) },
  count: { steps: [0, 2], write: (v, d) => fmt.number(v, d) },
  number: { steps: [2, 4], write: (v, d) => fmt.number(v, d) },
};

// Before, after and the change (null when it has none: a word, a status) as the page writes them, to the
// fewest decimals that show the two differ (a correction of øre shows its øre; a hair of attainment its digits).
function writePair(kind, before, after) {
  const { steps, write } = KINDS[kind];
  const shown = (v, d) => (isNum(v) ? write(v, d) : "–");
  const change = isNum(before) && isNum(after) ? after - before : null;
  let digits = steps[0];
  for (const d of steps) {
    digits = d;
    if (shown(before, d) !== shown(after, d)) break;
  }
  return [shown(before, digits), shown(after, digits), change === null ? "–" : signed(write(change, digits), change)];
}

const varianceKind = (field) => (MONEY.has(field) ? "money" : QUANTITY.has(field) ? "count" : field === "variance_pct" ? "percent" : "number");
const yesNo = (v) => (v === true ? t("budget.yes") : v === false ? t("budget.no") : "–");

// A variance figure's cells: before, after and the change. Money in whole kroner, as everywhere on the
// pages, unless rounding would hide the change (a correction of øre): then in øre.
function varianceCells(field, before, after) {
  const [b, a, change] = field === "favorable" ? [yesNo(before), yesNo(after), "–"] : writePair(varianceKind(field), before, after);
  return [h("td", { class: "num before" }, b), h("td", { class: "num after" }, a), h("td", { class: "num change" }, change)];
}

const fieldName = (field) => t(`close.field.${field}`);

// The variance's changed figures (GET /snapshots/{id}/diff `rows`), with the totals that changed as its foot:
// district, product, figure, before, after, change.
export function varianceDiffTable(diff, { label = t("close.diff"), id } = {}) {
  const rows = diff.rows.map((r) => h("tr", { dataset: { district: r.district_code, product: r.product_code, field: r.field } },
    h("th", { scope: "row" }, r.district_code), h("td", {}, r.product_code), h("td", {}, fieldName(r.field)),
    varianceCells(r.field, r.before, r.after)));
  const totals = Object.entries(diff.totals || {});
  const foot = totals.length ? totals.map(([field, v]) => h("tr", { class: "totals", dataset: { field } },
    h("th", { scope: "row", colspan: "2" }, t("budget.total")), h("td", {}, fieldName(field)),
    varianceCells(field, v?.before ?? null, v?.after ?? null))) : null;
  return table([t("close.district"), t("close.product"), t("close.figure"), t("close.before"), t("close.after"), t("close.change")],
    rows, { foot, label, id, sticky: 2 });
}

// KPI names and units (GET /kpis), asked once per page load
let kpisAsked = null;
const kpiInfo = () => {
  kpisAsked ||= api("/kpis").then((list) => new Map(list.map((k) => [k.code, k])), () => new Map());
  return kpisAsked;
};

const SCORES_SHOWN = 50;

// The scorecards' changed figures: range, unit, KPI, figure, before, after; the first 50, then "Show all".
async function scoreDiff(rows, { id }) {
  const kpis = await kpiInfo();
  const unitName = (r) => (r.level === "company" ? t("level.company") : `${t(`level.${r.level}`)} ${r.code}`);
  // a KPI's actual and target by its unit (currency, ratio, count, …), attainments and scores as percents
  const kindOf = (r) => {
    if (r.field === "attainment" || r.field === "score" || r.kpi === "") return "percent";
    const unit = kpis.get(r.kpi)?.unit;
    return unit === "currency" ? "money" : unit === "ratio" ? "percent" : unit === "count" ? "count" : "number";
  };
  const pair = (r) => (r.field === "status"
    ? [r.before, r.after].map((v) => (v ? t(`status.${v}`) : "–")) : writePair(kindOf(r), r.before, r.after));
  const tbody = h("tbody");
  const draw = (all) => tbody.replaceChildren(...(all ? rows : rows.slice(0, SCORES_SHOWN)).map((r) => h("tr", {
    dataset: { level: r.level, code: r.code, kpi: r.kpi, field: r.field, range: r.range } },
  h("th", { scope: "row" }, unitName(r)), h("td", {}, t(`range.${r.range}`)),
  h("td", {}, r.kpi === "" ? t("overall") : localName(kpis.get(r.kpi)) || r.kpi), h("td", {}, t(r.field)),
  ...pair(r).slice(0, 2).map((text, i) => h("td", { class: `num ${i ? "after" : "before"}` }, text)))));
  draw(false);
  const out = [table([t("close.unit"), t("range"), t("kpi"), t("close.figure"), t("close.before"), t("close.after")], [tbody],
    { label: t("close.scoreChanges"), id, sticky: 1 })];
  if (rows.length > SCORES_SHOWN) {
    let all = false;
    const more = h("button", { type: "button", class: "secondary small", "aria-controls": id, "aria-expanded": "false" },
      t("close.showAll", { count: fmt.number(rows.length) }));
    more.addEventListener("click", () => {
      all = !all;
      draw(all);
      more.setAttribute("aria-expanded", String(all));
      more.textContent = all ? t("close.showFewer", { count: SCORES_SHOWN }) : t("close.showAll", { count: fmt.number(rows.length) });
    });
    out.push(h("div", { class: "buttons" }, more));
  }
  return out;
}

// The budget page's "Restated since the lock": for each month of from..to with a snapshot (locked, or
// once locked), the latest snapshot's diff; the months whose figures changed, each with its changed rows.
// A leader sees their districts only (the API answers what the caller may see). Nothing when nothing changed.
export function restatements({ from, to }) {
  const el = h("div", { id: "restated" });
  const ready = (async () => {
    let latest;
    try {
      const { items } = await api("/snapshots");
      const byMonth = new Map();
      for (const s of items) {
        if (s.period < from || s.period > to) continue;
        const seen = byMonth.get(s.period);
        if (!seen || s.taken_at > seen.taken_at || (s.taken_at === seen.taken_at && s.id > seen.id)) byMonth.set(s.period, s);
      }
      latest = [...byMonth.values()].sort((a, b) => a.period.localeCompare(b.period));
      const diffs = await Promise.all(latest.map((s) => api(`/snapshots/${s.id}/diff`)));
      const changed = diffs.filter((d) => d.restated || d.rows.length);
      if (!changed.length) return;
      el.replaceChildren(h("section", { class: "card restated" }, h("h2", {}, t("restated.title")),
        changed.flatMap((d) => {
          const s = d.snapshot;
          const month = fmt.month(s.period);
          return [
            h("h3", {}, month),
            h("p", {}, t("restated.month", { month, day: dayOf(s.taken_at), who: s.taken_by, count: fmt.number(d.rows.length) }),
              " ", h("a", { href: `#/close?period=${s.period}&snapshot=${s.id}` }, t("restated.open", { month }))),
            d.rows.length ? varianceDiffTable(d, { label: t("restated.of", { month }), id: `restated-${s.period}` })
              : h("p", { class: "muted" }, t("restated.scoresOnly")),
          ];
        })));
    } catch (err) {
      // no figures the caller may not read (403/404), and no box for them; any other failure is said
      if (err?.status !== 403 && err?.status !== 404) el.replaceChildren(section(t("restated.title"), errorBox(err)));
    }
  })();
  return { el, ready };
}

// --- the Close page: months and their locks ------------------------------------------------------

// A refused lock or unlock in words, never a status code.
function lockProblem(err, action, month) {
  const detail = typeof err?.body?.detail === "string" ? err.body.detail : "";
  if (err?.status === 409) return t(action === "lock" ? "close.alreadyLocked" : "close.notLocked", { month });
  if (err?.status === 422) return t("close.cannotLock", { month, detail: detail || t("close.noData") });
  return err?.message || String(err);
}

const MONTHS_SHOWN = 12;

function monthsSection({ me, state, onOpen }) {
  const msg = h("div", { id: "months-msg", "aria-live": "polite" });
  const body = h("div", { id: "months" }, loading());
  const out = section(t("close.months"), msg, body);
  let periods = null;
  let snapshots = [];
  let all = false;  // every month, or the latest MONTHS_SHOWN (and any locked, or shown, month before them)
  const snapshotsOf = (period) => snapshots.filter((s) => s.period === period);

  function draw() {
    const items = [...(periods?.items || [])].sort((a, b) => b.period.localeCompare(a.period));
    if (!items.length) { body.replaceChildren(emptyBox(t("close.noMonths"))); return; }
    const listed = all ? items : items.filter((p, i) => i < MONTHS_SHOWN || p.locked || p.period === state.period);
    const rows = listed.map((p) => {
      const month = fmt.month(p.period);
      const count = snapshotsOf(p.period).length;
      const shown = state.period === p.period;
      const stateCell = p.locked
        ? h("span", { class: "status status-locked" }, lockIcon(), t("close.locked"))
        : h("span", { class: "status status-open" }, t("close.open"));
      const link = count ? h("a", { href: `#/close?period=${p.period}`, "aria-current": shown ? "true" : null, class: "snapshot-link" },
        count > 1 ? t("close.showMany", { count }) : t("close.show"), hidden(` ${month}`)) : "–";
      const cells = [h("th", { scope: "row" }, month), h("td", {}, stateCell), h("td", {}, p.locked ? p.locked_by || "–" : "–"),
        h("td", {}, p.locked ? fmt.dateTime(p.locked_at) : "–"), h("td", {}, link)];
      if (closes(me)) {
        const action = p.locked ? "unlock" : "lock";
        const button = p.locked || p.has_data ? h("button", { type: "button", class: `secondary small lock-action${p.locked ? " danger" : ""}`,
          dataset: { action } }, t(`close.${action}`), hidden(` ${month}`)) : null;
        button?.addEventListener("click", () => busy(button, () => act(p, action)));
        cells.push(h("td", {}, button || "–"));
      }
      return h("tr", { dataset: { period: p.period, locked: String(p.locked) }, class: shown ? "shown" : null }, cells);
    });
    const headers = [t("close.month"), t("close.state"), t("close.lockedBy"), t("close.lockedAt"), t("close.snapshots")];
    if (closes(me)) headers.push(t("close.actions"));
    const more = listed.length < items.length || all ? h("button", { type: "button", class: "secondary small", id: "months-more",
      "aria-controls": "months-table", "aria-expanded": String(all) },
    all ? t("close.fewerMonths", { count: MONTHS_SHOWN }) : t("close.allMonths", { count: items.length })) : null;
    more?.addEventListener("click", () => { all = !all; draw(); body.querySelector("#months-more")?.focus(); });
    body.replaceChildren(table(headers, rows, { label: t("close.months"), id: "months-table" }), more ? h("div", { class: "buttons" }, more) : "");
  }

  async function refresh() {
    const [found, snaps] = await Promise.all([api("/periods"),
      api("/snapshots").then((r) => r.items, (err) => (err?.status === 403 ? [] : Promise.reject(err)))]);
    periods = found;
    snapshots = snaps;
    draw();
  }

  async function act(p, action) {
    const month = fmt.month(p.period);
    msg.replaceChildren();
    if (action === "unlock" && !window.confirm(t("close.confirmUnlock", { month }))) {
      msg.replaceChildren(notice(t("close.keptLocked", { month })));
      return;
    }
    let done = false;
    try {
      await api(`/periods/${p.period}/${action}`, { method: "POST" });
      done = true;
      msg.replaceChildren(notice(t(action === "lock" ? "close.lockedNow" : "close.unlockedNow", { month })));
    } catch (err) {
      msg.replaceChildren(problemBox(lockProblem(err, action, month)));
    }
    // the list as it is now (a 409: someone else locked or unlocked it a moment ago), the focus back on the row's button
    try { await refresh(); } catch (err) { body.replaceChildren(errorBox(err)); return; }
    if (done && (action === "lock" || state.period === p.period)) await onOpen(p.period);
    body.querySelector(`tr[data-period="${p.period}"] button.lock-action`)?.focus();
  }

  return { el: out, refresh: () => refresh().catch((err) => body.replaceChildren(errorBox(err))), snapshotsOf, draw };
}

// --- the Close page: one month's snapshot --------------------------------------------------------

const DOWNLOADS = ["csv", "xlsx", "parquet"];

function snapshotDownloads(snapshot) {
  const status = h("div", { class: "download-status", "aria-live": "polite" });
  const button = (which, format) => {
    const b = h("button", { type: "button", class: "secondary small", dataset: { table: which, format } }, format.toUpperCase(),
      hidden(` ${t(`close.table.${which}`)}`));
    b.addEventListener("click", () => busy(b, async () => {
      status.replaceChildren();
      const q = new URLSearchParams({ format, table: which });
      try {
        const name = await download(`/snapshots/${snapshot.id}?${q}${format === "csv" ? csvStyle() : ""}`,
          `snapshot-${snapshot.period}-${which}.${format}`);
        status.replaceChildren(notice(t("budget.downloaded", { name })));
      } catch (err) { status.replaceChildren(errorBox(err)); }
    }));
    return b;
  };
  return h("div", { id: "snapshot-downloads" },
    ["variance", "scorecards"].map((which) => h("div", { class: "downloads", role: "group", "aria-label": t(`close.table.${which}`) },
      h("span", {}, `${t(`close.table.${which}`)}:`), DOWNLOADS.map((format) => button(which, format)))),
    status);
}

async function snapshotSection(period, list, { chosen, onChoose }) {
  const month = fmt.month(period);
  const sorted = [...list].sort((a, b) => b.taken_at.localeCompare(a.taken_at) || b.id - a.id);
  const snapshot = sorted.find((s) => String(s.id) === String(chosen)) || sorted[0];
  const out = h("section", { class: "card", id: "snapshot", dataset: { snapshot: snapshot.id, period } },
    h("h2", { tabindex: "-1" }, t("close.snapshotOf", { month })));
  if (sorted.length > 1) {
    const pick = h("select", { name: "snapshot", id: "snapshot-pick" }, sorted.map((s) => h("option", { value: s.id, selected: s.id === snapshot.id },
      t("close.snapshotOption", { when: fmt.dateTime(s.taken_at), who: s.taken_by }))));
    pick.addEventListener("change", () => onChoose(pick.value));
    out.append(h("div", { class: "controls" }, h("label", {}, t("close.pickSnapshot"), pick)));
  }
  const tot = snapshot.totals || {};
  out.append(
    h("dl", { class: "facts snapshot-facts" },
      h("dt", {}, t("close.takenAt")), h("dd", { id: "snapshot-taken" }, t("close.takenBy", { when: fmt.dateTime(snapshot.taken_at), who: snapshot.taken_by })),
      h("dt", {}, t("close.state")), h("dd", { id: "snapshot-state" }, snapshot.locked ? t("close.stillLocked")
        : snapshot.unlocked_at ? t("close.unlockedBy", { when: fmt.dateTime(snapshot.unlocked_at), who: snapshot.unlocked_by || "–" }) : "–"),
      h("dt", {}, t("close.contents")), h("dd", {}, t("close.rowsUnits", { rows: fmt.number(snapshot.variance_rows), units: fmt.number(snapshot.scorecard_units) }))),
    h("h3", {}, t("close.totals")),
    h("dl", { class: "facts", id: "snapshot-totals" },
      ["budget_amount", "actual_amount", "variance_amount"].flatMap((f) => [h("dt", {}, fieldName(f)),
        h("dd", { class: "num", dataset: { field: f } }, fmt.money(tot[f]))]),
      h("dt", {}, fieldName("variance_pct")), h("dd", { class: "num", dataset: { field: "variance_pct" } }, fmt.pct(tot.variance_pct, 1))),
    h("h3", {}, t("close.download")),
    snapshotDownloads(snapshot));
  const diffBox = h("div", { id: "snapshot-diff" }, loading());
  out.append(h("h3", {}, t("close.diff")), diffBox);
  const ready = (async () => {
    try {
      const diff = await api(`/snapshots/${snapshot.id}/diff`);
      if (!diff.restated && !diff.rows.length && !diff.scorecards.length) {
        diffBox.replaceChildren(h("p", { class: "notice", id: "snapshot-unchanged" }, t("close.unchanged", { day: dayOf(snapshot.taken_at) })));
        return;
      }
      fill(diffBox,
        h("p", { id: "snapshot-changed" }, t("close.changedCount", { rows: fmt.number(diff.rows.length),
          scores: fmt.number(diff.scorecards.length), day: dayOf(snapshot.taken_at) })),
        diff.rows.length || Object.keys(diff.totals || {}).length ? varianceDiffTable(diff, { id: "variance-diff" }) : null,
        h("h3", {}, t("close.scoreChanges")),
        ...(diff.scorecards.length ? await scoreDiff(diff.scorecards, { id: "score-diff" }) : [h("p", { class: "muted" }, t("close.noScoreChanges"))]));
    } catch (err) { diffBox.replaceChildren(errorBox(err)); }
  })();
  return { el: out, ready };
}

// --- the Close page: reports by e-mail -----------------------------------------------------------

const REPORTS = ["variance", "scorecard", "meeting_pack"];
const FORMATS = { variance: ["xlsx", "csv", "parquet"], scorecard: ["xlsx", "csv"], meeting_pack: ["pdf", "xlsx"] };
const REPORT_RANGES = { variance: ["month", "ytd"], scorecard: RANGES, meeting_pack: RANGES };
const LEVELS = { scorecard: ["company", "region", "district", "seller"], meeting_pack: ["company", "region", "district"] };
const SCHEDULES = ["monthly", "weekly", "daily"];
const TABLES = ["kpis", "ranking"];

// "Variance by district and product, year to date" / "Scorecard of district STV (KPIs), month"
function reportTitle(sub) {
  const p = sub.params || {};
  const range = p.range ? t(`range.${p.range}`).toLowerCase() : "";
  const unit = p.level === "company" ? t("level.company") : p.level ? `${t(`level.${p.level}`)} ${p.code ?? ""}`.trim() : "";
  if (sub.report === "variance") return [t("report.variance"), range].filter(Boolean).join(", ");
  const what = sub.report === "scorecard" ? t("report.scorecardOf", { unit }) : t("report.packOf", { unit });
  return [what + (p.table ? ` (${t(`subs.table.${p.table}`)})` : ""), range].filter(Boolean).join(", ");
}

function sendLog(sub) {
  const sends = sub.sends || [];
  const rows = sends.map((s) => h("tr", { dataset: { key: s.period_key, status: s.status } },
    h("th", { scope: "row" }, s.period_key),
    h("td", {}, h("span", { class: `status status-${s.status === "sent" ? "green" : "red"}` }, t(`subs.send.${s.status}`))),
    h("td", { class: "num" }, fmt.number(s.attempts)), h("td", {}, fmt.dateTime(s.last_attempt_at)), h("td", {}, fmt.dateTime(s.sent_at)),
    h("td", { class: "wrap" }, s.attachment ? `${s.attachment}${isNum(s.attachment_bytes) ? ` (${fmt.number(s.attachment_bytes)} B)` : ""}` : "–"),
    h("td", { class: "wrap wide" }, s.error || "–")));
  return table([t("subs.for"), t("subs.result"), t("subs.attempts"), t("subs.lastAttempt"), t("subs.sentAt"), t("subs.attachment"),
    t("subs.error")], rows, { label: t("subs.logOf", { report: reportTitle(sub) }), sticky: 1 });
}

function subscriptionCard(initial, { me, onRemoved, say }) {
  let sub = initial;
  const el = h("li", { class: "subscription-card", dataset: { subscription: sub.id } });
  function draw() {
    const title = reportTitle(sub);
    const toggle = h("button", { type: "button", class: "secondary small sub-toggle" }, t(sub.active ? "subs.pause" : "subs.resume"), hidden(` ${title}`));
    const remove = h("button", { type: "button", class: "secondary small danger sub-remove" }, t("subs.remove"), hidden(` ${title}`));
    toggle.addEventListener("click", () => busy(toggle, async () => {
      try {
        sub = await api(`/subscriptions/${sub.id}`, { method: "PATCH", json: { active: !sub.active } });
        draw();
        say(notice(t(sub.active ? "subs.resumedMsg" : "subs.pausedMsg", { report: reportTitle(sub) })));
        el.querySelector("button.sub-toggle")?.focus();
      } catch (err) { say(problemBox(err.message)); }
    }));
    remove.addEventListener("click", () => busy(remove, async () => {
      if (!window.confirm(t("subs.confirmRemove", { report: title }))) return;
      try {
        await api(`/subscriptions/${sub.id}`, { method: "DELETE" });
        onRemoved(sub, title);
      } catch (err) { say(problemBox(err.message)); }
    }));
    const sends = sub.sends || [];
    const lastSent = sends.find((s) => s.status === "sent");
    el.classList.toggle("is-paused", !sub.active);
    fill(el,
      h("h3", { class: "sub-title" }, title, " ", h("span", { class: "code" }, sub.format.toUpperCase())),
      h("p", { class: "sub-meta" },
        h("span", { class: `status ${sub.active ? "status-green" : "status-none"}` }, sub.active ? `✓ ${t("subs.active")}` : `‖ ${t("subs.paused")}`),
        " · ", t(`subs.schedule.${sub.schedule}`),
        " · ", lastSent ? t("subs.lastSent", { when: fmt.dateTime(lastSent.sent_at) }) : t("subs.notSent")),
      h("p", { class: "sub-meta" }, `${t("subs.to")}: `, sub.recipients.join(", "),
        sub.owner && sub.owner !== me.email ? ` · ${t("subs.owner")}: ${sub.owner}` : ""),
      h("div", { class: "buttons" }, toggle, remove),
      sends.length ? h("details", { class: "send-log" }, h("summary", {}, t("subs.log", { count: sends.length })), sendLog(sub)) : null);
  }
  draw();
  return el;
}

// The unit a leader's report is about by default: their first unit; the company for finance and administrators.
function defaultUnit(me) {
  const unit = me?.role === "leader" ? me.units?.[0] : "company";
  if (!unit || unit === "company") return { level: "company", code: "-" };
  const [level, code] = unit.split(":");
  return { level, code };
}

// The form to subscribe: report, its parameters, format, schedule and recipients; a 422's messages beside the
// fields they name (aria-invalid, aria-describedby), the first of them focused. The parameters and formats are
// those app/close/subscriptions.py takes; a leader's variance holds their districts, so it names no unit.
function subscriptionForm(me, { onCreated }) {
  const fields = {};
  const field = (name, labelText, control, { hint } = {}) => {
    const error = h("span", { class: "field-error", id: uid(`error-${name}`), hidden: true });
    const hintEl = hint ? h("span", { class: "muted field-note", id: uid(`hint-${name}`) }, hint) : null;
    control.setAttribute("aria-describedby", [hintEl?.id, error.id].filter(Boolean).join(" "));
    const wrap = h("div", { class: "field", dataset: { field: name } }, h("label", {}, labelText, control), hintEl, error);
    fields[name] = { control, error, wrap };
    return wrap;
  };
  const report = h("select", { name: "report", id: "sub-report" }, REPORTS.map((r) => h("option", { value: r }, t(`report.${r}`))));
  const range = h("select", { name: "range", id: "sub-range" });
  const unit = defaultUnit(me);
  const level = h("select", { name: "level", id: "sub-level" });
  const code = h("input", { type: "text", name: "code", id: "sub-code", value: unit.code, maxlength: "64", autocomplete: "off" });
  const tableSelect = h("select", { name: "table", id: "sub-table" }, TABLES.map((x) => h("option", { value: x }, t(`subs.table.${x}`))));
  const packLang = h("select", { name: "lang", id: "sub-lang" },
    h("option", { value: "en", selected: lang() === "en" }, "English"), h("option", { value: "nb", selected: lang() === "nb" }, "Norsk bokmål"));
  const format = h("select", { name: "format", id: "sub-format" });
  const schedule = h("select", { name: "schedule", id: "sub-schedule" }, SCHEDULES.map((s) => h("option", { value: s }, t(`subs.schedule.${s}`))));
  const recipients = h("textarea", { name: "recipients", id: "sub-recipients", rows: "2", maxlength: "5000", required: true }, me.email);
  const msg = h("div", { class: "form-msg", id: "sub-msg", "aria-live": "polite" });
  const save = h("button", { type: "submit", id: "sub-save" }, t("subs.submit"));
  const params = h("fieldset", { class: "sub-params" }, h("legend", {}, t("subs.params")),
    h("div", { class: "form-row" },
      field("range", t("range"), range),
      field("level", t("subs.level"), level),
      field("code", t("subs.code"), code, { hint: t("subs.codeHint") }),
      field("table", t("subs.tableLabel"), tableSelect),
      field("lang", t("lang.label"), packLang)));
  const form = h("form", { class: "inline-form sub-form", id: "subscription-form", novalidate: true },
    field("report", t("subs.report"), report),
    params,
    h("div", { class: "form-row" }, field("format", t("subs.format"), format), field("schedule", t("subs.scheduleLabel"), schedule)),
    field("recipients", t("subs.recipients"), recipients),
    h("div", { class: "buttons" }, save), msg);

  const options = (select, values, labelOf, keep) => {
    const was = keep ? select.value : null;
    select.replaceChildren(...values.map((v) => h("option", { value: v }, labelOf(v))));
    if (was && values.includes(was)) select.value = was;
  };
  // the parameters of the report chosen, the formats it comes in
  function shape() {
    const r = report.value;
    options(range, REPORT_RANGES[r], (v) => t(`range.${v}`), true);
    if (!range.dataset.touched) range.value = r === "variance" ? "month" : "ytd";
    options(level, LEVELS[r] || [], (v) => t(`level.${v}`), Boolean(level.dataset.touched));
    if (!level.dataset.touched && (LEVELS[r] || []).includes(unit.level)) level.value = unit.level;
    options(format, FORMATS[r], (v) => v.toUpperCase(), true);
    fields.level.wrap.hidden = !LEVELS[r];
    fields.code.wrap.hidden = !LEVELS[r] || level.value === "company";
    fields.table.wrap.hidden = r !== "scorecard";
    fields.lang.wrap.hidden = r === "variance";
  }
  range.addEventListener("change", () => { range.dataset.touched = "1"; });
  report.addEventListener("change", shape);
  level.addEventListener("change", () => {
    level.dataset.touched = "1";
    if (level.value === "company") code.value = "-";
    else if (code.value === "-") code.value = level.value === unit.level ? unit.code : "";
    shape();
  });
  shape();

  function clearErrors() {
    for (const f of Object.values(fields)) {
      f.error.hidden = true;
      f.error.textContent = "";
      f.control.removeAttribute("aria-invalid");
    }
    msg.replaceChildren();
  }
  // A 422's messages by the field they name: body.recipients.1 → the second address; body.params.code → the code.
  function showErrors(err, addresses) {
    const detail = err?.body?.detail;
    const byField = new Map();
    const general = [];
    const add = (name, text) => { if (fields[name] && !fields[name].wrap.hidden) byField.set(name, [...(byField.get(name) || []), text]); else general.push(text); };
    if (err?.status === 422 && Array.isArray(detail)) {
      for (const d of detail) {
        const loc = (Array.isArray(d.loc) ? d.loc : []).filter((p) => p !== "body");
        const text = String(d.msg ?? "");
        const name = loc[0] === "params" ? String(loc[1] ?? "") : String(loc[0] ?? "");
        if (name === "recipients" && Number.isInteger(loc[1])) {
          add("recipients", t("subs.addressProblem", { n: loc[1] + 1, address: addresses[loc[1]] ?? "", msg: text }));
        } else add(fields[name] ? name : "", text);
      }
    } else if (err?.status === 404) {
      add(fields.code.wrap.hidden ? "" : "code", t("subs.unitNotYours"));
    } else general.push(typeof detail === "string" ? detail : err?.message || String(err));
    for (const [name, texts] of byField) {
      const f = fields[name];
      f.error.textContent = texts.join(" · ");
      f.error.hidden = false;
      f.control.setAttribute("aria-invalid", "true");
    }
    if (byField.size) general.unshift(t("subs.checkFields"));
    msg.replaceChildren(problemBox(general.join(" ")));
    const first = Object.values(fields).find((f) => f.control.getAttribute("aria-invalid") === "true");
    first?.control.focus();
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(save, async () => {
      clearErrors();
      const r = report.value;
      const p = { range: range.value };
      if (r === "variance") p.by = "district,product";
      if (LEVELS[r]) { p.level = level.value; p.code = level.value === "company" ? "-" : code.value.trim(); }
      if (r === "scorecard") p.table = tableSelect.value;
      if (r !== "variance") p.lang = packLang.value;
      // a CSV as Excel reads it in the page's language (as the downloads: csvStyle() in api.js)
      if (format.value === "csv" && lang() === "nb") Object.assign(p, { delimiter: ";", decimal: ",", bom: true });
      const addresses = recipients.value.split(/[\s,;]+/).filter(Boolean);
      try {
        const made = await api("/subscriptions", { method: "POST", json: { report: r, params: p, format: format.value,
          schedule: schedule.value, recipients: addresses } });
        msg.replaceChildren(notice(t("subs.created", { report: reportTitle(made) })));
        onCreated(made);
      } catch (err) { showErrors(err, addresses); }
    });
  });
  return form;
}

function subscriptionsSection(me) {
  const msg = h("div", { id: "subs-msg", "aria-live": "polite" });
  const list = h("ul", { class: "subscription-list", id: "subscription-list" });
  const body = h("div", {}, loading());
  const say = (el) => msg.replaceChildren(el);
  const empty = () => emptyBox(t("subs.none"));
  const cardOf = (sub) => subscriptionCard(sub, { me, say, onRemoved: (gone, title) => {
    list.querySelector(`[data-subscription="${gone.id}"]`)?.remove();
    if (!list.children.length) body.replaceChildren(empty());
    say(notice(t("subs.removed", { report: title })));
    msg.setAttribute("tabindex", "-1");
    msg.focus();
  } });
  const form = subscriptionForm(me, { onCreated: (made) => {
    list.prepend(cardOf(made));
    body.replaceChildren(list);
  } });
  const el = h("section", { class: "card", id: "subscriptions" }, h("h2", {}, t("subs.title")), h("p", {}, t("subs.intro")), msg, body,
    h("h3", {}, t("subs.new")), form);
  const ready = api("/subscriptions").then(({ items }) => {
    list.replaceChildren(...items.map(cardOf));
    body.replaceChildren(items.length ? list : empty());
  }, (err) => body.replaceChildren(errorBox(err)));
  return { el, ready };
}

// --- the page --------------------------------------------------------------------------------------

export async function render(el, ctx) {
  const { me } = ctx;
  const title = h("h1", {}, t("close.title"));
  if (!subscribes(me)) { el.replaceChildren(title, errorBox({ message: t("error.forbidden") })); return; }
  const q = ctx.query;
  const state = {
    period: PERIOD_RE.test(q.get("period") || "") ? q.get("period") : "",
    snapshot: /^\d{1,10}$/.test(q.get("snapshot") || "") ? q.get("snapshot") : "",
  };
  const query = () => Object.fromEntries(Object.entries(state).filter(([, v]) => v));
  const snapshotBox = h("div", { id: "snapshot-box" });
  const months = monthsSection({ me, state, onOpen: (period) => open(period, { focus: false }) });
  const subs = subscriptionsSection(me);

  // the snapshot of `period` below the months (or a line that it has none), in place; the URL says which
  async function open(period, { snapshot = "", focus = true } = {}) {
    state.period = period;
    state.snapshot = snapshot;
    ctx.setQuery(query(), { replace: true });
    months.draw();
    const list = months.snapshotsOf(period);
    if (!list.length) {
      snapshotBox.replaceChildren(section(t("close.snapshotOf", { month: fmt.month(period) }), emptyBox(t("close.noSnapshot"))));
      return;
    }
    const shown = await snapshotSection(period, list, { chosen: snapshot, onChoose: (id) => open(period, { snapshot: id }) });
    snapshotBox.replaceChildren(shown.el);
    if (focus) shown.el.querySelector("h2")?.focus();
    await shown.ready;
  }

  el.replaceChildren(title, h("p", { class: "intro" }, t(closes(me) ? "close.intro" : "close.introLeader")), months.el, snapshotBox, subs.el);
  await months.refresh();
  if (state.period) await open(state.period, { snapshot: state.snapshot, focus: false });
  await subs.ready;
}
