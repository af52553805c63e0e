"""The user lifecycle in a real browser (issue #14): an administrator switches a login off (its session
and API tokens fail at once) and on again, changes a role, sets a new password; anyone changes their
own password on the Account page and stays signed in. Each refusal beside its success.

Against the demo company (it has sellers to link a seller login to), with logins of this file's own,
so the other browser tests' logins, passwords and sessions are untouched. Sign-in failures are
throttled per address (a wrong current password on /me/password counts as one too): this file makes
three on purpose, no more."""

import re

import httpx
import pytest
from playwright.sync_api import Page, expect

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:Session-scoped fixtures defined as instance methods"),
]

TIMEOUT = 20_000
ADMIN_PASSWORD = "users browser admin"
OLD_PASSWORD = "users browser old"
NEW_PASSWORD = "users browser new"


def _token(server, email: str, password: str) -> httpx.Response:
    return httpx.post(f"{server.url}/api/v1/auth/token", data={"username": email, "password": password})


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _me_status(server, token: str) -> int:
    return httpx.get(f"{server.url}/api/v1/me", headers=_bearer(token)).status_code


def _demo_admin(server) -> dict[str, str]:
    res = _token(server, server.email("admin"), server.password)
    assert res.status_code == 200, res.text
    return _bearer(res.json()["access_token"])


def _create(server, admin: dict[str, str], email: str, password: str, role: str) -> dict:
    res = httpx.post(f"{server.url}/api/v1/users", json={"email": email, "password": password, "role": role},
                     headers=admin)
    assert res.status_code == 201, res.text
    return res.json()


def _user(server, admin: dict[str, str], email: str) -> dict:
    users = httpx.get(f"{server.url}/api/v1/users", headers=admin).json()
    return next(u for u in users if u["email"] == email)


def _seller_without_login(server, admin: dict[str, str]) -> str:
    """A demo seller no login belongs to yet (a seller login must match a seller's e-mail)."""
    logins = {u["email"].lower() for u in httpx.get(f"{server.url}/api/v1/users", headers=admin).json()}
    sellers = httpx.get(f"{server.url}/api/v1/sellers", headers=admin).json()
    return next(s["email"].lower() for s in sorted(sellers, key=lambda s: s["code"]) if s["email"].lower() not in logins)


def sign_in(page: Page, server, email: str, password: str, path: str = "/") -> None:
    page.goto(server.url + path)
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#me-email")).to_have_text(email, timeout=TIMEOUT)


def _admin_page(page: Page, server, email: str) -> None:
    sign_in(page, server, email, ADMIN_PASSWORD, "/#/admin")
    expect(page.locator(f'tr[data-email="{email}"]')).to_be_visible(timeout=TIMEOUT)


def _audit_row(page: Page, email: str, action: str):
    return page.locator("#audit-list tbody tr", has_text=f"user:{email}").filter(has_text=action).first


def test_switching_a_login_off_ends_its_sessions_and_tokens_and_on_again(page: Page, demo_server):
    admin = _demo_admin(demo_server)
    me = "users-off-admin@example.com"
    _create(demo_server, admin, me, ADMIN_PASSWORD, "admin")
    seller = _seller_without_login(demo_server, admin)
    _create(demo_server, admin, seller, OLD_PASSWORD, "seller")
    session = _token(demo_server, seller, OLD_PASSWORD).json()["access_token"]
    res = httpx.post(f"{demo_server.url}/api/v1/tokens", json={"name": "users browser", "scopes": ["scorecards:read"]},
                     headers=_bearer(session))
    assert res.status_code == 201, res.text
    api_token = res.json()["token"]
    assert _me_status(demo_server, session) == 200
    assert _me_status(demo_server, api_token) == 200

    _admin_page(page, demo_server, me)
    # your own login: nothing to switch off or demote, a pointer to the Account page instead
    own = page.locator(f'tr[data-email="{me}"]')
    expect(own.locator("th")).to_have_text(f"{me} (you)")
    expect(own.get_by_role("button")).to_have_count(0)
    expect(own.get_by_role("combobox")).to_have_count(0)
    expect(own.get_by_role("link", name="Change your password on the Account page")).to_have_attribute("href", "#/account")

    row = page.locator(f'tr[data-email="{seller}"]')
    expect(row.locator(".status")).to_have_text("✓ active")
    # the confirm step, declined: nothing changes
    questions: list[str] = []
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
    row.get_by_role("button", name="Switch off").click()
    expect(row.get_by_role("status")).to_have_text(f"Nothing changed: {seller} is still active.")
    assert "signed out everywhere" in questions[0]
    assert _me_status(demo_server, session) == 200
    # ... and accepted: the session and the API token fail at once
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name=f"Switch off {seller}").click()
    expect(row.locator(".status")).to_have_text("✗ switched off", timeout=TIMEOUT)
    expect(row.get_by_role("status")).to_contain_text(f"{seller} is switched off")
    expect(row.get_by_role("button", name="Switch on")).to_be_focused()
    assert _me_status(demo_server, session) == 401
    assert _me_status(demo_server, api_token) == 401
    assert _user(demo_server, admin, seller)["is_active"] is False
    # the audit trail, refreshed, says it in words
    expect(_audit_row(page, seller, "user.update")).to_contain_text("switched off; 1 API token revoked", timeout=TIMEOUT)

    # the list loaded afresh shows the login switched off
    page.reload()
    row = page.locator(f'tr[data-email="{seller}"]')
    expect(row.locator(".status")).to_have_text("✗ switched off", timeout=TIMEOUT)
    # switched on again (no confirm: it signs no one out); the person signs in, the API token stays revoked
    row.get_by_role("button", name="Switch on").click()
    expect(row.locator(".status")).to_have_text("✓ active", timeout=TIMEOUT)
    expect(row.get_by_role("status")).to_contain_text(f"{seller} is switched on")
    assert _token(demo_server, seller, OLD_PASSWORD).status_code == 200
    assert _me_status(demo_server, api_token) == 401
    expect(_audit_row(page, seller, "user.update")).to_have_text(re.compile(r"switched on$"), timeout=TIMEOUT)


