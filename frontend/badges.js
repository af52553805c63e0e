// Achievements as badges (GET /achievements): the goals a seller or a team reached, newest first, each
// with its threshold (100 %, 120 %, stretch), its period, the goal and the day it was reached, and
// "since revised" where a later correction took the unit back below it. The seller page shows the
// seller's; the team page the latest of the team (the unit and everything below it).
import { api } from "./api.js";
import { fmt, t } from "./i18n.js";
import { formatDay, h, section } from "./ui.js";

// marks every font has (no emoji: a TV or a kiosk browser may have no emoji font)
const ICONS = { 100: "✓", 120: "▲", stretch: "★" };

// 'YYYY-MM' as its month, 'YYYY' as its fiscal year
const periodText = (period) => (period.length === 4 ? t("badges.year", { year: period }) : fmt.month(period));

function badge(item, { withName }) {
  const what = t(`badges.threshold.${item.threshold}`);
  const kpi = item.kpi === "revenue" ? t("badges.revenue") : item.kpi_name;
  return h("li", { class: `badge${item.revised ? " revised" : ""}`, dataset: { threshold: item.threshold } },
    h("span", { class: "badge-icon", "aria-hidden": "true" }, ICONS[item.threshold] || "✓"),
    h("span", { class: "badge-text" },
      h("strong", {}, withName ? `${item.name}: ` : "", `${what} · ${kpi}`), " ",
      h("span", {}, periodText(item.period)),
      h("span", { class: "muted" }, " · ", t("badges.goal", { goal: fmt.kpi(item.goal, item.kpi === "revenue" ? "currency" : undefined),
        day: formatDay(item.reached_at) })),
      item.revised ? h("span", { class: "badge-revised" }, " ", t("badges.revised")) : null));
}

// A card listing the achievements of the unit (`level`, `code`: '-' for the company), at most `limit`;
// `withName`: each badge names its seller or district (a team's list).
export function badgesSection({ level, code, limit = 8, withName = false, title }) {
  const list = h("ul", { class: "badges" });
  const body = h("div", {}, h("p", { class: "muted" }, t("loading")));
  const el = section(title, body);
  const ready = api(`/achievements?${new URLSearchParams({ level, code, limit: String(limit) })}`).then((found) => {
    if (!found.items.length) { body.replaceChildren(h("p", { class: "muted" }, t("badges.none"))); return; }
    list.replaceChildren(...found.items.map((item) => badge(item, { withName })));
    body.replaceChildren(list);
  }).catch(() => { el.hidden = true; });  // no badges is no reason to spoil the page
  el.id = "badges";
  return { el, ready };
}
