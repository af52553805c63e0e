// A leader's team: what needs attention below the unit (red KPIs, their area and why, with comments and
// coaching actions), the unit's own scorecard (a tile per perspective opens its KPIs, each KPI with its
// comments), the unit's open and overdue actions, the units or sellers below ranked and a heatmap of
// their attainment per KPI; click a row to drill down, the breadcrumb leads back up.
import { api } from "../api.js";
import { chart } from "../charts.js";
import { fmt, localName, t } from "../i18n.js";
import {
  breadcrumb, emptyBox, errorBox, freshnessLine, h, loadDataStatus, loading, noSalesNotice, openPeriod, parseTrail,
  PERIOD_RE, periodControls, RANGES, section, freshBadge, kpiNotLoaded, statusOfScore, table, trailText,
} from "../ui.js";
import { actionsSection, attentionPanel, kpiTable, meetingPack, perspectiveTiles, seesCoaching, tableDownload } from "./steering.js";
import { loadPeriods, lockBadge, markPicker } from "./close.js";
import { badgesSection } from "../badges.js";
import { chance, outlookSection } from "../outlook.js";

export const key = "team";
const MARKS = { stretch: "★", green: "✓", amber: "!", red: "✗", none: "" };

export async function render(el, ctx) {
  const [level, code] = ctx.match;
  const q = ctx.query;
  // without a period in the URL the page opens on the latest month with sales, never on the browser's clock
  const statusAsked = loadDataStatus();
  const periodsAsked = loadPeriods();  // the locked months: a badge beside the period, marked in its picker
  const state = {
    period: PERIOD_RE.test(q.get("period") || "") ? q.get("period") : openPeriod(await statusAsked),
    range: RANGES.includes(q.get("range")) ? q.get("range") : "ytd",
    trail: q.get("trail") || "",
    kpi: q.get("kpi") || "",  // a KPI to show: its perspective opens, its row is marked
  };
  const params = () => {
    const p = { period: state.period, range: state.range };
    if (state.trail) p.trail = state.trail;
    if (state.kpi) p.kpi = state.kpi;
    return p;
  };
  ctx.setQuery(params(), { replace: true });
  const base = `/scorecards/${level}/${encodeURIComponent(code)}`;
  const scope = `period=${state.period}&range=${state.range}`;

  el.replaceChildren(loading());
  let found, card;
  try {
    [found, card] = await Promise.all([api(`${base}/children?${scope}`), api(`${base}?${scope}`)]);
  } catch (err) {
    el.replaceChildren(h("h1", {}, `${t(`level.${level}`)} ${code === "-" ? "" : code}`), errorBox(err));
    return;
  }
  const kpis = card.perspectives.flatMap((p) => p.kpis);  // the scorecard's display order
  const kpiByCode = new Map(kpis.map((k) => [k.code, k]));
  // a score with no status reads "not loaded yet" when some KPI under it waits for facts (sales or activities)
  const waits = (list, answer) => list.some((k) => kpiNotLoaded(k.code, answer));
  const trail = parseTrail(state.trail);
  const here = level === "company" ? t("level.company") : `${t(`level.${level}`)} ${found.name} (${found.code})`;
  const downTrail = trailText([...trail, { level, code }]);
  const linkFor = (child) => {
    const p = new URLSearchParams({ period: state.period, range: state.range, trail: downTrail });
    return child.level === "seller" ? `#/seller/${encodeURIComponent(child.code)}?${p}`
      : `#/team/${child.level}/${encodeURIComponent(child.code)}?${p}`;
  };
  // A unit anywhere below (an attention item, an action): its page, with the trail through its district
  // for a seller two levels down; `kpi` picks the KPI shown there.
  const unitHref = (unit, kpi) => {
    const steps = [...trail, { level, code }];
    if (unit.level === level && unit.code === code) steps.pop();
    else if (unit.level === "seller" && unit.district_code && !(level === "district" && code === unit.district_code)) {
      steps.push({ level: "district", code: unit.district_code });
    }
    const p = new URLSearchParams({ period: state.period, range: state.range });
    if (steps.length) p.set("trail", trailText(steps));
    if (kpi) p.set("kpi", kpi);
    if (unit.level === "seller") return `#/seller/${encodeURIComponent(unit.code)}?${p}`;
    if (["company", "region", "district"].includes(unit.level)) return `#/team/${unit.level}/${encodeURIComponent(unit.code)}?${p}`;
    return `#/accounts/${encodeURIComponent(unit.code)}?${p}`;
  };
  const ranked = [...found.children].sort((a, b) =>
    (a.overall_score === null) - (b.overall_score === null) || (b.overall_score ?? 0) - (a.overall_score ?? 0)
    || a.code.localeCompare(b.code));

  const coaching = seesCoaching(ctx.me);
  const periods = await periodsAsked;
  const header = h("header", { class: "page-head" },
    // the way back up; none on the top unit a login opens (it would only repeat the title)
    trail.length ? breadcrumb(trail, here, { period: state.period, range: state.range }) : null,
    h("h1", {}, level === "company" ? t("level.company") : `${found.name} `, level === "company" ? null : h("span", { class: "code" }, found.code)),
    markPicker(periodControls(state, ({ period, range }) => ctx.setQuery({ ...params(), period, range })), periods),
    lockBadge(state.period, periods),
    freshnessLine(await statusAsked),
    card.no_sales_yet
      ? noSalesNotice(card.period, card.data_through, (month) => `#${ctx.path}?${new URLSearchParams({ ...params(), period: month })}`)
      : null,
    coaching && ranked.length ? meetingPack({ level, code, period: state.period, range: state.range }) : null);

  if (!ranked.length) {
    el.replaceChildren(header, emptyBox(t("team.empty", { name: level === "company" ? t("level.company") : found.name })));
    return;
  }
  const rows = ranked.map((c, i) => {
    const href = linkFor(c);
    // the name's link is the keyboard's way down; a click anywhere on the row is the mouse's shortcut
    // (the row itself is no control: one inside another is axe's nested-interactive)
    const tr = h("tr", { class: "clickable", dataset: { code: c.code, href } },
      h("td", { class: "num" }, String(i + 1)),
      h("th", { scope: "row" }, h("a", { href }, `${c.name} (${c.code})`)),
      h("td", { class: "num" }, fmt.statusPct(c.overall_score)),
      h("td", {}, freshBadge(statusOfScore(c.overall_score), waits(kpis, found))),
      kpis.map((k) => {
        const v = c.kpis[k.code];
        const st = v?.status || "none";
        // the status as a mark too, not by the cell colour alone; no status in a month not loaded is not "no target"
        const word = st === "none" && kpiNotLoaded(k.code, found) ? t("status.notLoaded") : t(`status.${st}`);
        // the stretch, where the KPI has one, in the cell's title beside its status
        const title = typeof v?.stretch === "number" ? `${word} · ${t("stretch")} ${fmt.kpi(v.stretch, k.unit)}` : word;
        return h("td", { class: `num cell-${st}`, title },
          h("span", { class: "mark" }, MARKS[st]), " ", v ? fmt.kpi(v.actual, k.unit) : "–");
      }));
    tr.addEventListener("click", (event) => { if (!event.target.closest("a")) location.hash = href; });
    return tr;
  });
  // the chance of reaching the year's revenue target beside each unit's overall score and status (GET
  // .../children/outlook), filled in when it comes; "Rank by" sorts the ranking by it or by the score
  const chanceCells = new Map(rows.map((tr) => {
    const td = h("td", { class: "num chance" }, "…");
    tr.children[3].after(td);
    return [tr.dataset.code, td];
  }));
  const chanceHead = t("team.chance");
  const ranking = table([t("team.rank"), t("team.name"), t("overall"), t("status"), chanceHead, ...kpis.map((k) => localName(k))], rows,
    { label: t("team.ranked"), sticky: 2, className: "ranking" });
  const chances = new Map();
  const sortSelect = h("select", { name: "rank-by" },
    h("option", { value: "overall" }, t("team.sort.overall")),
    h("option", { value: "chance" }, t("team.sort.chance")));
  const resort = () => {
    const byChance = sortSelect.value === "chance";
    const order = byChance
      ? [...ranked].sort((a, b) => (chances.get(b.code) ?? -1) - (chances.get(a.code) ?? -1) || a.code.localeCompare(b.code))
      : ranked;
    const byCode = new Map(rows.map((tr) => [tr.dataset.code, tr]));
    const body = rows[0].parentNode;
    order.forEach((c, i) => { const tr = byCode.get(c.code); tr.firstChild.textContent = String(i + 1); body.append(tr); });
    const heads = ranking.querySelectorAll("thead th");
    heads.forEach((th) => th.removeAttribute("aria-sort"));
    heads[byChance ? 4 : 2].setAttribute("aria-sort", "descending");
  };
  sortSelect.addEventListener("change", resort);
  const chancesReady = api(`${base}/children/outlook?${new URLSearchParams({ as_of: state.period })}`).then((answer) => {
    for (const child of answer.children) chances.set(child.code, child.kpis.revenue?.probability ?? null);
  }).catch(() => {}).finally(() => {
    for (const [c, td] of chanceCells) {
      const p = chances.get(c);
      td.textContent = chance(p);
      td.dataset.probability = typeof p === "number" ? String(p) : "";
    }
    resort();
  });
  const revenueName = localName(kpiByCode.get("revenue") || { name: "revenue" });
  const outlook = card.no_sales_yet ? null : outlookSection({ level, code, period: state.period, revenueName });

  const byLabel = new Map(ranked.map((c) => [`${c.name} (${c.code})`, c]));
  const heat = chart(`/charts${base}/heatmap?${scope}`, {
    name: `team-${level}-${code}-${state.period}`, label: t("team.heatmap"), wide: true,
    onClick: (event) => { const c = byLabel.get(event.points?.[0]?.y); if (c) location.hash = linkFor(c); },
  });
  const persp = chart(`/charts${base}/perspectives?${scope}`, { name: `perspectives-${level}-${code}`, label: t("perspectives") });
  const downloadOf = (table) => tableDownload({ level, code, period: state.period, range: state.range, table });

  // the unit's own KPIs: a perspective's rows open from its tile; the KPI the URL names opens its perspective
  const shown = card.perspectives.find((p) => p.kpis.some((k) => k.code === state.kpi));
  const own = kpiTable(card, { level, code, me: ctx.me, collapsible: true, open: new Set(shown ? [shown.key] : []), focusKpi: state.kpi });
  const actions = coaching ? actionsSection({
    title: t("actions.open"), query: { level, code, status: "open" }, me: ctx.me, kpis: kpiByCode,
    unitHref: (a) => unitHref(a), emptyText: t("actions.noneOpen"),
  }) : null;
  // the team's latest achievements: the unit's own and those of everything below it (GET /achievements)
  const badges = badgesSection({ level, code, limit: 6, withName: true, title: t("badges.team") });
  const attention = attentionPanel({
    level, code, period: state.period, range: state.range, me: ctx.me, kpis: kpiByCode,
    hrefFor: (item, kpi) => unitHref(item, kpi), onAction: () => actions?.refresh(),
  });

  el.replaceChildren(
    header,
    attention.el,
    h("div", { class: "grid two" },
      section(t("team.own"), h("div", { class: "overall" },
        h("div", { class: "big", id: "overall-score" }, fmt.statusPct(card.overall_score)),
        h("div", {}, freshBadge(statusOfScore(card.overall_score), waits(kpis, card))),
        h("div", { class: "muted" }, t("previous", { value: fmt.statusPct(card.previous_overall_score) })),
        h("div", { class: "muted" }, `${t(`range.${card.range}`)} · ${fmt.month(card.period)}`)),
        h("p", { class: "muted" }, t("team.tilesHint")),
        perspectiveTiles(card, own.groups, { waits: (list) => waits(list, card) })),
      section(t("perspectives"), persp.el)),
    h("section", { class: "card", id: "unit-kpis" }, h("h2", {}, t("team.ownKpis")), downloadOf("kpis"), own.el),
    actions?.el,
    badges.el,
    section(t("team.ranked"), downloadOf("ranking"),
      h("div", { class: "controls" }, h("label", {}, t("team.sortBy"), sortSelect)), ranking),
    outlook?.el,
    section(t("team.heatmap"), downloadOf("heatmap"), heat.el));
  if (shown) own.el.querySelector(`tr[data-kpi="${CSS.escape(state.kpi)}"]`)?.scrollIntoView({ block: "center" });
  await Promise.all([heat.ready, persp.ready, attention.ready, actions?.ready, badges.ready, chancesReady, outlook?.ready]);
}