def test_a_role_the_api_refuses_is_shown_in_words_and_a_good_one_saves(page: Page, demo_server):
    admin = _demo_admin(demo_server)
    me = "users-role-admin@example.com"
    other = "users-role-finance@example.com"
    _create(demo_server, admin, me, ADMIN_PASSWORD, "admin")
    _create(demo_server, admin, other, OLD_PASSWORD, "finance")
    _admin_page(page, demo_server, me)
    row = page.locator(f'tr[data-email="{other}"]')
    role = row.get_by_label(f"Role of {other}")
    expect(role).to_have_value("finance")
    # no seller has this e-mail: the API's reason, next to the row; the select shows the role it kept
    role.select_option("seller")
    row.get_by_role("button", name="Save role").click()
    expect(row.get_by_role("alert")).to_have_text(f"Role: no seller has e-mail {other}; load the seller first",
                                                  timeout=TIMEOUT)
    expect(role).to_have_value("finance")
    assert _user(demo_server, admin, other)["role"] == "finance"
    # a role it takes
    role.select_option("admin")
    row.get_by_role("button", name="Save role").click()
    expect(row.get_by_role("status")).to_have_text(f"{other} is now administrator.", timeout=TIMEOUT)
    expect(row.get_by_role("alert")).to_have_count(0)
    assert _user(demo_server, admin, other)["role"] == "admin"
    expect(_audit_row(page, other, "user.update")).to_contain_text("Role: finance → administrator", timeout=TIMEOUT)


def test_an_admin_sets_a_new_password_and_the_old_one_stops_working(page: Page, demo_server):
    admin = _demo_admin(demo_server)
    me = "users-password-admin@example.com"
    other = "users-password-finance@example.com"
    _create(demo_server, admin, me, ADMIN_PASSWORD, "admin")
    _create(demo_server, admin, other, OLD_PASSWORD, "finance")
    session = _token(demo_server, other, OLD_PASSWORD).json()["access_token"]
    _admin_page(page, demo_server, me)
    row = page.locator(f'tr[data-email="{other}"]')
    opener = row.get_by_role("button", name="Set password")
    expect(opener).to_have_attribute("aria-expanded", "false")
    opener.click()
    expect(opener).to_have_attribute("aria-expanded", "true")
    field = row.get_by_label(f"New password for {other}")
    expect(field).to_be_focused()
    # too short: refused before anything is sent (the browser checks the 8 characters)
    sent: list[str] = []
    page.on("request", lambda request: sent.append(request.url) if "/password" in request.url else None)
    field.fill("short")
    row.get_by_role("button", name="Save password").click()
    assert field.evaluate("(el) => !el.checkValidity()")
    assert sent == []
    assert _me_status(demo_server, session) == 200
    # a good one: set, the person's session ends, the new password signs in and the old one does not
    field.fill(NEW_PASSWORD)
    row.get_by_role("button", name="Save password").click()
    expect(row.get_by_role("status")).to_contain_text(f"New password set for {other}", timeout=TIMEOUT)
    expect(field).to_be_hidden()
    expect(opener).to_be_focused()
    assert _me_status(demo_server, session) == 401
    assert _token(demo_server, other, NEW_PASSWORD).status_code == 200
    assert _token(demo_server, other, OLD_PASSWORD).status_code == 401  # a counted failure: one of three
    expect(_audit_row(page, other, "user.password")).to_contain_text("New password set by an administrator",
                                                                     timeout=TIMEOUT)


