// Small DOM helpers shared by the pages: element builder, states (loading, error, empty), status
// badges, and the period/range controls.
import { api } from "./api.js";
import { fmt, lang, t } from "./i18n.js";

// h("a", {href: "#/x", class: "c", onclick: fn}, "text", child...) — no innerHTML anywhere.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key in el && typeof value !== "string") el[key] = value;
    else el.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

// replaceChildren without the null/false placeholders of optional parts
export function fill(el, ...children) {
  el.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
}

export const loading = () => h("p", { class: "loading", role: "status" }, h("span", { class: "spinner", "aria-hidden": "true" }), t("loading"));
export const errorBox = (err) => h("p", { class: "error", role: "alert" }, err?.message || String(err));
export const emptyBox = (text) => h("p", { class: "empty" }, text);
export const notice = (text) => h("p", { class: "notice", role: "status" }, text);

// `stretch`: the actual reached the KPI's stretch goal (above green; a star, in blue)
const MARK = { stretch: "★", green: "✓", amber: "!", red: "✗", none: "–" };
export function statusBadge(status) {
  const s = MARK[status] ? status : "none";
  return h("span", { class: `status status-${s}` }, `${MARK[s]} ${t(`status.${s}`)}`);
}
export function statusOfScore(score) {
  if (typeof score !== "number") return "none";
  return score >= 1 ? "green" : score >= 0.9 ? "amber" : "red";
}

// Freshness (GET /data-status): what is loaded, and the month the pages open on when the URL names none.
// Asked on every page load (the server answers from its cache); null when it cannot be read, and the page
// still works, opening on the current month.
export async function loadDataStatus() {
  try { return await api("/data-status"); } catch { return null; }
}

const currentMonth = (today = new Date()) => `${today.getFullYear()}-${String(today.getMonth() + 1).padStart(2, "0")}`;

// The month a page opens on: the latest month with sales (never the browser's clock), the current month without sales.
export const openPeriod = (status) => status?.open_period || currentMonth();

const locale = () => (lang() === "nb" ? "nb-NO" : "en-GB");
// "2026-06-28" -> 28 Jun 2026 (a calendar day: read as local, not as UTC midnight)
export function formatDay(iso) {
  const [y, m, d] = iso.split("-").map(Number);
  return new Intl.DateTimeFormat(locale(), { day: "numeric", month: "short", year: "numeric" }).format(new Date(y, m - 1, d));
}
// a moment in the browser's local time: 1 Dec 10:02 (with the year when it is not this year's)
function formatMoment(iso) {
  const at = new Date(iso);
  const day = { day: "numeric", month: "short", ...(at.getFullYear() !== new Date().getFullYear() ? { year: "numeric" } : {}) };
  return `${new Intl.DateTimeFormat(locale(), day).format(at)} ${new Intl.DateTimeFormat(locale(), { hour: "2-digit", minute: "2-digit" }).format(at)}`;
}
// "Sales" -> "sales" inside a sentence; "KPI values" stays as it is
const inSentence = (name) => (/^\p{Lu}\p{Ll}/u.test(name) ? name.charAt(0).toLowerCase() + name.slice(1) : name);

// The built-in KPIs by the facts they are made of (the registry's `facts`, app/analytics/kpis.py; tests/test_kpi_registry.py keeps the two equal):
// activities may lag sales, so each KPI is "not loaded yet" by its own facts.
export const FACT_KPIS = {
  sales: ["revenue", "gross_margin", "margin_pct", "active_customers", "new_customers", "key_account_share"],
  activities: ["csat", "meetings", "proposals", "hit_rate", "training_hours", "coaching_sessions"],
};
// Whether KPI `code` is not loaded yet in the period of `answer` (a scorecard or children answer with
// no_sales_yet / no_activities_yet); a manual KPI never is (a missing value is already null).
export function kpiNotLoaded(code, answer) {
  if (FACT_KPIS.sales.includes(code)) return Boolean(answer.no_sales_yet);
  if (FACT_KPIS.activities.includes(code)) return Boolean(answer.no_activities_yet);
  return false;
}

// A status badge; in a period whose facts are not loaded yet (`notLoaded`) a missing status reads
// "not loaded yet", not "no target".
export function freshBadge(status, notLoaded) {
  return notLoaded && (!status || status === "none")
    ? h("span", { class: "status status-none" }, `– ${t("status.notLoaded")}`) : statusBadge(status);
}

