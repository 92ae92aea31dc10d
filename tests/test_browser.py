"""The built book in a real browser, with the network off: what a reader on a train sees.

Headless Chromium (Debian's ``chromium`` and ``chromium-driver``; .ci/run installs them when missing) opens
pages of the book built by the session's ``book_build`` fixture (tests/conftest.py). The site is served
from 127.0.0.1; every other host is unreachable: all names resolve to nothing and all other traffic goes
to a proxy at a closed port. For a few representative pages the test asserts

* the maths is typeset: every ``.math`` element holds MathJax output, no MathJax error, no raw ``\\(``;
* the widgets render their saved state: sliders and the figure the widget drew;
* the Chinese text is drawn with the book's web font (Chromium's own report of the font used);
* every figure is decoded, nothing is written to the console as an error, no request fails and no
  request leaves the site;

the search page finds pages for Chinese words, and a page opened from disk (``file://``) reads the same.
A crawl of every built page checks that each local file a page refers to exists, and each in-page anchor
a link points at, without a browser.
"""

from __future__ import annotations

import functools
import html.parser
import http.server
import json
import os
import pathlib
import re
import shutil
import threading
import time
import urllib.parse

import pytest

pytestmark = pytest.mark.slow

CHROMIUM = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)
CHROMEDRIVER = shutil.which("chromedriver")
FONT = "Book Sans SC"
CJK = re.compile(r"[\u4e00-\u9fff]")

# Representative pages: the home page (notation table), a page with maths, a widget and figures, a page
# with dense maths (mathtools' psmallmatrix), a page with a wide benchmark table, a diffusion page.
PAGES = [
    "intro.html",
    "chapters/04_linear_regression/01_cost_closed_form.html",
    "chapters/18_long_sequences/02_state_space_models.html",
    "chapters/15_cnn/05_implementations.html",
    "chapters/28_diffusion/03_reverse_posterior.html",
]
WIDGET_PAGE = "chapters/04_linear_regression/01_cost_closed_form.html"


@pytest.fixture(scope="module")
def site(book_build):
    if book_build.returncode != 0:
        pytest.fail("the book did not build; see test_book_builds_without_warnings")
    root = book_build.html

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


@pytest.fixture(scope="module")
def browser():
    if not (CHROMIUM and CHROMEDRIVER):
        message = "needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)"
        if os.environ.get("CI"):
            pytest.fail(f"{message}; .ci/run should have installed them")
        pytest.skip(message)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in [
        "--headless=new",
        "--no-sandbox",  # CI runs as root
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1280,900",
        "--lang=zh-CN",
        # the network is off: no name resolves, every connection except to 127.0.0.1 goes to a closed port
        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
        "--proxy-server=http://127.0.0.1:9",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
    ]:
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    # the driver is named explicitly, so that Selenium never tries to download one
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def _drain_logs(driver):
    driver.get_log("performance")
    driver.get_log("browser")


