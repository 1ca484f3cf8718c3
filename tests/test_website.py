"""The website as readers use it, opened in headless Chromium (Debian's `chromium` package).

Every page of `_toc.yml` (and the home page) is loaded from `_build/html`, served on 127.0.0.1,
and checked: no console errors, math typeset by the site's own MathJax, every image loaded, as
many figures as the build's executed notebook has image outputs, none of them blank, the
animations the notebook makes are on the page, solutions hidden until their toggle is clicked,
no line of code or of a text output wider than its box, the Colab link pointing at the page's
notebook, previous/next links following the toc; in the same visit, before the solutions are
opened, a full-length screenshot of the page is saved in `_build/screenshots/` for a reviewer.
Other tests check the search page, the sidebar and every internal link (offline, without a
browser).

The checks are plain functions returning a list of problems, so the same code checks the real
pages and the deliberately broken page in `tests/fixtures/broken_site/`, which shows that each
check can fail.

No request leaves the machine: every request to another host is aborted (not counted as a
problem). The site carries its own MathJax (`_static/mathjax`, put there by the build through the
`sphinx-mathjax-offline` extension), so math must typeset with nothing external reachable.

Without `_build/html` or Chromium these tests skip, saying why; with DLBOOK_REQUIRE_SITE=1
(CI, after building the site) they fail instead.
"""

from __future__ import annotations

import ast
import functools
import http.server
import os
import re
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest
import yaml
from book_rules import load_notebook, source, toc_files
from test_executed import EXECUTED, expected_figures

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "_build" / "html"
SCREENSHOTS = ROOT / "_build" / "screenshots"
BROKEN_SITE = Path(__file__).resolve().parent / "fixtures" / "broken_site"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-quic", "--no-first-run", "--disable-component-update",
                 "--disable-sync"]
SITE_MATHJAX = SITE / "_static" / "mathjax" / "tex-chtml.js"
REQUIRE_SITE = os.environ.get("DLBOOK_REQUIRE_SITE") == "1"
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
TIMEOUT_MS = 15_000

# Console errors that come from the book's toolchain, not from the book, matched EXACTLY (a
# different message is still a problem). Each entry says why it is harmless and what removes it.
KNOWN_TOOLCHAIN_ERRORS = {
    # Sphinx 7.4 writes the inline script of sphinx-thebe (a jupyter-book default extension) twice
    # into every page; the second `const` declaration throws. The book does not use thebe (no
    # live-code button), so nothing is lost; it goes away with a Sphinx that de-duplicates
    # inline scripts added after the builder starts.
    "Identifier 'THEBE_JS_URL' has already been declared",
}


def unavailable(reason: str):
    """Skip, or fail where CI has built the site and every browser test must run."""
    if REQUIRE_SITE:
        pytest.fail(f"{reason} (DLBOOK_REQUIRE_SITE=1, so this is a failure)", pytrace=False)
    pytest.skip(reason)


# --- the book: which pages exist and what each one should contain ---------------------------

def repository() -> dict:
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    return config["repository"]


def page_source(page: str) -> Path | None:
    """The .ipynb or .md file a toc entry (e.g. 'chapters/intro') is built from."""
    for ext in (".ipynb", ".md"):
        if (ROOT / f"{page}{ext}").exists():
            return ROOT / f"{page}{ext}"
    return None


@functools.lru_cache(maxsize=1)
def animation_makers() -> frozenset[str]:
    """Names of the `utils` functions whose body calls `to_jshtml` (they make an animation)."""
    names = set()
    for path in (ROOT / "utils").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and "to_jshtml" in ast.unparse(node):
                names.add(node.name)
    return frozenset(names)


def expected_animations(page: str) -> int:
    """How many code cells of the page's notebook make an embedded (JS/HTML) animation."""
    path = page_source(page)
    if path is None or path.suffix != ".ipynb":
        return 0
    calls = re.compile(r"to_jshtml\(|\b(" + "|".join(sorted(animation_makers()) or ["$^"])
                       + r")\(")
    return sum(1 for cell in load_notebook(path)["cells"]
               if cell["cell_type"] == "code" and calls.search(source(cell)))


