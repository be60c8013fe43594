"""Real-browser tests: every notebook runs in JupyterLab in headless Chromium, widgets work.

For each notebook in ``notebooks/``: start JupyterLab on a free local port (temporary config and
state, a token, ``--allow-root`` when root), open the notebook in Debian's Chromium through
Playwright, clear it and run all cells from the Run menu, then assert that

* every code cell ran and none has an error output;
* the widgets render (dropdowns and sliders are in the DOM) when the notebook has widgets;
* changing a dropdown or slider changes the widget's output;
* the plots render as images (when the committed notebook has plots).

One dashboard notebook is also served by Voila and its widgets driven the same way.  Lab and
Voila serve a temporary copy of ``notebooks/`` (with a link to ``data/``), so autosave never
rewrites the committed notebooks.  Screenshots go to ``artifacts/screenshots/`` (gitignored).
``make test`` installs Chromium; when it is missing, these tests fail under CI (``CI=true``) and
are skipped elsewhere, with the fix in the message.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from lab_session import (
    CHROMIUM,
    CHROMIUM_FLAGS,
    JS_NOTEBOOK_STATE,
    Server,
    jupyter_server,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(p.name for p in NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))
#: The Voila dashboard the test drives (10 and 40 both render as dashboards; 40 is covered in
#: JupyterLab above).  A second Voila server in the same session (40 after 10) hung twice in
#: four fresh-clone runs before sending its page: open finding, see the closing note of issue 8.
DASHBOARDS = [d for d in ("10_security_hunt.ipynb",) if (NOTEBOOK_DIR / d).exists()] or [
    "00_quickstart.ipynb"
]
SHOTS = ROOT / "artifacts" / "screenshots"
RUN_TIMEOUT_MS = 300_000


def _require_chromium() -> None:
    if os.access(CHROMIUM, os.X_OK):
        return
    message = (
        f"{CHROMIUM} is missing: run `make test` (it installs it) or "
        "`apt-get update && apt-get install -y chromium` as root"
    )
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(message)
    pytest.skip(message)


def _expectations(name: str) -> dict[str, int]:
    """What the committed notebook shows: widget outputs, plots, dropdowns and sliders."""
    nb = json.loads((NOTEBOOK_DIR / name).read_text(encoding="utf-8"))
    outputs = [o for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])]
    plain = [o.get("data", {}).get("text/plain", "") for o in outputs]
    text = "".join("".join(p) if isinstance(p, list) else p for p in plain)
    return {
        "widgets": sum(
            "application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs
        ),
        "plots": sum("image/png" in o.get("data", {}) for o in outputs),
        "dropdowns": text.count("Dropdown("),
        "sliders": text.count("Slider("),
        "interacts": text.count("interactive(children="),
    }


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    _require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of notebooks/ next to a link to data/: Lab's autosave never touches the repo."""
    root = tmp_path_factory.mktemp("tree")
    shutil.copytree(NOTEBOOK_DIR, root / "notebooks", ignore=shutil.ignore_patterns(".*"))
    (root / "data").symlink_to(ROOT / "data", target_is_directory=True)
    return root / "notebooks"


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory, tree: Path) -> Iterator[Server]:
    _require_chromium()
    state = tmp_path_factory.mktemp("lab-state")
    with jupyter_server("lab", tree, state, secrets.token_hex(16)) as server:
        yield server


#: A signature of what an element shows (text, and a hash of every image), without the widget
#: controls themselves, so that moving a slider counts only if something it drives changes.
JS_SIGNATURE = """(root) => {
  root = root || document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook')
         || document.body;
  const clone = root.cloneNode(true);
  clone.querySelectorAll('.widget-readout, select, .widget-label, .noUi-target, .widget-dropdown,'
                         + ' .jp-InputArea, .jp-InputPrompt, .jp-OutputPrompt')
       .forEach(e => e.remove());
  let h = 0;
  for (const img of root.querySelectorAll('img')) {
    for (let i = 0; i < img.src.length; i++) { h = (h * 31 + img.src.charCodeAt(i)) | 0; }
  }
  return clone.textContent.replace(/\\s+/g, ' ') + ' #images ' + h;
}"""


def _settled(read: Callable[[], str], before: str | None = None, timeout_s: float = 60.0) -> str:
    """Wait until ``read()`` differs from ``before`` (if given) and stops changing."""
    deadline = time.monotonic() + timeout_s
    last, stable = None, 0
    while time.monotonic() < deadline:
        text = read()
        changed = before is None or text != before
        stable = stable + 1 if changed and text == last else 0
        if stable >= 3:
            return text
        last = text
        time.sleep(0.4)
    raise AssertionError(f"output did not change and settle after a widget change: {last!r:.300}")


def _change_select(select: Any) -> None:
    options = select.locator("option").all_inner_texts()
    assert len(options) >= 2, f"select has options {options}"
    current = select.evaluate("s => [...s.selectedOptions].map(o => o.text)")
    select.select_option(label=next(o for o in options if o not in current))


def _change_slider(page: Any, handle: Any) -> None:
    top = handle.get_attribute("aria-valuemax")
    assert handle.get_attribute("aria-valuenow") != top, "slider already at its maximum"
    handle.focus()
    page.keyboard.press("End")
    page.wait_for_function(
        "(h) => h.getAttribute('aria-valuenow') === h.getAttribute('aria-valuemax')",
        arg=handle.element_handle(),
        timeout=10_000,
    )