def test_changing_your_own_password_keeps_you_signed_in(page: Page, demo_server):
    admin = _demo_admin(demo_server)
    me = "users-own-admin@example.com"
    _create(demo_server, admin, me, OLD_PASSWORD, "admin")
    sign_in(page, demo_server, me, OLD_PASSWORD, "/#/admin")
    page.get_by_role("navigation", name="main").get_by_role("link", name="Account").click()
    expect(page).to_have_url(re.compile(r"#/account$"))
    expect(page.locator("#account-email")).to_have_text(me, timeout=TIMEOUT)
    old_token = page.evaluate("sessionStorage.getItem('token')")
    current = page.get_by_label("Current password")
    new = page.get_by_label("New password", exact=True)
    repeat = page.get_by_label("Repeat the new password")
    submit = page.get_by_role("button", name="Change password")
    result = page.locator("#password-result")

    # the two new ones differ: caught in the browser, nothing sent
    current.fill(OLD_PASSWORD)
    new.fill(NEW_PASSWORD)
    repeat.fill(NEW_PASSWORD + "!")
    submit.click()
    expect(result.get_by_role("alert")).to_have_text(re.compile(r"^The two new passwords are not the same\."))
    expect(repeat).to_have_attribute("aria-invalid", "true")
    assert _me_status(demo_server, old_token) == 200
    # a wrong current password (a counted failure: two of three): the API's 422, in words, on the field it names
    current.fill("not my password at all")
    repeat.fill(NEW_PASSWORD)
    submit.click()
    expect(result.get_by_role("alert")).to_have_text("Current password: not your current password", timeout=TIMEOUT)
    expect(current).to_have_attribute("aria-invalid", "true")
    assert _me_status(demo_server, old_token) == 200
    # the right one: changed, and the page keeps the new token for this session
    current.fill(OLD_PASSWORD)
    submit.click()
    expect(result.get_by_role("status")).to_have_text(re.compile(r"^Your password is changed\."), timeout=TIMEOUT)
    expect(result.get_by_role("alert")).to_have_count(0)
    expect(current).to_have_value("")
    new_token = page.evaluate("sessionStorage.getItem('token')")
    assert new_token and new_token != old_token
    assert _me_status(demo_server, old_token) == 401
    assert _me_status(demo_server, new_token) == 200
    # still signed in after a reload, and the next page's API calls work
    page.reload()
    expect(page.locator("#account-email")).to_have_text(me, timeout=TIMEOUT)
    page.get_by_role("link", name="Data & admin").click()
    expect(page.locator(f'tr[data-email="{me}"]')).to_be_visible(timeout=TIMEOUT)
    expect(_audit_row(page, me, "user.password")).to_contain_text("Password changed by the user", timeout=TIMEOUT)
    assert _token(demo_server, me, OLD_PASSWORD).status_code == 401  # a counted failure: three of three
    assert _token(demo_server, me, NEW_PASSWORD).status_code == 200


def test_users_and_account_fit_a_phone_and_speak_norwegian(page: Page, demo_server):
    admin = _demo_admin(demo_server)
    me = "users-phone-admin@example.com"
    other = "users-phone-finance@example.com"
    _create(demo_server, admin, me, ADMIN_PASSWORD, "admin")
    _create(demo_server, admin, other, OLD_PASSWORD, "finance")
    page.set_viewport_size({"width": 375, "height": 740})
    _admin_page(page, demo_server, me)
    row = page.locator(f'tr[data-email="{other}"]')

    def inside_the_screen(locator) -> None:
        locator.scroll_into_view_if_needed()
        box = locator.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 375, box

    row.get_by_role("button", name="Set password").click()
    for control in (row.get_by_label(f"Role of {other}"), row.get_by_role("button", name="Save role"),
                    row.get_by_role("button", name="Switch off"), row.get_by_label(f"New password for {other}"),
                    row.get_by_role("button", name="Save password")):
        inside_the_screen(control)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    page.locator("#menu-toggle").click()  # on a phone the language and the navigation sit behind the menu button
    page.locator("#lang").select_option("nb")
    row = page.locator(f'tr[data-email="{other}"]')
    expect(row.get_by_role("button", name="Slå av")).to_be_visible(timeout=TIMEOUT)
    expect(row.locator(".status")).to_have_text("✓ aktiv")
    expect(row.get_by_label(f"Rolle for {other}")).to_be_visible()
    expect(page.locator(f'tr[data-email="{me}"]')).to_contain_text("Bytt passordet ditt på Konto-siden")

    page.locator("#menu-toggle").click()
    page.get_by_role("navigation", name="main").get_by_role("link", name="Konto").click()
    expect(page.get_by_role("heading", name="Kontoen din")).to_be_visible(timeout=TIMEOUT)
    for control in (page.get_by_label("Nåværende passord"), page.get_by_label("Nytt passord", exact=True),
                    page.get_by_label("Gjenta det nye passordet"), page.get_by_role("button", name="Bytt passord")):
        inside_the_screen(control)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
