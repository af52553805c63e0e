// Budget control: variance by the chosen dimension and range (with totals), budget against actual
// per month, the waterfall from budget to actual, the year's forecast, and downloads of the table.
import { api, csvStyle, download } from "../api.js";
import { chart } from "../charts.js";
import { fmt, t } from "../i18n.js";
import {
  emptyBox, errorBox, formatDay, freshnessLine, h, loadDataStatus, loading, notice, openPeriod, PERIOD_RE, section, table,
} from "../ui.js";
import { loadPeriods, markPicker, rangeLockBadge, restatements } from "./close.js";

export const key = "budget";
const BYS = ["district", "region", "product", "product_group", "seller", "district,product"];
const MONEY = ["budget_amount", "actual_amount", "variance_amount"];
const EFFECTS = ["price_effect", "volume_effect", "mix_effect"];
const FORECAST = ["budget", "actual_to_date", "budget_remainder", "run_rate", "seasonal"];

function groupCells(row, keys) {
  return keys.map((k) => {
    const code = row[`${k}_code`];
    const name = row[`${k}_name`];
    return h("th", { scope: "row" }, code === null || code === undefined ? "–" : name && name !== code ? `${name} (${code})` : code);
  });
}

export async function render(el, ctx) {
  const q = ctx.query;
  // without a range in the URL: from January through the latest month with sales, never the browser's clock
  const periodsAsked = loadPeriods();  // the locked months: a badge beside the range, marked in its pickers
  const fresh = await loadDataStatus();
  const last = openPeriod(fresh);
  const state = {
    from: PERIOD_RE.test(q.get("from") || "") ? q.get("from") : `${last.slice(0, 4)}-01`,
    to: PERIOD_RE.test(q.get("to") || "") ? q.get("to") : last,
    by: BYS.includes(q.get("by")) ? q.get("by") : "district",
  };
  ctx.setQuery(state, { replace: true });
  const keys = state.by.split(",");
  const scope = new URLSearchParams({ from: state.from, to: state.to, by: state.by });
  const year = Number(state.to.slice(0, 4));
  // the months of the range whose figures changed since their lock (a snapshot's diff not empty)
  const restated = restatements({ from: state.from, to: state.to });

  const fromInput = h("input", { type: "month", name: "from", value: state.from, required: true });
  const toInput = h("input", { type: "month", name: "to", value: state.to, required: true });
  const bySelect = h("select", { name: "by" }, BYS.map((b) => h("option", { value: b, selected: b === state.by }, t(`by.${b}`))));
  const apply = () => {
    if (PERIOD_RE.test(fromInput.value) && PERIOD_RE.test(toInput.value)) {
      ctx.setQuery({ from: fromInput.value, to: toInput.value, by: bySelect.value });
    }
  };
  [fromInput, toInput, bySelect].forEach((input) => input.addEventListener("change", apply));
  const status = h("div", { class: "download-status", "aria-live": "polite" });
  // a button downloading `what` (variance, forecast) with `args` in `format`, its outcome in `line`
  const downloadButton = (format, what = "variance", args = scope, line = status) => h("button", {
    type: "button", class: "secondary", dataset: { format },
    // the variance's buttons read "CSV" after "Download:"; the forecast's say which table too
    "aria-label": what === "variance" ? null : t("budget.downloadForecast", { format: format.toUpperCase() }),
    onclick: async (event) => {
      const button = event.currentTarget;
      button.disabled = true;
      line.replaceChildren();
      try {
        const name = await download(`/budget/${what}?${args}&format=${format}${format === "csv" ? csvStyle() : ""}`, `${what}.${format}`);
        line.replaceChildren(notice(t("budget.downloaded", { name })));
      } catch (err) {
        line.replaceChildren(errorBox(err));
      } finally {
        button.disabled = false;
      }
    },
  }, format.toUpperCase());

  // a range running past the latest sale: marked, and the forecast counts actuals through that sale's month
  const open = fresh?.open_period;
  const past = Boolean(open && state.to > open);
  const shorter = { from: state.from > open ? `${open.slice(0, 4)}-01` : state.from, to: open, by: state.by };
  const periods = await periodsAsked;
  const header = h("header", { class: "page-head" },
    h("h1", {}, t("budget.title")),
    markPicker(h("div", { class: "controls" },
      h("label", {}, t("budget.from"), fromInput), h("label", {}, t("budget.to"), toInput),
      h("label", {}, t("budget.by"), bySelect)), periods),
    rangeLockBadge(state.from, state.to, periods),
    freshnessLine(fresh),
    past ? h("p", { class: "notice no-sales", role: "status", id: "no-sales" },
      `${t("fresh.budgetPast", { month: fmt.month(open), date: formatDay(fresh.sales_through) })} `,
      h("a", { href: `#${ctx.path}?${new URLSearchParams(shorter)}` },
        t("fresh.budgetOpen", { from: fmt.month(shorter.from), to: fmt.month(open) }))) : null);
  el.replaceChildren(header, loading());

  let variance;
  try {
    variance = await api(`/budget/variance?${scope}`);
  } catch (err) {
    el.replaceChildren(header, errorBox(err));
    return;
  }
  if (!variance.rows.length) {
    el.replaceChildren(header, emptyBox(t("budget.empty")));
    return;
  }
  const num = (v) => h("td", { class: "num" }, fmt.money(v));
  const fav = (v) => h("td", { class: v === null ? "" : v ? "fav" : "unfav" }, v === null ? "–" : v ? t("budget.yes") : t("budget.no"));
  const rows = variance.rows.map((r) => h("tr", {}, groupCells(r, keys), MONEY.map((c) => num(r[c])),
    h("td", { class: "num" }, fmt.pct(r.variance_pct, 1)), fav(r.favorable), EFFECTS.map((c) => num(r[c]))));
  const tot = variance.totals;
  const foot = h("tr", { class: "totals" }, h("th", { scope: "row", colspan: keys.length }, t("budget.total")),
    MONEY.map((c) => num(tot[c])), h("td", { class: "num" }, fmt.pct(tot.variance_pct, 1)), fav(tot.favorable ?? null),
    EFFECTS.map((c) => num(tot[c])));
  const varianceTable = table([...keys.map((k) => t(`by.${k}`)), t("budget.budget"), t("budget.actual"),
    t("budget.varianceAmount"), t("budget.variancePct"), t("budget.favorable"), t("budget.price"), t("budget.volume"),
    t("budget.mix")], rows, { foot, label: t("budget.variance"), sticky: keys.length });

  const monthly = chart(`/charts/budget/monthly?${scope}`, { name: `budget-vs-actual-${state.from}-${state.to}`, label: t("budget.monthly") });
  const waterfall = chart(`/charts/budget/waterfall?${scope}`, { name: `waterfall-${state.from}-${state.to}`, label: t("budget.waterfall") });
  // past the latest sale, the API's default as_of: the latest sale's month (capped at the year's end and at the
  // last complete month); the heading then says the month the answer used
  const asOf = past ? open : state.to;
  // a year after the latest sale's has nothing to count yet (the API answers 422): no forecast, a line saying why
  const noSalesYear = Boolean(open && year > Number(open.slice(0, 4)));
  let forecastSection;
  let forecastReady = Promise.resolve();
  if (noSalesYear) {
    forecastSection = section(t("budget.forecastYear", { year }), h("p", { class: "notice", role: "status", id: "no-forecast" },
      t("budget.noForecast", { year, month: fmt.month(open) })));
  } else {
    const forecastArgs = new URLSearchParams({ year, ...(past ? {} : { as_of: state.to }), by: state.by });
    const forecast = chart(`/charts/budget/forecast?${forecastArgs}`, { name: `forecast-${year}`, label: t("budget.forecast", { year, as_of: asOf }) });
    const forecastTable = h("div", {}, loading());
    const forecastStatus = h("div", { class: "download-status", "aria-live": "polite" });
    const forecastDownloads = h("div", { class: "downloads", id: "forecast-downloads" }, h("span", {}, t("budget.download")),
      ["csv", "xlsx", "parquet"].map((format) => downloadButton(format, "forecast", forecastArgs, forecastStatus)));
    forecastSection = section(t("budget.forecast", { year, as_of: fmt.month(asOf) }), forecast.el, forecastDownloads,
      forecastStatus, forecastTable);
    forecastReady = forecast.ready;
    api(`/budget/forecast?${forecastArgs}`).then((f) => {
      forecastSection.querySelector("h2").textContent = t("budget.forecast", { year, as_of: fmt.month(f.as_of) });
      const frows = f.rows.map((r) => h("tr", {}, groupCells(r, keys), FORECAST.map((c) => num(r[c]))));
      const ffoot = h("tr", { class: "totals" }, h("th", { scope: "row", colspan: keys.length }, t("budget.total")),
        FORECAST.map((c) => num(f.totals[c])));
      forecastTable.replaceChildren(table([...keys.map((k) => t(`by.${k}`)), ...FORECAST.map((c) => t(`forecast.${c}`))], frows,
        { foot: ffoot, label: t("budget.forecastYear", { year }), sticky: keys.length }));
    }).catch((err) => forecastTable.replaceChildren(errorBox(err)));
  }

  el.replaceChildren(header,
    restated.el,
    section(t("budget.variance"),
      h("div", { class: "downloads" }, h("span", {}, t("budget.download")), ["csv", "xlsx", "parquet"].map((format) => downloadButton(format))),
      status, varianceTable),
    h("div", { class: "grid two" },
      section(t("budget.monthly"), monthly.el),
      section(t("budget.waterfall"), waterfall.el)),
    forecastSection,
    h("p", {}, h("a", { href: "#/tokens" }, t("nav.tokens"))));
  await Promise.all([monthly.ready, waterfall.ready, forecastReady, restated.ready]);
}