def _change_widgets(page: Any, shot: str) -> int:
    """Drive the widgets that have a live output; return how many changes were checked.

    Each ``interact`` (``.widget-interact``): change its first select (Dropdown, Select,
    SelectMultiple) and its first slider; its output must change each time.  A notebook without
    ``interact`` but with a Select list (a findings browser): change it; some output of the
    notebook must change.  Pickers whose value is only read when later cells re-run have no
    live output and are checked for rendering only.
    """
    checked = 0
    boxes = page.locator(".widget-interact >> visible=true")
    for i in range(min(boxes.count(), 3)):
        box = boxes.nth(i)
        output = box.locator(".widget-output").first

        def read(output: Any = output) -> str:
            return str(output.evaluate(JS_SIGNATURE))

        before = _settled(read)
        selects = box.locator("select >> visible=true")
        if selects.count():
            _change_select(selects.first)
            before = _settled(read, before)
            checked += 1
        handles = box.locator(".noUi-handle >> visible=true")
        if handles.count():
            _change_slider(page, handles.first)
            _settled(read, before)
            checked += 1
    lists = page.locator(".widget-select select >> visible=true")
    if not checked and lists.count():

        def read_all() -> str:
            return str(page.evaluate(JS_SIGNATURE))

        before = _settled(read_all)
        _change_select(lists.first)
        _settled(read_all, before)
        checked += 1
    page.screenshot(path=str(SHOTS / shot), full_page=True)
    return checked


def _dismiss_news(page: Any) -> None:
    """Close JupyterLab's "notified about news?" toast so it does not cover screenshots."""
    button = page.get_by_role("button", name="No", exact=True)
    if button.count():
        button.first.click()


def test_browser_suite_has_notebooks() -> None:
    assert NOTEBOOKS, f"no notebooks in {NOTEBOOK_DIR}"


#: Notebooks with a known widget bug, kept visible (strict xfail: the fix makes this fail).
KNOWN_BROKEN: dict[str, str] = {}


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=KNOWN_BROKEN[n]))
        if n in KNOWN_BROKEN
        else n
        for n in NOTEBOOKS
    ],
)
def test_notebook_runs_in_jupyterlab(browser: Any, lab: Server, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    stem = Path(name).stem
    expect = _expectations(name)
    page = browser.new_page(viewport={"width": 1400, "height": 2400})
    try:
        page.goto(
            f"{lab.url}/lab/tree/{name}?token={lab.token}&reset", wait_until="domcontentloaded"
        )
        page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=90_000)
        page.wait_for_function(
            f"() => {{ const s = ({JS_NOTEBOOK_STATE})(); return s && s.status === 'idle'; }}",
            timeout=90_000,
        )
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
        page.wait_for_function(
            f"""() => {{ const s = ({JS_NOTEBOOK_STATE})(); return s && s.status === 'idle'
                         && (s.pending === 0 || s.errors.length); }}""",
            timeout=RUN_TIMEOUT_MS,
        )
        state = page.evaluate(JS_NOTEBOOK_STATE)
        _dismiss_news(page)
        page.screenshot(path=str(SHOTS / f"{stem}-lab.png"), full_page=True)
        assert state["errors"] == [], f"{name}: error outputs {state['errors']}"
        assert state["pending"] == 0, f"{name}: {state['pending']} cells did not run"
        assert state["outputs"] > 0
        if expect["widgets"]:
            page.wait_for_selector(".jupyter-widgets", timeout=30_000)
        if expect["dropdowns"]:
            page.wait_for_selector(".widget-dropdown select", state="attached", timeout=30_000)
        if expect["sliders"]:
            page.wait_for_selector(".widget-slider .noUi-handle", state="attached", timeout=30_000)
        if expect["plots"]:
            page.wait_for_function(
                "(n) => [...document.querySelectorAll('.jp-RenderedImage img')]"
                ".filter(i => i.complete && i.naturalWidth > 100).length >= n",
                arg=expect["plots"],
                timeout=30_000,
            )
        checked = _change_widgets(page, f"{stem}-lab-widgets.png")
        assert checked >= min(expect["interacts"], 1), f"{name}: no interact output was driven"
    finally:
        page.close()


@pytest.mark.parametrize("name", DASHBOARDS)
def test_dashboard_renders_in_voila(browser: Any, tree: Path, tmp_path: Path, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    expect = _expectations(name)
    with jupyter_server("voila", tree, tmp_path, "", notebook=name) as server:
        page = browser.new_page(viewport={"width": 1400, "height": 2400})
        try:
            # Voila runs the whole notebook before it sends the page: allow the run timeout.
            page.goto(f"{server.url}/", wait_until="domcontentloaded", timeout=RUN_TIMEOUT_MS)
            page.wait_for_selector(".jupyter-widgets, .jp-OutputArea", timeout=RUN_TIMEOUT_MS)
            if expect["dropdowns"]:
                page.wait_for_selector(
                    ".widget-dropdown select", state="attached", timeout=RUN_TIMEOUT_MS
                )
            if expect["plots"]:
                page.wait_for_selector("img[src^='data:image/png']", timeout=RUN_TIMEOUT_MS)
            assert page.locator(".cm-editor, .CodeMirror").count() == 0, "Voila shows code"
            errors = page.locator("[data-mime-type='application/vnd.jupyter.error']").count()
            assert errors == 0
            _change_widgets(page, f"{Path(name).stem}-voila.png")
        finally:
            page.close()