def _wait(driver, script: str, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = driver.execute_script(script)
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for: {script}")


def open_page(driver, url: str, until: str | None = None) -> dict:
    """Load a page, wait until maths, widgets, fonts (and the script `until`) are done; what the browser saw."""
    _drain_logs(driver)
    driver.get(url)
    _wait(driver, "return document.readyState === 'complete'")
    driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "if (!window.MathJax || !MathJax.startup) { done(null); return; }"
        "MathJax.startup.promise.then(() => done(true), () => done(false));"
    )
    _wait(
        driver,
        "const views = document.querySelectorAll('script[type=\"application/vnd.jupyter.widget-view+json\"]');"
        "return views.length === 0 || document.querySelectorAll('.jupyter-widgets.widget-vbox').length > 0;",
    )
    if until:
        _wait(driver, until)
    driver.execute_async_script("const done = arguments[arguments.length - 1]; document.fonts.ready.then(done);")
    time.sleep(0.3)  # let late resource requests (widget images, fonts) finish and be logged
    state = driver.execute_script(
        """
        const math = [...document.querySelectorAll('span.math, div.math')];
        const clone = document.body.cloneNode(true);
        clone.querySelectorAll('pre, code, script, style, textarea, mjx-assistive-mml').forEach(e => e.remove());
        const images = [...document.images];
        return {
          math: math.length,
          typeset: math.filter(e => e.querySelector('mjx-container')).length,
          errors: document.querySelectorAll('mjx-merror').length,
          rawMaths: /\\\\\\(|\\\\\\[|\\$\\$/.test(clone.textContent),
          widgetViews: document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]').length,
          widgets: document.querySelectorAll('.jupyter-widgets.widget-vbox').length,
          sliders: document.querySelectorAll('.jupyter-widgets .widget-slider').length,
          widgetImages: [...document.querySelectorAll('.jupyter-widgets img')].filter(i => i.naturalWidth > 0).length,
          images: images.length,
          brokenImages: images.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src),
          fontLoaded: [...document.fonts].some(f => f.family.replace(/"/g, '') === 'Book Sans SC'
                                                   && f.status === 'loaded'),
        };
        """
    )
    requests, failed = {}, []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        params = message.get("params", {})
        if message["method"] == "Network.requestWillBeSent":
            requests[params["requestId"]] = params["request"]["url"]
        elif message["method"] == "Network.loadingFailed" and not params.get("canceled"):
            failed.append((requests.get(params["requestId"]), params.get("errorText")))
        elif message["method"] == "Network.responseReceived" and params["response"]["status"] >= 400:
            failed.append((params["response"]["url"], params["response"]["status"]))
    state["requests"] = list(requests.values())
    state["failed"] = failed
    state["console"] = [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    return state


def fonts_used_for(driver, selector: str) -> list[dict]:
    """Chromium's report of the fonts that drew the text of the first element matching `selector`."""
    driver.execute_cdp_cmd("DOM.enable", {})
    driver.execute_cdp_cmd("CSS.enable", {})
    document = driver.execute_cdp_cmd("DOM.getDocument", {"depth": 0})
    node = driver.execute_cdp_cmd("DOM.querySelector", {"nodeId": document["root"]["nodeId"], "selector": selector})
    assert node["nodeId"], f"no element {selector}"
    return driver.execute_cdp_cmd("CSS.getPlatformFontsForNode", {"nodeId": node["nodeId"]})["fonts"]


def assert_reads_offline(state: dict, page: str, origin: str) -> None:
    outside = [u for u in state["requests"] if not u.startswith((origin, "data:", "blob:", "file:"))]
    assert not outside, f"{page}: requests leave the site: {outside[:5]}"
    assert not state["failed"], f"{page}: failed requests: {state['failed'][:5]}"
    assert not state["console"], f"{page}: console errors: {state['console'][:5]}"
    assert not state["brokenImages"], f"{page}: images not shown: {state['brokenImages'][:5]}"
    if state["math"]:
        assert state["typeset"] == state["math"], f"{page}: {state['math'] - state['typeset']} formulas not typeset"
        assert state["errors"] == 0, f"{page}: {state['errors']} MathJax errors"
        assert not state["rawMaths"], f"{page}: raw TeX delimiters in the page text"
    assert state["fontLoaded"], f"{page}: the web font {FONT} was not loaded"


@pytest.mark.parametrize("page", PAGES)
def test_page_reads_offline(browser, site, page):
    root, origin = site
    state = open_page(browser, origin + page)
    assert_reads_offline(state, page, origin)
    # Chinese text is drawn with the book's font, whatever the machine has installed
    for selector in ["section h1", "nav.bd-docs-nav a"]:
        fonts = fonts_used_for(browser, selector)
        ours = [f for f in fonts if f["familyName"] == FONT]
        assert ours and ours[0]["isCustomFont"], f"{page} {selector}: drawn with {fonts}"
        text = browser.execute_script(f"return document.querySelector({selector!r}).textContent")
        assert ours[0]["glyphCount"] >= len(CJK.findall(text)) > 0, f"{page} {selector}: {fonts} for {text!r}"


def test_home_page(browser, site):
    root, origin = site
    state = open_page(browser, origin + "intro.html")
    assert state["math"] >= 10 and state["typeset"] == state["math"], "the notation table's maths is not typeset"
    links = browser.execute_script(
        "return [...document.querySelectorAll('#id1 a, section a.reference.internal')].map(a => a.href)"
    )
    assert any(link.endswith("chapters/04_linear_regression/index.html") for link in links), links[:20]


def test_widgets_render_their_saved_state(browser, site):
    root, origin = site
    state = open_page(browser, origin + WIDGET_PAGE)
    assert state["widgetViews"] >= 1
    assert state["widgets"] >= state["widgetViews"], state
    assert state["sliders"] >= 2, state
    assert state["widgetImages"] >= 1, "the figure saved in the widget state is not shown"
    labels = browser.execute_script(
        "return [...document.querySelectorAll('.jupyter-widgets .widget-label')].map(e => e.textContent)"
    )
    assert labels, "slider labels missing"


SEARCH_DONE = (
    "const items = document.querySelectorAll('#search-results ul.search li');"
    "return items.length > 0 && items.length === document.querySelectorAll('#search-results p.context').length;"
)


@pytest.mark.parametrize("word", ["注意力", "卷积", "梯度下降"])
def test_search_finds_chinese_words(browser, site, word):
    root, origin = site
    state = open_page(browser, origin + "search.html?q=" + urllib.parse.quote(word), until=SEARCH_DONE)
    assert_reads_offline(state, f"search.html?q={word}", origin)
    results = browser.execute_script(
        "return [...document.querySelectorAll('#search-results ul.search li a')].map(a => a.getAttribute('href'))"
    )
    assert any(r.startswith("chapters/") for r in results), results


def test_page_opened_from_disk(browser, site):
    """A reader who downloaded the site opens a page with file://: maths, widgets and font still work."""
    root, origin = site
    state = open_page(browser, (root / WIDGET_PAGE).as_uri())
    assert_reads_offline(state, WIDGET_PAGE, "file:")
    assert state["math"] > 10 and state["widgets"] >= 1 and state["widgetImages"] >= 1, state
    # from disk the search shows titles only (the browser forbids fetching the pages for summaries)
    until = "return document.querySelectorAll('#search-results ul.search li').length > 0"
    state = open_page(browser, (root / "search.html").as_uri() + "?q=" + urllib.parse.quote("卷积"), until=until)
    assert_reads_offline(state, "search.html", "file:")


# ---------------------------------------------------------------------------------------------
# The crawl: every local reference of every page resolves (no browser needed)
# ---------------------------------------------------------------------------------------------
class _References(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.resources: list[str] = []
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag in ("script", "img", "iframe", "source") and attrs.get("src"):
            self.resources.append(attrs["src"])
        elif tag == "link" and attrs.get("href") and attrs.get("rel") not in ("canonical",):
            self.resources.append(attrs["href"])
        elif tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])


