// The wallboard on the office TV: /wall#<display token> (a leader or an administrator makes the token on
// the Wallboards page). Full screen and read-only: it rotates through the unit's ranking, the month against
// target for the unit and each seller, and the latest achievements, a slide every SLIDE_SECONDS; it asks
// GET /api/v1/wall again every `refresh_seconds` the answer names; an achievement it has not seen before
// is celebrated with a short full-screen banner (no movement under prefers-reduced-motion). A 401 (the
// token revoked, or unknown) blanks the wall and says the display was switched off.
// The token stays in the URL's fragment, which the browser never sends: no server log holds it.
// `?lang=nb` or `?lang=en` before the fragment picks the language (else the browser's, as the app);
// `?slide=month` (or ranking, achievements) the slide it starts on.
import { fmt, lang, setLang, t } from "./i18n.js";
import { h } from "./ui.js";

const SLIDE_SECONDS = 10;
const CELEBRATION_SECONDS = 8;
const RETRY_SECONDS = 30;  // before the first answer has said how often to ask
const MAX_PAGES = 4;  // pages of one kind of slide, at most: the rotation stays short on a big unit
// Rows on one slide, by kind: a TV across the room shows few and large.
const ROWS = { landscape: { ranking: 8, sellers: 7, achievements: 6 }, portrait: { ranking: 14, sellers: 10, achievements: 9 } };