def colab_url(page: str) -> str:
    """Where the launch button must point: the notebook in the repository of _config.yml."""
    repo = repository()
    owner_name = urlsplit(repo["url"]).path.strip("/").removesuffix(".git")
    prefix = (repo.get("path_to_book") or "").strip("/")
    path = f"{prefix}/{page}.ipynb" if prefix else f"{page}.ipynb"
    return (f"https://colab.research.google.com/github/{owner_name}/blob/"
            f"{repo.get('branch', 'main')}/{path}")


TOC = toc_files(ROOT)
HOME = "index"  # _build/html/index.html redirects to the root page of the toc


# --- serving files and driving the browser --------------------------------------------------

class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's signature
        pass


@contextmanager
def serve(directory: Path):
    """Serve `directory` on 127.0.0.1 (a free port) in a thread; yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def is_local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("data", "blob", "about") or parts.hostname in LOCAL_HOSTS


def _route(route, *, without: frozenset[str] = frozenset()):
    """Let local requests through and abort everything else: the site must work offline.
    Local requests of a resource type in `without` are aborted too."""
    if is_local(route.request.url) and route.request.resource_type not in without:
        route.continue_()
    else:
        route.abort("blockedbyclient")


@dataclass
class Visit:
    """A page opened in the browser, with what it logged while loading."""

    page: object  # playwright.sync_api.Page
    url: str
    errors: list[str] = field(default_factory=list)
    external: list[str] = field(default_factory=list)  # requests to other hosts (blocked)


def open_page(context, url: str, redirect_to: str | None = None) -> Visit:
    """Open `url` in a new tab of `context`, recording console errors and failed local requests
    (those of `redirect_to` too, when `url` is expected to send the reader there)."""
    page = context.new_page()
    visit = Visit(page, url)

    def on_console(msg):
        if msg.type != "error":
            return
        where = (msg.location or {}).get("url", "")
        if msg.text.startswith("Failed to load resource") and where and not is_local(where):
            return  # a request to another host, which cannot be reached (and is blocked) here
        visit.errors.append(f"console error: {msg.text} ({where})")

    def on_page_error(error):
        message = getattr(error, "message", None) or str(error)
        if message not in KNOWN_TOOLCHAIN_ERRORS:
            visit.errors.append(f"uncaught exception: {message}")

    def on_request_failed(request):
        if is_local(request.url) and not request.url.startswith("data:"):
            visit.errors.append(f"request failed: {request.url} ({request.failure})")

    def on_response(response):
        if is_local(response.url) and response.status >= 400:
            visit.errors.append(f"HTTP {response.status}: {response.url}")

    def on_request(request):
        if not is_local(request.url):
            visit.external.append(request.url)

    page.on("console", on_console)
    page.on("request", on_request)
    page.on("pageerror", on_page_error)
    page.on("requestfailed", on_request_failed)
    page.on("response", on_response)
    page.goto(url, wait_until="load", timeout=TIMEOUT_MS)
    if redirect_to is not None:
        page.wait_for_url(redirect_to, wait_until="load", timeout=TIMEOUT_MS)
    wait_for_mathjax(page)
    return visit


def wait_for_mathjax(page) -> str:
    """Wait until MathJax (if the page loads it) has typeset the page."""
    return page.evaluate(
        """async (ms) => {
            const mj = window.MathJax;
            if (!mj || !mj.startup || !mj.startup.promise) return "no MathJax";
            const timeout = new Promise(resolve => setTimeout(() => resolve("timeout"), ms));
            return Promise.race([mj.startup.promise.then(() => "typeset"), timeout]);
        }""", TIMEOUT_MS)


# --- the checks: each returns a list of problems (empty when the page is fine) ---------------

def console_problems(visit: Visit) -> list[str]:
    """Console errors, uncaught exceptions, and local requests that failed or returned >= 400."""
    return list(dict.fromkeys(visit.errors))


def math_problems(page) -> list[str]:
    """Every math element typeset by MathJax, no MathJax error, no raw TeX left in the text."""
    found = page.evaluate(r"""() => {
        const math = [...document.querySelectorAll(".math")];
        const untypeset = math.filter(e => !e.querySelector("mjx-container"))
                              .map(e => e.textContent.trim().slice(0, 60));
        const errors = [...document.querySelectorAll("mjx-merror")]
                              .map(e => e.getAttribute("data-mjx-error") || e.textContent);
        const skip = "PRE,CODE,SCRIPT,STYLE,TEXTAREA,MJX-CONTAINER,MJX-ASSISTIVE-MML";
        const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT, {
            acceptNode(node) {
                for (let e = node.parentElement; e; e = e.parentElement)
                    if (skip.split(",").includes(e.tagName)) return NodeFilter.FILTER_REJECT;
                return NodeFilter.FILTER_ACCEPT;
            }});
        const raw = [];
        for (let n = walker.nextNode(); n; n = walker.nextNode())
            if (/\$\$|\\\(|\\\[|\\begin\{/.test(n.textContent)) raw.push(n.textContent.trim());
        return {untypeset, errors, raw};
    }""")
    problems = [f"math not typeset by MathJax: {t!r}" for t in found["untypeset"]]
    problems += [f"MathJax error: {t}" for t in found["errors"]]
    problems += [f"raw TeX left in the text: {t[:80]!r}" for t in found["raw"]]
    return problems


def mathjax_source_problems(page) -> list[str]:
    """A page with math loads MathJax from the site itself, never from another host."""
    found = page.evaluate("""() => ({
        math: document.querySelectorAll(".math").length,
        scripts: [...document.scripts].map(s => s.src).filter(src => /mathjax/i.test(src))})""")
    if not found["math"]:
        return []
    problems = [f"MathJax loaded from another host: {src}" for src in found["scripts"]
                if not is_local(src)]
    if not found["scripts"]:
        problems.append("the page has math but loads no MathJax")
    return problems


def figure_problems(page, expected: int) -> list[str]:
    """At least `expected` figures in the cells' outputs, each loaded and not blank.

    A figure is an image in a cell's output (`.cell_output img`), animation frames aside. Blank
    means drawn with nothing: every pixel of the image, drawn on a canvas, has the colour of its
    first pixel (a figure whose backend drew nothing, or an empty SVG).
    """
    found = page.evaluate("""async (ms) => {
        const imgs = [...document.querySelectorAll(".cell_output img")]
            .filter(img => !img.id.startsWith("_anim_img"));
        imgs.forEach(img => { img.loading = "eager"; });
        const done = img => img.complete ? Promise.resolve()
            : new Promise(resolve => { img.onload = img.onerror = resolve; });
        await Promise.race([Promise.all(imgs.map(done)),
                            new Promise(resolve => setTimeout(resolve, ms))]);
        const blank = img => {
            const w = Math.max(1, Math.min(img.naturalWidth, 480));
            const h = Math.max(1, Math.round(img.naturalHeight * w / img.naturalWidth));
            const canvas = document.createElement("canvas");
            canvas.width = w; canvas.height = h;
            const ctx = canvas.getContext("2d");
            ctx.drawImage(img, 0, 0, w, h);
            const d = ctx.getImageData(0, 0, w, h).data;
            for (let i = 4; i < d.length; i += 4)
                if (Math.abs(d[i] - d[0]) + Math.abs(d[i + 1] - d[1]) + Math.abs(d[i + 2] - d[2])
                    + Math.abs(d[i + 3] - d[3]) > 24) return false;
            return true;
        };
        return imgs.map(img => {
            const loaded = img.complete && img.naturalWidth > 0;
            return {src: (img.getAttribute("src") || "").slice(-60), loaded,
                    blank: loaded && blank(img)};
        });
    }""", TIMEOUT_MS)
    problems = []
    if len(found) < expected:
        problems.append(f"expected {expected} figure(s) (image outputs of the executed "
                        f"notebook), found {len(found)}")
    for i, figure in enumerate(found):
        if not figure["loaded"]:
            problems.append(f"figure {i} did not load: {figure['src']}")
        elif figure["blank"]:
            problems.append(f"figure {i} is blank: {figure['src']}")
    return problems


def _wide_boxes(page, selector: str) -> list[dict]:
    """The visible `<pre>` boxes matching `selector` whose text is wider than the box (cut
    off, or scrolled sideways), each with its width, the box's and its longest line."""
    return page.evaluate("""(selector) => [...document.querySelectorAll(selector)]
        .filter(pre => pre.offsetParent !== null && pre.scrollWidth > pre.clientWidth + 1)
        .map(pre => {
            const lines = pre.textContent.split("\\n");
            const longest = lines.reduce((a, b) => (b.length > a.length ? b : a), "");
            return {width: pre.scrollWidth, box: pre.clientWidth, line: longest};
        })""", selector)


def _wide_problems(what: str, wide: list[dict]) -> list[str]:
    return [f"{what} wider than its box ({w['width']} px in {w['box']} px): "
            f"{len(w['line'])} characters, {w['line'].strip()[:60]!r}" for w in wide]


def code_width_problems(page) -> list[str]:
    """No line of a code cell is wider than its code box."""
    return _wide_problems("code", _wide_boxes(page, ".cell_input pre"))


def output_width_problems(page) -> list[str]:
    """No line of a cell's text output (a checker's message, a printed table) is wider than
    its box: on the website the rest of the line is out of sight."""
    return _wide_problems("output", _wide_boxes(page, ".cell_output pre"))


def image_problems(page) -> list[str]:
    """Every image from this site has loaded (naturalWidth > 0); other hosts are not reachable."""
    broken = page.evaluate("""async (ms) => {
        const local = img => img.src.startsWith("data:")
            || ["127.0.0.1", "localhost"].includes(new URL(img.src, location.href).hostname);
        const imgs = [...document.images].filter(img => img.getAttribute("src") && local(img));
        imgs.forEach(img => { img.loading = "eager"; });
        const done = img => img.complete ? Promise.resolve()
            : new Promise(resolve => { img.onload = img.onerror = resolve; });
        await Promise.race([Promise.all(imgs.map(done)),
                            new Promise(resolve => setTimeout(resolve, ms))]);
        return imgs.filter(img => !(img.complete && img.naturalWidth > 0))
                   .map(img => img.getAttribute("src").slice(0, 100));
    }""", TIMEOUT_MS)
    return [f"image did not load: {src}" for src in broken]


def animation_problems(page, expected: int) -> list[str]:
    """At least `expected` matplotlib JS animations, each showing a frame."""
    frames = page.evaluate("""() => [...document.querySelectorAll('img[id^="_anim_img"]')]
                                     .map(img => img.complete && img.naturalWidth > 0)""")
    problems = []
    if len(frames) < expected:
        problems.append(f"expected {expected} embedded animation(s), found {len(frames)}")
    problems += [f"animation {i} shows no frame" for i, ok in enumerate(frames) if not ok]
    return problems


def hidden_solution_problems(page) -> list[str]:
    """Each solution's code is hidden until its toggle is clicked, then shown."""
    problems = []
    cells = page.locator(".cell.tag_solution")
    for i in range(cells.count()):
        cell = cells.nth(i)
        code = cell.locator(".cell_input pre").first
        if code.is_visible():
            problems.append(f"solution {i}: its code is visible before the toggle is clicked")
            continue
        toggle = cell.locator("summary").first
        if toggle.count() == 0:
            problems.append(f"solution {i}: no toggle to show it")
            continue
        toggle.click()
        if not code.is_visible():
            problems.append(f"solution {i}: still hidden after clicking its toggle")
    return problems


def screenshot_name(page: str) -> str:
    """'chapters/02_padding_stride_pooling/padding_stride_pooling' -> '02_padding_stride_pooling'
    (the chapter folder and, when they differ, the notebook's name)."""
    parts = page.split("/")[1:] or [page]
    folder, name = (parts[0], parts[-1]) if len(parts) > 1 else ("", parts[0])
    return f"{folder}-{name}" if folder and not folder.endswith(name) else (folder or name)


def screenshot_problems(page, path: Path, longer_than: int = 900) -> list[str]:
    """Save a full-length screenshot of `page` at `path`, for a reviewer to read (figures, math
    and code as a reader sees them), every lazy image loaded first. A file of 10 kB or less is
    an empty picture; a page no longer than `longer_than` pixels (the window is 900) has lost
    its content."""
    page.evaluate("""async () => {
        const imgs = [...document.images];
        imgs.forEach(img => { img.loading = "eager"; });
        await Promise.all(imgs.map(img => img.complete ? null
            : new Promise(resolve => { img.onload = img.onerror = resolve; })));
    }""")
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    height = page.evaluate("() => document.documentElement.scrollHeight")
    problems = []
    if path.stat().st_size <= 10_000:
        problems.append(f"screenshot {path.name} has only {path.stat().st_size} bytes")
    if height <= longer_than:
        problems.append(f"the page is only {height} px long, not longer than {longer_than}")
    return problems


def external_request_problems(visit: Visit) -> list[str]:
    """A page read offline must load nothing from another host (scripts, styles, fonts)."""
    return [f"request to another host: {url}" for url in dict.fromkeys(visit.external)]


def page_problems(visit: Visit, expected_animations: int = 0,
                  expected_figures: int = 0) -> list[str]:
    """All the checks of one page. The solutions check clicks every toggle open, so the widths
    of code and outputs are measured after it, with the solutions shown."""
    page = visit.page
    return (math_problems(page) + mathjax_source_problems(page) + image_problems(page)
            + figure_problems(page, expected_figures)
            + animation_problems(page, expected_animations)
            + hidden_solution_problems(page) + code_width_problems(page)
            + output_width_problems(page)
            + console_problems(visit) + external_request_problems(visit))


def relative_page(url: str, base: str) -> str:
    """'http://127.0.0.1:8000/chapters/intro.html#x' -> 'chapters/intro'."""
    path = unquote(urlsplit(url).path)[len(urlsplit(base).path):]
    return re.sub(r"\.html$", "", path)


# --- internal links, offline ----------------------------------------------------------------

class _LinkParser(HTMLParser):
    LINK_ATTRS = {"a": "href", "link": "href", "img": "src", "script": "src", "source": "src",
                  "iframe": "src", "embed": "src", "object": "data"}

    def __init__(self):
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for key in ("id", "name"):
            if attrs.get(key):
                self.ids.add(attrs[key])
        target = attrs.get(self.LINK_ATTRS.get(tag, ""))
        if target:
            self.links.append(target)


@functools.cache
def _parse(path: Path) -> _LinkParser:
    parser = _LinkParser()
    parser.feed(path.read_text(encoding="utf-8", errors="replace"))
    return parser


def link_problems(site: Path) -> list[str]:
    """Every internal href/src of every HTML page under `site` names an existing file, and every
    `#anchor` an existing id of its page. External links are not followed."""
    site = site.resolve()
    problems = []
    for page in sorted(site.rglob("*.html")):
        if "_static" in page.relative_to(site).parts:
            continue  # the theme's template macros, copied as they are, not pages
        page_rel = page.relative_to(site).as_posix()
        for link in _parse(page).links:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or link.startswith(("data:", "javascript:")):
                continue  # another host, mailto:, data: ... (linkcheck's job, not reachable here)
            target = page if not parts.path else (page.parent / unquote(parts.path)).resolve()
            if target.is_dir():
                target = target / "index.html"
            if site not in target.parents and target != site:
                problems.append(f"{page_rel}: {link} points outside the site")
            elif not target.is_file():
                problems.append(f"{page_rel}: {link} -> no such file")
            elif parts.fragment and target.suffix == ".html" and (
                    unquote(parts.fragment) not in _parse(target).ids):
                problems.append(f"{page_rel}: {link} -> no id {parts.fragment!r} in "
                                f"{target.relative_to(site).as_posix()}")
    return problems


# --- fixtures -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        unavailable(f"{CHROMIUM} not found: apt-get install chromium chromium-driver")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("playwright is not installed (pip install -e '.[dev]')")
    with sync_playwright() as playwright:
        try:
            launched = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                                  args=CHROMIUM_ARGS)
        except Exception as error:  # noqa: BLE001 - report why the browser would not start
            unavailable(f"Chromium did not start: {error}")
        yield launched
        launched.close()


@contextmanager
def new_context(browser, without: tuple[str, ...] = ()):
    """A fresh profile (empty cache and localStorage, like a first visit), offline. `without`:
    Playwright resource types ("image", "font") the pages load without, for a test that only
    follows links."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.route("**/*", functools.partial(_route, without=frozenset(without)))
    try:
        yield context
    finally:
        context.close()


@pytest.fixture(scope="module")
def site():
    if not (SITE / "index.html").exists():
        unavailable(f"{SITE} has no built website: run `jupyter-book build . -W --keep-going`")
    with serve(SITE) as base:
        yield base


@pytest.fixture(scope="module")
def site_with_math(site):
    if not SITE_MATHJAX.exists():
        unavailable(f"the site has no MathJax of its own ({SITE_MATHJAX}): the build puts it "
                    "there through the sphinx-mathjax-offline extension of _config.yml")
    return site


def page_figures(page: str) -> int:
    """Image outputs of the page's executed notebook (0 for a markdown page)."""
    path = EXECUTED / f"{page}.ipynb"
    if not path.exists():
        if page_source(page) is not None and page_source(page).suffix == ".ipynb":
            unavailable(f"{path} not found: the build keeps executed notebooks there")
        return 0
    return expected_figures(load_notebook(path))


@pytest.fixture(scope="module")
def broken_site():
    with serve(BROKEN_SITE) as base:
        yield base


# --- the real pages -------------------------------------------------------------------------

PAGES = [HOME] + TOC


@pytest.mark.parametrize("page", PAGES)
def test_page_works_in_browser(browser, site_with_math, page):
    base = site_with_math
    with new_context(browser) as context:
        # index.html sends the reader on to the root page of the toc
        visit = open_page(context, f"{base}{page}.html",
                          redirect_to=f"{base}{TOC[0]}.html" if page == HOME else None)
        landed = relative_page(visit.page.url, base)
        problems = []
        if page != HOME:  # the home page lands on TOC[0], which has its own screenshot
            # taken before page_problems clicks the solutions open; the first page is short
            path = SCREENSHOTS / f"{screenshot_name(page)}.png"
            problems += screenshot_problems(visit.page, path,
                                            longer_than=0 if page == TOC[0] else 900)
        problems += page_problems(visit, expected_animations(landed), page_figures(landed))

        if landed in TOC:
            index = TOC.index(landed)
            neighbours = {"a.left-prev": TOC[index - 1] if index > 0 else None,
                          "a.right-next": TOC[index + 1] if index + 1 < len(TOC) else None}
            for selector, expected in neighbours.items():
                links = visit.page.locator(selector)
                got = (relative_page(urljoin(visit.page.url, links.first.get_attribute("href")),
                                     base) if links.count() else None)
                if got != expected:
                    problems.append(f"{selector} leads to {got}, the toc says {expected}")

            source_path = page_source(landed)
            colab = visit.page.locator('a[href*="colab.research.google.com"]')
            hrefs = [colab.nth(i).get_attribute("href") for i in range(colab.count())]
            if source_path is not None and source_path.suffix == ".ipynb":
                if colab_url(landed) not in hrefs:
                    problems.append(f"Colab link {hrefs} is not {colab_url(landed)}")
    assert problems == [], f"{page}:\n  " + "\n  ".join(problems)


def test_home_page_is_the_root_of_the_toc(browser, site):
    with new_context(browser) as context:
        visit = open_page(context, f"{site}index.html", redirect_to=f"{site}{TOC[0]}.html")
        assert relative_page(visit.page.url, site) == TOC[0]


def sidebar_links(page, site) -> dict[str, str]:
    """toc page -> the href of its link in the sidebar of the page open in `page`."""
    hrefs = page.eval_on_selector_all("nav.bd-docs-nav a.reference.internal",
                                      "links => links.map(a => a.getAttribute('href'))")
    return {relative_page(urljoin(page.url, h), site): h for h in reversed(hrefs)}


def test_navigation_reaches_every_chapter(browser, site):
    """The sidebar of the home page links every toc page, and clicking each link lands on it.

    Each click is made in the sidebar of the page the previous click landed on (every page has
    the same sidebar), so the walk through the book also checks the sidebars of the pages.
    Figures and fonts are not loaded: test_page_works_in_browser checks those."""
    with new_context(browser, without=("image", "font")) as context:
        visit = open_page(context, f"{site}{TOC[0]}.html")
        page = visit.page
        missing = [p for p in TOC[1:] if p not in sidebar_links(page, site)]
        assert missing == [], f"the sidebar does not link {missing}"
        for here, target in zip(TOC, TOC[1:]):
            href = sidebar_links(page, site).get(target)
            assert href is not None, f"the sidebar of {here} does not link {target}"
            page.locator(f'nav.bd-docs-nav a.reference.internal[href="{href}"]').first.click()
            page.wait_for_load_state("domcontentloaded")
            assert relative_page(page.url, site) == target
            assert page.locator("main h1").count() >= 1, f"{target} has no title"


def search_case() -> tuple[str, str]:
    """The term to search for and the page that must be among the results."""
    padding = [p for p in TOC if p.startswith("chapters/02_padding_stride_pooling/")]
    if padding:
        return "padding", padding[0]
    return "checker", "chapters/00_how_to_use/how_to_use"  # before that chapter lands


def test_search_finds_the_term(browser, site):
    term, expected = search_case()
    assert expected in TOC
    with new_context(browser) as context:
        visit = open_page(context, f"{site}search.html?q={term}")
        results = visit.page.locator("#search-results ul.search li a")
        results.first.wait_for(timeout=TIMEOUT_MS)
        visit.page.wait_for_function(
            "() => !document.querySelector('#search-results h2, #search-results p')"
            "?.textContent.includes('Searching')", timeout=TIMEOUT_MS)
        found = {relative_page(urljoin(visit.page.url, results.nth(i).get_attribute("href")),
                              site) for i in range(results.count())}
        assert expected in found, f"searching {term!r} found {sorted(found)}"
        assert console_problems(visit) == []


def test_internal_links_resolve():
    if not (SITE / "index.html").exists():
        unavailable(f"{SITE} has no built website: run `jupyter-book build . -W --keep-going`")
    problems = link_problems(SITE)
    assert problems == [], "\n".join(problems[:50])


# --- the checks fail on a broken page (needs only Chromium) ---------------------------------

def test_broken_page_reports_each_problem(browser, broken_site):
    with new_context(browser) as context:
        visit = open_page(context, f"{broken_site}index.html")
        problems = page_problems(visit, expected_animations=1, expected_figures=3)
    report = "\n".join(problems)
    expected = {
        "broken image": "image did not load: missing_figure.png",
        "missing image request": "HTTP 404: " + f"{broken_site}missing_figure.png",
        "raw $$": "raw TeX left in the text: 'The output size is $$o",
        "math not typeset": "math not typeset by MathJax: '\\\\(p = 1\\\\)'",
        "console.error": "console error: deliberate console error",
        "uncaught exception": "uncaught exception: callAFunctionThatDoesNotExist is not defined",
        "missing animation": "expected 1 embedded animation(s), found 0",
        "visible solution": "solution 0: its code is visible before the toggle is clicked",
        "missing figure": "expected 3 figure(s) (image outputs of the executed notebook), "
                          "found 2",
        "blank figure": "figure 1 is blank: blank_figure.svg",
        "external MathJax": "MathJax loaded from another host: "
                            "https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js",
        "external request": "request to another host: https://cdn.example.invalid/analytics.js",
        "wide code": "code wider than its box",
        "wide output": "output wider than its box",
    }
    missing = {name: text for name, text in expected.items() if text not in report}
    assert missing == {}, f"not reported: {missing}\nreported:\n{report}"



def test_screenshot_of_an_empty_page_is_a_problem(browser, tmp_path):
    with new_context(browser) as context:
        page = context.new_page()
        page.set_content("<html><body></body></html>")
        problems = screenshot_problems(page, tmp_path / "empty.png")
    assert len(problems) == 2, problems
    assert problems[0].startswith("screenshot empty.png has only ")
    assert problems[1].startswith("the page is only ")


def test_good_page_reports_nothing(browser, broken_site):
    """The same checks on a sound page (links to other hosts, but nothing loaded from one)
    report no problem."""
    with new_context(browser) as context:
        visit = open_page(context, f"{broken_site}good.html")
        assert page_problems(visit, expected_figures=1) == []


def test_link_check_reports_dead_links():
    problems = link_problems(BROKEN_SITE)
    assert problems == [
        "index.html: missing_figure.png -> no such file",
        "index.html: no_such_chapter.html -> no such file",
        "index.html: good.html#no-such-section -> no id 'no-such-section' in good.html",
    ]


def test_animation_makers_are_found_in_utils(monkeypatch):
    """The animation count of a page comes from the notebook; check the detection itself."""
    import importlib
    makers = animation_makers()
    assert "animation_html" in makers  # utils.plot's renderer, shared by the figure modules
    for name in makers:  # each one is a function the lessons can import from utils
        assert any(callable(getattr(importlib.import_module(f"utils.{path.stem}"), name, None))
                   for path in (ROOT / "utils").glob("*.py")), name
    cells = [("markdown", "The animation below is made by `animation_html(fig, anim)`."),
             ("code", "fig, anim = conv_animation(5, 3)"),  # made here, shown below
             ("code", "html = animation_html(fig, anim)\nHTML(html)"),
             ("code", "HTML(anim.to_jshtml())"),
             ("code", "fig, ax = conv_grid_figure(5, 3)")]
    fake = {"cells": [{"cell_type": kind, "source": text} for kind, text in cells]}
    monkeypatch.setitem(globals(), "page_source", lambda page: Path(f"{page}.ipynb"))
    monkeypatch.setitem(globals(), "load_notebook", lambda path: fake)
    assert expected_animations("chapters/made_up") == 2
