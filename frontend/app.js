// The shell: top bar, language switch, and a small hash router. Page state a person would share
// (period, range, unit, budget range) lives in the URL: #/seller/S148?period=2026-10&range=ytd
import { api, clearToken, getToken } from "./api.js";
import { whenPlotly } from "./charts.js";
import { lang, setLang, t } from "./i18n.js";
import { errorBox, h, loading } from "./ui.js";
import * as loginPage from "./pages/login.js";
import * as sellerPage from "./pages/seller.js";
import * as teamPage from "./pages/team.js";
import * as budgetPage from "./pages/budget.js";
import * as tokensPage from "./pages/tokens.js";
import * as adminPage from "./pages/admin.js";
import * as accountPage from "./pages/account.js";
import * as closePage from "./pages/close.js";
import * as displaysPage from "./pages/displays.js";

const ROUTES = [
  [/^\/login$/, loginPage],
  [/^\/seller\/([^/]+)$/, sellerPage],
  [/^\/accounts\/([^/]+)$/, sellerPage.accountPage],  // a key account's scorecard (#/account: the login's page)
  [/^\/team\/(company|region|district)\/([^/]+)$/, teamPage],
  [/^\/budget$/, budgetPage],
  [/^\/close$/, closePage],  // the month-end close and reports by e-mail (finance, administrators, leaders)
  [/^\/tokens$/, tokensPage],
  [/^\/displays$/, displaysPage],  // display tokens for the wallboard at /wall (leaders, administrators)
  [/^\/admin$/, adminPage],
  [/^\/account$/, accountPage],
];

const CHART_PAGES = new Set(["seller", "team", "budget"]);

let me = null;
const view = document.getElementById("view");

export function homeFor(user) {
  if (!user) return "#/login";
  if (user.role === "seller") return user.seller_code ? `#/seller/${encodeURIComponent(user.seller_code)}` : null;
  if (user.role === "leader") {
    const unit = user.units[0];
    if (!unit) return null;
    if (unit === "company") return "#/team/company/-";
    const [level, code] = unit.split(":");
    return `#/team/${level}/${encodeURIComponent(code)}`;
  }
  if (user.role === "finance") return "#/budget";
  return "#/admin";
}

