"""Every kind of page in a real browser: Debian's headless Chromium (driven by Playwright,
which starts that browser instead of downloading its own) with axe-core from npm.

Each page must have no axe violation of WCAG 2.0/2.1 A and AA or axe's best practices, on a
phone (375 px) and on a desktop (1280 px), in German and in Leichte Sprache, and in English
on the desktop too; screenshots of both widths go to build/screenshots/. Pages are loaded
with JavaScript off, as nothing on them needs it; axe itself runs in a second context that
lets the test inject it past the page's CSP.

`.ci/run` installs chromium and the Makefile installs axe-core; without chromium the tests
skip and say why. axe-core is installed here if the Makefile has not done it yet.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from tests.web.world import browsing, web_town

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "build" / "screenshots"
AXE_PREFIX = ROOT / "tests" / "web" / "node_modules_root"
AXE = AXE_PREFIX / "node_modules" / "axe-core" / "axe.min.js"
AXE_VERSION = "4"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
PAGES = {
    "start": "/",
    "ideas": "/ideas",
    "ideas-filtered": "/ideas?sort=top&status=accepted",
    "idea": "/ideas/1",
    "idea-merged": "/ideas/4",
    "polls": "/polls",
    "poll-open": "/polls/1",
    "poll-hidden": "/polls/2",
    "poll-closed": "/polls/3",
    "workshops": "/workshops",
    "workshop": "/workshops/1",
    "workshop-cancelled": "/workshops/2",
    "questions": "/questions",
    "error-404": "/ideas/99",
    "error-400": "/ideas?page=0",
}
WIDTHS = (375, 1280)
BROWSER_LOCALE = {"leicht": "de-DE"}
"""No browser locale asks for Leichte Sprache; a German browser follows the switch to it."""

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason="Debian's chromium is not installed (apt-get install -y chromium; .ci/run does it)",
)


def axe_script() -> Path:
    """axe-core from npm, installed into the project-local folder when missing."""
    if not AXE.exists():
        npm = ["npm", "install", "--silent", "--no-audit", "--no-fund"]
        subprocess.run(
            [*npm, "--prefix", str(AXE_PREFIX), f"axe-core@{AXE_VERSION}"],
            check=True,
            timeout=300,
        )
    return AXE


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def site(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    """The address of a public page of a town that used every feature."""
    bot = await web_town(tmp_path_factory.mktemp("browser"))
    async with browsing(bot) as client:
        yield str(client.make_url("")).rstrip("/")


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def browser() -> AsyncIterator[object]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield chromium
        await chromium.close()


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", PAGES)
async def test_every_page_kind_renders_without_javascript(site, browser, name, width):
    context = await browser.new_context(
        viewport={"width": width, "height": 800}, java_script_enabled=False, locale="de-DE"
    )
    page = await context.new_page()
    response = await page.goto(site + PAGES[name])
    assert response is not None and response.status in (200, 400, 404)
    assert await page.locator("main h1").count() == 1
    # Nothing is wider than the screen: no sideways scrolling on a phone.
    assert await page.evaluate("document.documentElement.scrollWidth") <= width
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=SCREENSHOTS / f"{name}-{width}.png", full_page=True)
    await context.close()


@pytest.mark.parametrize(
    ("width", "language"),
    [(375, "de"), (1280, "de"), (1280, "en"), (375, "leicht"), (1280, "leicht")],
)
@pytest.mark.parametrize("name", PAGES)
async def test_axe_finds_no_violation(site, browser, name, width, language):
    script = axe_script()
    context = await browser.new_context(
        viewport={"width": width, "height": 800},
        bypass_csp=True,
        locale=BROWSER_LOCALE.get(language, language),
    )
    page = await context.new_page()
    separator = "&" if "?" in PAGES[name] else "?"
    await page.goto(f"{site}{PAGES[name]}{separator}lang={language}")
    await page.add_script_tag(path=str(script))
    result = await page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
    )
    await context.close()
    violations = [
        (v["id"], v["impact"], [node["target"] for node in v["nodes"]])
        for v in result["violations"]
    ]
    assert violations == []
    assert result["passes"], "axe checked nothing"


async def test_the_keyboard_reaches_the_skip_link_first_and_it_jumps_to_the_content(site, browser):
    context = await browser.new_context(java_script_enabled=False)
    page = await context.new_page()
    await page.goto(site + "/ideas")
    await page.keyboard.press("Tab")
    focused = page.locator(":focus")
    assert await focused.get_attribute("href") == "#main"
    assert await focused.is_visible()
    await page.keyboard.press("Enter")
    await page.keyboard.press("Tab")
    # The next stop is inside the content: the search field of the list.
    assert await page.locator(":focus").get_attribute("id") == "q"
    await context.close()


async def test_the_search_form_works_without_javascript(site, browser):
    context = await browser.new_context(java_script_enabled=False)
    page = await context.new_page()
    await page.goto(site + "/ideas?lang=en")
    await page.fill("#q", "Trinkbrunnen")
    await page.select_option("#sort", "top")
    await page.click("button[type=submit]")
    await page.wait_for_url("**/ideas?**")
    assert "lang=en" in page.url and "q=Trinkbrunnen" in page.url
    assert await page.locator("article.card").count() == 1
    assert await page.get_attribute("html", "lang") == "en"
    await context.close()


async def test_the_language_switch_leads_to_leichte_sprache_without_javascript(site, browser):
    context = await browser.new_context(java_script_enabled=False, locale="de-DE")
    page = await context.new_page()
    await page.goto(site + "/ideas/1")
    await page.click("nav.languages >> text=Leichte Sprache")
    await page.wait_for_url("**/ideas/1?lang=leicht")
    assert await page.get_attribute("html", "lang") == "de"
    assert await page.locator("nav.languages [aria-current=true]").inner_text() == (
        "Leichte Sprache"
    )
    # The choice follows every link, with no cookie to remember it.
    await page.click("header nav >> text=Workshops")
    await page.wait_for_url("**/workshops?lang=leicht")
    assert await page.locator("h1").inner_text() == "Workshops"
    assert "Donnerstag, 3. Dezember 2026, 18 Uhr" in await page.locator("main").inner_text()
    assert await context.cookies() == []
    await context.close()