const query = new URLSearchParams(location.search);
if (["en", "nb"].includes(query.get("lang"))) setLang(query.get("lang"));
const token = location.hash.replace(/^#/, "").trim();
let start = query.get("slide");
const root = document.getElementById("wall");
const portrait = matchMedia("(orientation: portrait)");
const still = matchMedia("(prefers-reduced-motion: reduce)");

const state = {
  data: null,  // the last answer of GET /wall
  slides: [], index: 0,
  seen: null,  // ids of the achievements shown so far (null before the first answer: those are not news)
  queue: [], celebrating: false,
  off: false, updated: null, failing: false,
};

const clock = new Intl.DateTimeFormat(lang() === "nb" ? "nb-NO" : "en-GB", { hour: "2-digit", minute: "2-digit" });
const isNum = (v) => typeof v === "number" && Number.isFinite(v);
const chunks = (list, size) => {
  const out = [];
  for (let i = 0; i < list.length && out.length < MAX_PAGES; i += size) out.push(list.slice(i, i + size));
  return out;
};
const rows = () => ROWS[portrait.matches ? "portrait" : "landscape"];

// --- words --------------------------------------------------------------------------------------

// A unit of a list: its name, or (a seller, the company showing positions only) "Seller no. 3".
const nameOf = (row) => row.name ?? t("wall.sellerNo", { n: row.position });

function statusWord(status) {
  return t(`wall.status.${status}`) || status;
}

const kpiValue = (kpi, v) => (kpi === "revenue" ? fmt.money(v) : fmt.number(v, 2));

// Who reached an achievement: a seller's or a district's name; without names, the seller's place on the
// month's revenue list.
function achiever(a) {
  if (a.name) return a.name;
  return isNum(a.position) ? t("wall.revenueNo", { n: a.position }) : t("wall.aSeller");
}

function goalText(a) {
  const when = a.period?.length === 4 ? t("wall.theYear", { year: a.period }) : fmt.month(a.period);
  const kpi = a.kpi === "revenue" ? t("wall.revenueWord") : (a.kpi_name || a.kpi);
  return a.threshold === "stretch" ? t("wall.goal.stretch", { kpi, when }) : t("wall.goal.pct", { pct: a.threshold, kpi, when });
}

// --- pieces -------------------------------------------------------------------------------------

function bar(attainment, status) {
  const fill = h("span", { class: `fill st-${status}` });
  fill.style.width = `${Math.max(0, Math.min(1.2, isNum(attainment) ? attainment : 0)) / 1.2 * 100}%`;
  return h("span", { class: "bar", "aria-hidden": "true" }, fill, h("span", { class: "goal-mark" }));
}

function statusCell(status) {
  return h("span", { class: `status st-${status}` }, h("span", { class: "dot", "aria-hidden": "true" }), statusWord(status));
}

function more(list, shown) {
  return list.length > shown ? h("p", { class: "more" }, t("wall.more", { count: list.length - shown })) : null;
}

function slideHead(title, page, pages) {
  return h("h2", { class: "slide-title" }, title, pages > 1 ? h("span", { class: "page-no" }, ` ${page}/${pages}`) : null);
}

// --- slides -------------------------------------------------------------------------------------

function rankingSlides(data) {
  const list = data.ranking;
  if (!list.length) return [];
  const pages = chunks(list, rows().ranking);
  return pages.map((page, i) => h("section", { class: "slide ranking", dataset: { kind: "ranking" }, "aria-label": t("wall.ranking") },
    slideHead(t("wall.ranking"), i + 1, pages.length),
    h("table", { class: "board" },
      h("thead", {}, h("tr", {}, h("th", { scope: "col", class: "pos" }, "#"), h("th", { scope: "col" }, t("wall.name")),
        h("th", { scope: "col", class: "num" }, t("wall.score")), h("th", { scope: "col" }, t("wall.statusHead")),
        h("th", { scope: "col", class: "num" }, t("wall.revenue")))),
      h("tbody", {}, page.map((row) => h("tr", { class: row.position <= 3 ? `top top-${row.position}` : "" },
        h("td", { class: "pos" }, String(row.position)),
        h("th", { scope: "row", class: "who" }, nameOf(row)),
        h("td", { class: "num big" }, fmt.statusPct(row.overall_score)),
        h("td", {}, statusCell(row.status)),
        h("td", { class: "num" }, fmt.statusPct(row.revenue.attainment), bar(row.revenue.attainment, row.revenue.status)))))),
    i === pages.length - 1 ? more(list, pages.flat().length) : null));
}

function unitPanel(data) {
  const k = data.month.unit;
  return h("div", { class: "unit-total" },
    h("p", { class: "label" }, t("wall.unitMonth", { unit: data.unit.level === "company" ? t("wall.company") : data.unit.name })),
    h("p", { class: `huge st-${k.status}` }, fmt.statusPct(k.attainment)),
    bar(k.attainment, k.status),
    h("p", { class: "of" }, t("wall.ofTarget", { actual: fmt.money(k.actual), target: fmt.money(k.target) })),
    isNum(k.stretch) ? h("p", { class: "stretch" }, t("wall.stretch", { value: fmt.money(k.stretch) })) : null,
    h("p", {}, statusCell(k.status)));
}

function monthSlides(data) {
  const sellers = data.month.sellers;
  const pages = sellers.length ? chunks(sellers, rows().sellers) : [[]];
  return pages.map((page, i) => h("section", { class: "slide month", dataset: { kind: "month" }, "aria-label": t("wall.month") },
    slideHead(t("wall.monthTitle", { month: fmt.month(data.period) }), i + 1, pages.length),
    h("div", { class: "month-grid" },
      unitPanel(data),
      page.length ? h("table", { class: "board sellers" },
        h("thead", {}, h("tr", {}, h("th", { scope: "col", class: "pos" }, "#"), h("th", { scope: "col" }, t("wall.seller")),
          h("th", { scope: "col", class: "num" }, t("wall.actual")), h("th", { scope: "col", class: "num" }, t("wall.attainment")))),
        h("tbody", {}, page.map((row) => h("tr", {},
          h("td", { class: "pos" }, String(row.position)),
          h("th", { scope: "row", class: "who" }, nameOf(row)),
          h("td", { class: "num" }, fmt.money(row.revenue.actual)),
          h("td", { class: `num st-${row.revenue.status}` }, fmt.statusPct(row.revenue.attainment), bar(row.revenue.attainment, row.revenue.status))))))
        : h("p", { class: "empty" }, t("wall.noSellers"))),
    i === pages.length - 1 ? more(sellers, pages.flat().length) : null));
}

function achievementCard(a) {
  return h("li", { class: `achievement${a.revised ? " revised" : ""}`, dataset: { id: a.id } },
    h("span", { class: "medal", "aria-hidden": "true" }, a.threshold === "stretch" ? "★" : a.threshold === "120" ? "◆" : "●"),
    h("span", { class: "what" }, h("strong", {}, achiever(a)), h("span", {}, goalText(a)),
      h("span", { class: "figures" }, `${kpiValue(a.kpi, a.actual)} / ${kpiValue(a.kpi, a.goal)}`,
        a.revised ? h("em", {}, ` · ${t("wall.revised")}`) : null)));
}

function achievementSlides(data) {
  const list = data.achievements;
  const pages = list.length ? chunks(list, rows().achievements) : [[]];
  return pages.map((page, i) => h("section", { class: "slide achievements", dataset: { kind: "achievements" }, "aria-label": t("wall.achievements") },
    slideHead(t("wall.achievements"), i + 1, pages.length),
    page.length ? h("ul", { class: "achievement-list" }, page.map(achievementCard)) : h("p", { class: "empty" }, t("wall.noAchievements"))));
}

// --- the board ----------------------------------------------------------------------------------

function header(data) {
  const unit = data.unit.level === "company" ? t("wall.company") : data.unit.name;
  return h("header", { class: "wall-head" },
    h("h1", {}, unit, h("span", { class: "sub" }, ` · ${fmt.month(data.period)}`)),
    h("p", { class: `updated${state.failing ? " failing" : ""}`, id: "wall-updated" },
      state.failing ? t("wall.offline", { time: clock.format(state.updated) }) : t("wall.updated", { time: clock.format(state.updated) })));
}

function dots() {
  return h("nav", { class: "dots", "aria-label": t("wall.slides") },
    state.slides.map((s, i) => h("span", { class: i === state.index ? "dot on" : "dot", "aria-current": i === state.index ? "true" : null,
      title: s.getAttribute("aria-label") })));
}

function draw() {
  const data = state.data;
  if (state.off || !data) return;
  if (!data.period) {
    root.replaceChildren(header(data), h("div", { class: "slides" }, h("p", { class: "empty center" }, t("wall.noData"))));
    return;
  }
  state.slides = [...rankingSlides(data), ...monthSlides(data), ...achievementSlides(data)];
  if (start) {  // the first answer: the slide the URL asks for
    state.index = Math.max(0, state.slides.findIndex((s) => s.dataset.kind === start));
    start = null;
  }
  state.index = state.index % state.slides.length;
  state.slides.forEach((s, i) => { s.hidden = i !== state.index; });
  root.replaceChildren(header(data), h("div", { class: "slides" }, state.slides), dots(), celebrationBox());
  showCelebration();
}

function next() {
  if (state.off || state.celebrating || state.slides.length < 2) return;
  state.index = (state.index + 1) % state.slides.length;
  state.slides.forEach((s, i) => { s.hidden = i !== state.index; });
  root.querySelector(".dots")?.replaceWith(dots());
}

// --- celebrating --------------------------------------------------------------------------------

let celebration = null;

function celebrationBox() {
  celebration ??= h("div", { class: "celebration", id: "celebration", role: "status", hidden: true });
  return celebration;
}

function confetti() {
  if (still.matches) return null;
  return h("div", { class: "confetti", "aria-hidden": "true" }, Array.from({ length: 36 }, (_, i) => {
    const piece = h("span", { class: `c${i % 6}` });
    piece.style.left = `${(i * 37) % 100}%`;
    piece.style.animationDelay = `${(i % 9) * 0.18}s`;
    return piece;
  }));
}

function showCelebration() {
  const box = celebrationBox();
  if (state.celebrating || !state.queue.length) return;
  const a = state.queue.shift();
  state.celebrating = true;
  box.replaceChildren(...[confetti()].filter(Boolean), h("div", { class: `banner${still.matches ? "" : " moving"}` },
    h("p", { class: "cheer" }, t("wall.cheer")),
    h("p", { class: "who" }, achiever(a)),
    h("p", { class: "goal" }, goalText(a)),
    h("p", { class: "figures" }, `${kpiValue(a.kpi, a.actual)} / ${kpiValue(a.kpi, a.goal)}`)));
  box.dataset.id = a.id;
  box.hidden = false;
  setTimeout(() => {
    box.hidden = true;
    box.replaceChildren();
    state.celebrating = false;
    showCelebration();
  }, CELEBRATION_SECONDS * 1000);
}

function noteAchievements(list) {
  if (state.seen === null) {  // the first answer: what is on the wall already is no news
    state.seen = new Set(list.map((a) => a.id));
    return;
  }
  // oldest first, so the banner tells them in the order they happened
  const fresh = list.filter((a) => !state.seen.has(a.id) && !a.revised).reverse();
  list.forEach((a) => state.seen.add(a.id));
  state.queue.push(...fresh);
}

// --- asking -------------------------------------------------------------------------------------

function switchedOff() {
  state.off = true;
  state.data = null;
  state.slides = [];
  state.queue = [];
  root.replaceChildren(h("div", { class: "off", role: "status", id: "wall-off" },
    h("h1", {}, t("wall.off")), h("p", {}, t("wall.offHint"))));
}

async function poll() {
  let wait = state.data?.refresh_seconds || RETRY_SECONDS;
  try {
    const res = await fetch("/api/v1/wall", { headers: { Authorization: `Bearer ${token}` }, cache: "no-store" });
    if (res.status === 401) {
      switchedOff();
    } else if (res.ok) {
      const data = await res.json();
      state.off = false;
      state.failing = false;
      state.updated = new Date();
      state.data = data;
      wait = data.refresh_seconds;
      noteAchievements(data.achievements);
      draw();
    } else {
      throw new Error(String(res.status));
    }
  } catch {
    // out of reach, or the server had a problem: the last figures stay up, marked as not fresh
    state.failing = true;
    if (state.data) root.querySelector("#wall-updated")?.replaceWith(header(state.data).querySelector("#wall-updated"));
  }
  setTimeout(poll, Math.max(1, wait) * 1000);
}

if (!token) {
  root.replaceChildren(h("div", { class: "off", role: "status" }, h("h1", {}, t("wall.noToken")), h("p", {}, t("wall.noTokenHint"))));
} else {
  setInterval(next, SLIDE_SECONDS * 1000);
  portrait.addEventListener("change", draw);
  poll();
}
