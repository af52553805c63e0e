// Placeholder front page: sign in, show who you are. The real pages come with their own issue.
const $ = (id) => document.getElementById(id);

async function showMe(token) {
  const res = await fetch("/api/v1/me", { headers: { Authorization: `Bearer ${token}` } });
  if (!res.ok) { sessionStorage.removeItem("token"); return false; }
  const me = await res.json();
  $("me-email").textContent = me.email;
  $("me-role").textContent = me.role;
  $("me-detail").textContent = me.seller_code ? `Seller ${me.seller_code}`
    : me.units.length ? `Leads ${me.units.join(", ")}` : "";
  $("login-view").hidden = true;
  $("home-view").hidden = false;
  return true;
}

$("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const res = await fetch("/api/v1/auth/token", { method: "POST", body: new URLSearchParams(new FormData(event.target)) });
  if (!res.ok) {
    $("login-error").textContent = res.status === 401 ? "Wrong e-mail or password." : `The server said ${res.status}.`;
    $("login-error").hidden = false;
    return;
  }
  const { access_token } = await res.json();
  sessionStorage.setItem("token", access_token);
  await showMe(access_token);
});

$("logout").addEventListener("click", () => {
  sessionStorage.removeItem("token");
  location.reload();
});

const saved = sessionStorage.getItem("token");
if (saved) showMe(saved);