def _parse(path: pathlib.Path) -> _References:
    parser = _References()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def _local(page: pathlib.Path, ref: str) -> tuple[pathlib.Path, str] | None:
    parts = urllib.parse.urlsplit(ref)
    if parts.scheme or parts.netloc or ref.startswith(("javascript:", "mailto:")):
        return None
    target = page if not parts.path else (page.parent / urllib.parse.unquote(parts.path)).resolve()
    return target, urllib.parse.unquote(parts.fragment)


def test_crawl_every_local_reference_resolves(book_build):
    root = book_build.html.resolve()
    pages = sorted(p for p in root.rglob("*.html") if "_static" not in p.parts)
    parsed = {p: _parse(p) for p in pages}
    problems = []
    for page, refs in parsed.items():
        for ref in refs.resources:
            local = _local(page, ref)
            if local is None:
                problems.append(f"{page.relative_to(root)}: loads {ref}")
            elif not local[0].is_file():
                problems.append(f"{page.relative_to(root)}: missing {ref}")
        for ref in refs.links:
            local = _local(page, ref)
            if local is None:
                continue
            target, fragment = local
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                problems.append(f"{page.relative_to(root)}: broken link {ref}")
            elif fragment and target.suffix == ".html":
                ids = parsed[target].ids if target in parsed else _parse(target).ids
                if fragment not in ids:
                    problems.append(f"{page.relative_to(root)}: no anchor #{fragment} in {target.relative_to(root)}")
    assert len(pages) > 40
    assert not problems, "\n".join(problems[:30])
