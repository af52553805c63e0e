"""A rejected file on the admin page (issue #15): the problems counted by kind, and every problem a page of
50 at a time, never thousands of table rows at once."""

import pytest
from playwright.sync_api import Page, expect

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:Session-scoped fixtures defined as instance methods"),
]

TIMEOUT = 20_000


def test_rejected_file_shows_a_summary_and_pages_through_the_problems(page: Page, live_server):
    # 120 regions without a name: 120 problems on rows 2..121, all of one kind.
    body = "code,name\n" + "".join(f"R{i},\n" for i in range(120))
    page.goto(live_server.url + "/#/admin")
    page.get_by_label("E-mail").fill(live_server.admin_email)
    page.get_by_label("Password").fill(live_server.admin_password)
    page.get_by_role("button", name="Sign in").click()
    page.locator("#dataset").select_option("regions", timeout=TIMEOUT)
    page.locator("#upload-file").set_input_files(files=[{"name": "regions.csv", "mimeType": "text/csv",
                                                         "buffer": body.encode()}])
    page.locator("#dry-run").click()

    summary = page.locator("#import-summary tbody tr")
    expect(summary).to_have_count(1, timeout=TIMEOUT)
    expect(summary.first.locator("td")).to_have_text(["120", "name", "a value is required", "2, 3, 4, 5, 6, …"])

    problems = page.locator("#import-problems tbody tr")
    position = page.locator("#problems-position")
    expect(problems).to_have_count(50)
    expect(position).to_have_text("Problems 1–50 of 120")
    expect(problems.first.locator("td").first).to_have_text("2")  # problem 1 is row 2
    expect(page.locator("#problems-prev")).to_have_attribute("aria-disabled", "true")

    page.locator("#problems-next").click()
    expect(position).to_have_text("Problems 51–100 of 120")
    expect(problems).to_have_count(50)
    expect(problems.first.locator("td").first).to_have_text("52")  # problem 51 is row 52

    page.locator("#problems-next").click()
    expect(position).to_have_text("Problems 101–120 of 120")
    expect(problems).to_have_count(20)
    expect(problems.last.locator("td").first).to_have_text("121")
    expect(page.locator("#problems-next")).to_have_attribute("aria-disabled", "true")

    page.locator("#problems-prev").click()
    expect(position).to_have_text("Problems 51–100 of 120")