function parseHash() {
  const raw = location.hash.replace(/^#/, "") || "/";
  const [path, query = ""] = raw.split("?");
  return { path, query: new URLSearchParams(query) };
}

function navLinks(user) {
  const links = [];
  const home = homeFor(user);
  if (user.role === "seller" && home) links.push([home, t("nav.scorecard"), "seller"]);
  if (user.role !== "seller") {
    const team = user.role === "leader" ? home : "#/team/company/-";
    if (team) links.push([team, t("nav.team"), "team"]);
    links.push(["#/budget", t("nav.budget"), "budget"]);
    links.push(["#/close", t("nav.close"), "close"]);
  }
  if (["leader", "admin"].includes(user.role)) links.push(["#/displays", t("nav.displays"), "displays"]);
  links.push(["#/tokens", t("nav.tokens"), "tokens"]);
  if (user.role === "admin") links.push(["#/admin", t("nav.admin"), "admin"]);
  links.push(["#/account", t("nav.account"), "account"]);
  return links;
}

// The top bar: the brand, then the navigation, who is signed in, the language and sign-out. On a phone these
// sit behind a menu button (style.css), so the bar takes one line; a link followed, or Escape, closes it.
function renderTopbar(active) {
  const bar = document.getElementById("topbar");
  bar.classList.remove("open");
  const langSelect = h("select", { id: "lang", "aria-label": t("lang.label") },
    h("option", { value: "en", selected: lang() === "en" }, "English"),
    h("option", { value: "nb", selected: lang() === "nb" }, "Norsk bokmål"));
  langSelect.addEventListener("change", () => { setLang(langSelect.value); route(); });
  const brand = h("a", { class: "brand", href: me ? homeFor(me) || "#/" : "#/login" }, t("app.title"));
  const langLabel = h("label", { class: "lang" }, h("span", { class: "visually-hidden" }, t("lang.label")), langSelect);
  document.title = t("app.title");
  if (!me) {
    bar.replaceChildren(brand, h("div", { class: "right" }, langLabel));
    return;
  }
  const toggle = h("button", { type: "button", class: "menu-toggle", id: "menu-toggle", "aria-expanded": "false", "aria-controls": "topbar-menu" },
    h("span", { class: "menu-icon", "aria-hidden": "true" }, "☰"), t("menu"));
  const setOpen = (open) => {
    bar.classList.toggle("open", open);
    toggle.setAttribute("aria-expanded", String(open));
    toggle.firstChild.textContent = open ? "✕" : "☰";
  };
  toggle.addEventListener("click", () => setOpen(!bar.classList.contains("open")));
  const nav = h("nav", { class: "nav", "aria-label": "main" },
    navLinks(me).map(([href, text, key]) => h("a", { href, class: key === active ? "active" : "", "aria-current": key === active ? "page" : null }, text)));
  nav.addEventListener("click", (event) => { if (event.target.closest("a")) setOpen(false); });
  const right = h("div", { class: "right" },
    h("span", { class: "who" }, `${t("signedInAs")} `, h("strong", { id: "me-email" }, me.email), ` (${t(`role.${me.role}`)})`),
    langLabel,
    h("button", { type: "button", class: "secondary", id: "logout", onclick: signOut }, t("signout")));
  const menu = h("div", { class: "menu", id: "topbar-menu" }, nav, right);
  bar.onkeydown = (event) => {  // one handler however often the bar is drawn
    if (event.key === "Escape" && bar.classList.contains("open")) { setOpen(false); toggle.focus(); }
  };
  bar.replaceChildren(brand, toggle, menu);
}

function signOut() {
  clearToken();
  me = null;
  location.hash = "#/login";
}

export async function signedIn() {
  me = await api("/me");
  return me;
}

// each call of route() is one navigation; a page still loading when the user has gone on to another one
// must not write its URL over the new one (its view is already gone from the page)
let navigation = 0;

export async function route() {
  const mine = ++navigation;
  const current = () => mine === navigation;
  const { path, query } = parseHash();
  if (!getToken()) {
    me = null;
    if (path !== "/login") sessionStorage.setItem("afterLogin", location.hash);
    if (path !== "/login") { location.hash = "#/login"; return; }
  } else if (!me) {
    view.replaceChildren(loading());
    try { await signedIn(); } catch (err) { if (err.status !== 401 && current()) view.replaceChildren(errorBox(err)); return; }
    if (!current()) return;
  }
  if (path === "/" || path === "") {
    if (!me) { location.hash = "#/login"; return; }
    const home = homeFor(me);
    if (home) { location.replace(home); return; }
    renderTopbar("");
    view.replaceChildren(h("p", { class: "notice" }, t("login.noHome")));
    return;
  }
  for (const [pattern, page] of ROUTES) {
    const match = pattern.exec(path);
    if (!match) continue;
    renderTopbar(page.key);
    // a page that draws charts: plotly.js starts downloading now, beside the page's own API calls, not
    // once its first figure's data is in (the sign-in page never asks for it)
    if (CHART_PAGES.has(page.key)) whenPlotly().catch(() => {});  // a failure shows on each chart
    const ctx = {
      me, query, match: match.slice(1).map(decodeURIComponent), path,
      // write the page's state into the URL; `replace` keeps the history entry (defaults filled in)
      setQuery(params, { replace = false } = {}) {
        if (!current()) return;
        const hash = `#${path}?${new URLSearchParams(params)}`;
        if (replace) history.replaceState(null, "", hash); else location.hash = hash;
      },
      afterLogin: (user) => { me = user; const back = sessionStorage.getItem("afterLogin"); sessionStorage.removeItem("afterLogin");
        location.hash = back && !back.startsWith("#/login") && back !== "#/" && back !== "" ? back : homeFor(user) || "#/"; },
      homeFor,
      signedIn,
    };
    const container = h("div", { class: "page", dataset: { page: page.key } });
    view.replaceChildren(container);
    try { await page.render(container, ctx); } catch (err) { if (current()) container.replaceChildren(errorBox(err)); }
    return;
  }
  renderTopbar("");
  view.replaceChildren(errorBox({ message: t("error.notFound") }));
}

window.addEventListener("hashchange", route);
route();