// One line near the period controls: "figures through 28 Jun 2026 · last import 1 Dec 10:02, sales".
export function freshnessLine(status) {
  if (!status) return null;
  const parts = [status.sales_through ? t("fresh.through", { date: formatDay(status.sales_through) }) : t("fresh.none")];
  // activities lagging sales: say so, or their KPIs read as if nothing was done
  if (status.sales_through && status.activities_through && status.activities_through.slice(0, 7) < status.sales_through.slice(0, 7)) {
    parts.push(t("fresh.activitiesThrough", { date: formatDay(status.activities_through) }));
  }
  const last = status.last_import;
  if (last) parts.push(t("fresh.import", { when: formatMoment(last.at), dataset: inSentence(t(`dataset.${last.dataset}`)) }));
  return h("p", { class: "freshness muted", id: "freshness" }, parts.join(" · "));
}

// The notice for a period after the latest sale (`dataThrough`, null without sales): "No sales loaded for
// November 2026 yet; figures run through 31 Oct 2026", with a link to the latest sale's month: `hrefFor(month)`.
export function noSalesNotice(period, dataThrough, hrefFor) {
  const open = dataThrough ? dataThrough.slice(0, 7) : null;
  const text = open ? t("fresh.noSales", { month: fmt.month(period), date: formatDay(dataThrough) }) : t("fresh.noSalesAtAll");
  return h("p", { class: "notice no-sales", role: "status", id: "no-sales" }, `${text} `,
    open ? h("a", { href: hrefFor(open) }, t("fresh.open", { month: fmt.month(open) })) : null);
}

export const PERIOD_RE = /^\d{4}-(0[1-9]|1[0-2])$/;
export const RANGES = ["month", "quarter", "ytd", "r12"];

// Period (month) and range pickers; `onChange({period, range})` when either changes.
export function periodControls({ period, range }, onChange) {
  const periodInput = h("input", { type: "month", name: "period", value: period, required: true });
  const rangeSelect = h("select", { name: "range" },
    RANGES.map((r) => h("option", { value: r, selected: r === range }, t(`range.${r}`))));
  const fire = () => { if (PERIOD_RE.test(periodInput.value)) onChange({ period: periodInput.value, range: rangeSelect.value }); };
  periodInput.addEventListener("change", fire);
  rangeSelect.addEventListener("change", fire);
  return h("div", { class: "controls" },
    h("label", {}, t("period"), periodInput),
    h("label", {}, t("range"), rangeSelect));
}

// A crumb trail from `trail` ("region:VEST,district:STV") and the current page's label.
export function parseTrail(text) {
  return (text || "").split(",").filter(Boolean).map((item) => {
    const [level, code] = item.split(":");
    return { level, code };
  }).filter((c) => ["company", "region", "district"].includes(c.level) && c.code);
}
export const trailText = (trail) => trail.map((c) => `${c.level}:${c.code}`).join(",");

export function breadcrumb(trail, current, query) {
  const items = trail.map((c, i) => {
    const q = new URLSearchParams(query);
    const rest = trail.slice(0, i);
    if (rest.length) q.set("trail", trailText(rest)); else q.delete("trail");
    const label = c.level === "company" ? t("level.company") : `${t(`level.${c.level}`)} ${c.code}`;
    return h("li", {}, h("a", { href: `#/team/${c.level}/${encodeURIComponent(c.code)}?${q}` }, label));
  });
  items.push(h("li", { "aria-current": "page" }, current));
  return h("nav", { class: "breadcrumb", "aria-label": "breadcrumb" }, h("ol", {}, items));
}

export function section(title, ...children) {
  return h("section", { class: "card" }, h("h2", {}, title), ...children);
}

// A table in a box of its own (frontend/style.css, "Tables"). Where it is wider than its box (a laptop's width)
// it scrolls sideways inside it and says so: a hint above it and a shadow at the edge it continues past, its
// first `sticky` columns kept in view (the name of what a row is about); the box is then a named region a
// keyboard reaches (tabindex=0: arrow keys scroll it), as axe's scrollable-region-focusable asks. On a phone
// (`cards`, the default) each row is a card instead, each cell labelled by its column's header (data-label).
// `rows`: <tr>s, or <tbody>s for a table in groups; `label` names the table (the section's title).
export function table(headers, rows, { foot, label, sticky = 1, cards = true, className, id } = {}) {
  const list = [rows].flat(2).filter(Boolean);
  const bodies = list.length && list.every((r) => r.tagName === "TBODY") ? list : [h("tbody", {}, list)];
  const el = h("table", { class: className },
    h("thead", {}, h("tr", {}, headers.map((x) => h("th", { scope: "col" }, x)))),
    bodies,
    foot ? h("tfoot", {}, foot) : null);
  const wrap = h("div", { class: "table-wrap", role: "region", "aria-label": label }, el);
  const hint = h("p", { class: "scroll-hint", hidden: true }, t("table.scrollHint"));
  const box = h("div", { class: `table-box${cards ? " cards" : ""}`, id, dataset: { sticky: String(sticky) } },
    hint, h("div", { class: "table-frame" }, wrap));
  const names = headers.map((x) => (x instanceof Node ? x.textContent : String(x ?? "")).trim());
  markCells(el, names, sticky);
  // rows added later (a page of problems, a KPI's comments) are marked the same way
  new MutationObserver((changes) => {
    if (changes.some((c) => [...c.addedNodes].some((n) => n.nodeName === "TR" || n.nodeName === "TBODY"))) markCells(el, names, sticky);
  }).observe(el, { childList: true, subtree: true });
  wrap.addEventListener("scroll", () => edges(box, wrap), { passive: true });
  sized.observe(wrap);
  sized.observe(el);
  return box;
}

