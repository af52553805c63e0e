// The year's outlook of a unit (GET /scorecards/{level}/{code}/outlook): a fan chart of one KPI (the
// year to date, then the 80 % band and the most likely landing to December, the target as a line), the
// KPI picked beside it, and a table of every KPI that adds up over time: the year's target, the actual
// to date, where the year lands (p10–p90, p50) and the chance of reaching the target. The seller page
// and the team page show it for the month they show (`period`, as of its end).
import { api } from "./api.js";
import { chart } from "./charts.js";
import { fmt, lang, t } from "./i18n.js";
import { errorBox, h, section, table } from "./ui.js";
import { tableDownload } from "./pages/steering.js";

// a probability as the table writes it: "< 1 %" and "> 99 %" rather than a certainty it is not
export function chance(p) {
  if (typeof p !== "number") return "–";
  if (p >= 1) return fmt.pct(1);
  if (p > 0.99) return `> ${fmt.pct(0.99)}`;
  if (p < 0.01) return `< ${fmt.pct(0.01)}`;
  return fmt.pct(p);
}

export function outlookSection({ level, code, period, revenueName = "revenue" }) {
  const base = `/scorecards/${level}/${encodeURIComponent(code)}/outlook`;
  // the fan is asked for at once (revenue first: every unit's outlook has it), beside the answer
  const fanOf = (kpi, name) => chart(`/charts${base}?${new URLSearchParams({ as_of: period, kpi })}`,
    { name: `outlook-${code}-${kpi}`, label: t("outlook.fan", { kpi: name }) });
  let fan = fanOf("revenue", revenueName);
  const holder = h("div", {}, fan.el);
  const body = h("div", {}, h("p", { class: "muted" }, t("loading")));
  const el = section(t("outlook.title"), body, holder);
  el.id = "outlook";
  const ready = (async () => {
    let answer;
    try {
      answer = await api(`${base}?${new URLSearchParams({ as_of: period, lang: lang() })}`);
    } catch (err) {
      body.replaceChildren(errorBox(err));
      await fan.ready;
      return;
    }
    const select = h("select", { name: "outlook-kpi" }, answer.kpis.map((k) => h("option", { value: k.kpi, selected: k.kpi === "revenue" }, k.name)));
    select.addEventListener("change", () => {
      fan = fanOf(select.value, answer.kpis.find((k) => k.kpi === select.value).name);
      holder.replaceChildren(fan.el);
    });
    const rows = answer.kpis.map((k) => h("tr", { dataset: { outlookKpi: k.kpi } },
      h("th", { scope: "row" }, k.name),
      h("td", { class: "num" }, fmt.kpi(k.target, k.unit)),
      h("td", { class: "num" }, fmt.kpi(k.actual_to_date, k.unit)),
      h("td", { class: "num" }, k.p10 === null ? "–" : `${fmt.kpi(k.p10, k.unit)} – ${fmt.kpi(k.p90, k.unit)}`),
      h("td", { class: "num" }, fmt.kpi(k.p50, k.unit)),
      h("td", { class: "num probability" }, chance(k.probability)),
      h("td", {}, t(`outlook.basis.${k.basis}`))));
    const list = table([t("kpi"), t("outlook.target"), t("outlook.toDate"), t("outlook.band"), t("outlook.p50"),
      t("outlook.probability"), t("outlook.basis")], rows, { label: t("outlook.title") });
    body.replaceChildren(
      h("p", { class: "muted" }, t("outlook.asOf", { month: fmt.month(answer.as_of), year: String(answer.year) }),
        " ", t("outlook.howToRead"), answer.band === "model" ? ` ${t("outlook.model")}` : ""),
      h("div", { class: "controls" }, h("label", {}, t("kpi"), select)));
    el.append(tableDownload({ level, code, period, range: "ytd", table: "outlook" }), list);
    await fan.ready;
  })();
  return { el, ready };
}
