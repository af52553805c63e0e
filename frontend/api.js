// Calls to /api/v1 with the bearer token. Every failure becomes an ApiError with a message a person
// can read; 401 sends the user back to the login page.
import { lang, t } from "./i18n.js";

const TOKEN = "token";
export const getToken = () => sessionStorage.getItem(TOKEN);
export const setToken = (token) => sessionStorage.setItem(TOKEN, token);
export const clearToken = () => sessionStorage.removeItem(TOKEN);

export class ApiError extends Error {
  constructor(status, message, body = null) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

function describe(detail) {
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) {
    return detail.map((d) => {
      const where = Array.isArray(d.loc) ? d.loc.filter((p) => p !== "body" && p !== "query").join(".") : "";
      return where ? `${where}: ${d.msg}` : d.msg;
    }).join("; ");
  }
  return "";
}

async function request(path, { method = "GET", json, form, auth = true } = {}) {
  const headers = {};
  const token = getToken();
  if (auth && token) headers.Authorization = `Bearer ${token}`;
  let body;
  if (json !== undefined) { headers["Content-Type"] = "application/json"; body = JSON.stringify(json); }
  if (form !== undefined) body = form;
  let res;
  try {
    res = await fetch(`/api/v1${path}`, { method, headers, body });
  } catch {
    throw new ApiError(0, t("error.network"));
  }
  if (res.ok) return res;
  let payload = null;
  try { payload = await res.json(); } catch { /* not JSON */ }
  if (res.status === 401 && auth) {
    clearToken();
    sessionStorage.setItem("afterLogin", location.hash);
    location.hash = "#/login";
    throw new ApiError(401, t("error.session"), payload);
  }
  if (res.status === 404) throw new ApiError(404, t("error.notFound"), payload);
  if (res.status === 403) throw new ApiError(403, t("error.forbidden"), payload);
  if (res.status === 429) {  // throttled sign-in: Retry-After is in seconds
    const minutes = Math.max(1, Math.ceil(Number(res.headers.get("Retry-After")) / 60) || 1);
    throw new ApiError(429, t("error.tooMany", { minutes }), payload);
  }
  if (res.status === 422 || res.status === 413 || res.status === 400) {
    throw new ApiError(res.status, t("error.invalid", { detail: describe(payload?.detail) || res.statusText }), payload);
  }
  throw new ApiError(res.status, t("error.server", { status: res.status }), payload);
}

export async function api(path, options = {}) {
  const res = await request(path, options);
  return res.status === 204 ? null : res.json();
}

// A CSV download's query as Excel reads it in the page's language: in bokmål `;` and decimal `,`, with a
// byte-order mark so that Excel reads æøå as UTF-8; in English the API's default, `,` and `.`.
export const csvStyle = () => (lang() === "nb" ? "&delimiter=%3B&decimal=%2C&bom=true" : "");

// Fetch a file with the token and save it under the server's file name (or `fallback`).
export async function download(path, fallback) {
  const res = await request(path);
  const blob = await res.blob();
  const match = /filename="([^"]+)"/.exec(res.headers.get("Content-Disposition") || "");
  const name = match ? match[1] : fallback;
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return name;
}

export async function login(email, password) {
  const res = await request("/auth/token", { method: "POST", form: new URLSearchParams({ username: email, password }), auth: false });
  const { access_token: token } = await res.json();
  setToken(token);
}