// Each body and foot cell: its column's header as data-label (the phone's card), except the row's first
// header (the card's title) and a cell across the whole table; the first `sticky` columns' cells marked.
function markCells(el, names, sticky) {
  for (const row of el.querySelectorAll(":scope > tbody > tr, :scope > tfoot > tr")) {
    let column = 0;
    let titled = false;
    for (const cell of row.cells) {
      const span = cell.colSpan || 1;
      const title = !titled && cell.tagName === "TH" && cell.scope === "row";
      titled ||= title;
      const across = span >= names.length;
      if (!title && !across && names[column] && !cell.dataset.label) cell.dataset.label = names[column];
      if (across) cell.classList.add("full");
      stick(cell, column, span, sticky, across);
      column += span;
    }
  }
  for (const [i, cell] of [...(el.tHead?.rows[0]?.cells || [])].entries()) stick(cell, i, 1, sticky, false);
}
// a cell starting in column `column` (0-based) across `span` columns: sticky if it starts among the first
// `sticky`, at the place the ones before it end (stick-N), the last of them casting the edge's shadow
function stick(cell, column, span, sticky, across) {
  if (across || column >= sticky) return;
  cell.classList.add("stick");
  if (column > 0) cell.classList.add(`stick-${column}`);
  if (column + span >= sticky) cell.classList.add("stick-last");
}

// Whether a table's box scrolls: the hint, the edge shadows and the keyboard stop only when it really does.
// A table is let go once it has left the page (the page it was on is gone), not before it is first shown.
const shown = new WeakSet();
const sized = new ResizeObserver((entries) => {
  for (const { target } of entries) {
    if (!target.isConnected) { if (shown.has(target)) sized.unobserve(target); continue; }
    shown.add(target);
    const wrap = target.closest(".table-wrap");
    const box = wrap?.closest(".table-box");
    if (!box) continue;
    const table = wrap.querySelector("table");
    if (!wrap.getAttribute("aria-label")) {
      const heading = box.closest("section")?.querySelector("h2, h3");
      if (heading) wrap.setAttribute("aria-label", heading.textContent.trim());
    }
    const over = wrap.scrollWidth > wrap.clientWidth + 1;
    box.toggleAttribute("data-overflow", over);
    box.querySelector(":scope > .scroll-hint").hidden = !over;
    if (over) wrap.setAttribute("tabindex", "0"); else wrap.removeAttribute("tabindex");
    // the later sticky columns stand where the ones before them end
    const head = table.tHead?.rows[0]?.cells;
    let left = 0;
    for (let i = 1; i < Number(box.dataset.sticky) && head && i < head.length; i += 1) {
      left += head[i - 1].getBoundingClientRect().width;
      box.style.setProperty(`--stick-${i}`, `${left}px`);
    }
    edges(box, wrap);
  }
});

function edges(box, wrap) {
  box.toggleAttribute("data-scrolled", wrap.scrollLeft > 1);
  box.toggleAttribute("data-at-end", wrap.scrollLeft + wrap.clientWidth >= wrap.scrollWidth - 1);
}

export { fmt };

// An API refusal in words: a 422's messages, each after the label of the field it names
// ("Current password: not your current password"); any other failure as api.js words it.
export function problemText(err, labels = {}) {
  const detail = err?.body?.detail;
  if (err?.status === 422 && Array.isArray(detail) && detail.length) {
    return detail.map((d) => {
      const field = Array.isArray(d.loc) ? d.loc[d.loc.length - 1] : "";
      const msg = String(d.msg ?? "");
      return labels[field] ? `${labels[field]}: ${msg}` : msg.charAt(0).toUpperCase() + msg.slice(1);
    }).join(" · ");
  }
  return err?.message || String(err);
}

// Run `work` once at a time for `button`. Not `disabled`: a disabled button loses the focus.
export async function busy(button, work) {
  if (button.getAttribute("aria-disabled") === "true") return;
  button.setAttribute("aria-disabled", "true");
  try { await work(); } finally { button.removeAttribute("aria-disabled"); }
}

export const problemBox = (text) => h("p", { class: "error", role: "alert" }, text);
