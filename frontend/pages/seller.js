// A seller's scorecard: overall score, the four perspectives, every KPI with actual, target, a
// bullet chart and its status (colour and word), each KPI's comments, and the trend of a chosen KPI;
// then the seller's coaching: their actions (baseline, follow-up, notes) and goal conversations.
import { api } from "../api.js";
import { chart } from "../charts.js";
import { fmt, localName, t } from "../i18n.js";
import {
  breadcrumb, emptyBox, errorBox, fill, freshnessLine, h, loadDataStatus, loading, noSalesNotice, openPeriod, parseTrail,
  PERIOD_RE, periodControls, RANGES, section, freshBadge, kpiNotLoaded, statusOfScore,
} from "../ui.js";
import { actionsSection, goalConversations, kpiTable, seesCoaching, sellerEmail, tableDownload } from "./steering.js";
import { loadPeriods, lockBadge, markPicker } from "./close.js";
import { badgesSection } from "../badges.js";
import { outlookSection } from "../outlook.js";

export const key = "seller";
// A key account's scorecard is this page on #/accounts/{code} (the card of level `account`, which
// leaves out the KPIs about people); #/account is the login's own page.
export const accountPage = { key: "seller", render: (el, ctx) => render(el, { ...ctx, level: "account" }) };

export async function render(el, ctx) {
  const [code] = ctx.match;
  const level = ctx.level || "seller";
  const q = ctx.query;
  // without a period in the URL the page opens on the latest month with sales, never on the browser's clock
  const statusAsked = loadDataStatus();
  const periodsAsked = loadPeriods();  // the locked months: a badge beside the period, marked in its picker
  const named = PERIOD_RE.test(q.get("period") || "");
  const state = {
    period: named ? q.get("period") : openPeriod(await statusAsked),
    range: RANGES.includes(q.get("range")) ? q.get("range") : "ytd",
    kpi: q.get("kpi") || "revenue",
    months: q.get("months") === "24" ? "24" : "12",
    trail: q.get("trail") || "",
  };
  const params = () => {
    const p = { period: state.period, range: state.range, kpi: state.kpi, months: state.months };
    if (state.trail) p.trail = state.trail;
    return p;
  };
  ctx.setQuery(params(), { replace: true });
  const base = `/scorecards/${level}/${encodeURIComponent(code)}`;
  const chartBase = `/charts${base}`;
  const scope = `period=${state.period}&range=${state.range}`;

  el.replaceChildren(loading());
  let card;
  try {
    card = await api(`${base}?${scope}`);
  } catch (err) {
    // nothing of a unit the caller may not see: the message only, no figures (not even how fresh they are)
    el.replaceChildren(h("h1", {}, `${t(`level.${level}`)} ${code}`), errorBox(err));
    return;
  }
  const trail = parseTrail(state.trail);
  const kpis = card.perspectives.flatMap((p) => p.kpis);
  const noData = kpis.every((k) => k.target === null && (k.actual === null || k.actual === 0));
  // a score with no status reads "not loaded yet" when some KPI under it waits for facts (sales or activities)
  const waits = (list) => list.some((k) => kpiNotLoaded(k.code, card));
  const periods = await periodsAsked;

  const header = h("header", { class: "page-head" },
    trail.length ? breadcrumb(trail, `${card.name} (${card.code})`, { period: state.period, range: state.range }) : null,
    level === "account" && ctx.me?.seller_code ? h("p", { class: "back" }, h("a", {
      href: `#/seller/${encodeURIComponent(ctx.me.seller_code)}?${new URLSearchParams({ period: state.period, range: state.range })}`,
    }, t("keyAccount.back"))) : null,
    h("h1", {}, `${card.name} `, h("span", { class: "code" }, card.code)),
    markPicker(periodControls(state, ({ period, range }) => ctx.setQuery({ ...params(), period, range })), periods),
    lockBadge(state.period, periods),
    freshnessLine(await statusAsked));
  const noSales = card.no_sales_yet
    ? noSalesNotice(card.period, card.data_through, (month) => `#${ctx.path}?${new URLSearchParams({ ...params(), period: month })}`)
    : null;

  const overall = h("div", { class: "overall" },
    h("div", { class: "big", id: "overall-score" }, fmt.statusPct(card.overall_score)),
    h("div", {}, freshBadge(statusOfScore(card.overall_score), waits(kpis))),
    h("div", { class: "muted" }, t("previous", { value: fmt.statusPct(card.previous_overall_score) })),
    h("div", { class: "muted" }, `${t(`range.${card.range}`)} · ${fmt.month(card.period)}`));

  const perspCards = h("div", { class: "tiles" }, card.perspectives.map((p) => h("div", { class: "tile" },
    h("div", { class: "tile-name" }, localName(p)),
    h("div", { class: "tile-value" }, fmt.statusPct(p.score)),
    freshBadge(statusOfScore(p.score), waits(p.kpis)))));

  const persp = chart(`${chartBase}/perspectives?${scope}`, { name: `perspectives-${code}-${state.period}`, label: t("perspectives") });
  const bullets = chart(`${chartBase}/kpis?${scope}`, { name: `kpis-${code}-${state.period}`, label: t("kpis") });

  // a key account manager's own page links to the scorecards of their key accounts (GET /me)
  const managed = level === "seller" && ctx.me?.seller_code === code ? ctx.me.key_accounts || [] : [];
  const keyAccounts = managed.length ? section(t("seller.keyAccounts"), h("ul", { class: "key-accounts" },
    managed.map((a) => h("li", {}, h("a", {
      href: `#/accounts/${encodeURIComponent(a.code)}?${new URLSearchParams({ period: state.period, range: state.range })}`,
    }, `${a.name} (${a.code})`))))) : null;

  // every KPI with its comments; its name opens its trend below
  const kpiHref = (k) => `#${ctx.path}?${new URLSearchParams({ ...params(), kpi: k.code })}`;
  const kpiList = kpiTable(card, { level, code, me: ctx.me, kpiHref });

  // coaching (a seller's own actions and goal conversations): not on a key account's card, not for finance
  const coaching = level === "seller" && seesCoaching(ctx.me);
  const own = ctx.me?.seller_code === code;
  const actions = coaching ? actionsSection({
    title: t(own ? "actions.mine" : "actions.seller"), query: { level: "seller", code }, me: ctx.me,
    kpis: new Map(kpis.map((k) => [k.code, k])), emptyText: t(own ? "actions.noneMine" : "actions.none"),
    newAction: { level: "seller", code, kpis, period: state.period, owner: () => sellerEmail(code) },
  }) : null;
  // the seller's badges: the goals reached (GET /achievements), not on a key account's card
  const badges = level === "seller" ? badgesSection({ level: "seller", code, limit: 8, title: t("badges.seller") }) : null;
  const goals = coaching ? goalConversations({ sellerCode: code, me: ctx.me, kpis, period: state.period }) : null;

  const kpiSelect = h("select", { name: "kpi" }, kpis.map((k) => h("option", { value: k.code, selected: k.code === state.kpi }, localName(k))));
  const monthsSelect = h("select", { name: "months" }, ["12", "24"].map((m) => h("option", { value: m, selected: m === state.months }, m)));
  const retrend = () => ctx.setQuery({ ...params(), kpi: kpiSelect.value, months: monthsSelect.value });
  kpiSelect.addEventListener("change", retrend);
  monthsSelect.addEventListener("change", retrend);
  const trendKpi = kpis.some((k) => k.code === state.kpi) ? state.kpi : "revenue";
  const trend = chart(`${chartBase}/trend?period=${state.period}&kpi=${encodeURIComponent(trendKpi)}&months=${state.months}`,
    { name: `trend-${code}-${trendKpi}`, label: t("trend") });

  // where the year lands, as of the page's month (not on a month without sales)
  const revenueName = localName(kpis.find((k) => k.code === "revenue") || { name: "revenue" });
  const outlook = noData || card.no_sales_yet ? null : outlookSection({ level, code, period: state.period, revenueName });

  fill(el,
    header,
    noSales,
    noData ? emptyBox(t(level === "account" ? "keyAccount.empty" : "seller.empty")) : null,
    h("div", { class: "grid two" },
      section(t("overall"), overall, perspCards),
      section(t("perspectives"), persp.el)),
    h("section", { class: "card", id: "unit-kpis" }, h("h2", {}, t("kpis")),
      tableDownload({ level, code, period: state.period, range: state.range, table: "kpis" }), kpiList.el),
    keyAccounts,
    badges?.el,
    h("div", { class: "grid two" },
      section(`${t("kpis")}: ${t("attainment").toLowerCase()}`, bullets.el),
      section(t("trend"), h("div", { class: "controls" },
        h("label", {}, t("kpi"), kpiSelect), h("label", {}, t("months"), monthsSelect)), trend.el)),
    outlook?.el,
    actions?.el,
    goals?.el);
  await Promise.all([persp.ready, bullets.ready, trend.ready, actions?.ready, goals?.ready, badges?.ready, outlook?.ready]);
}
