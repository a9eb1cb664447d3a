"""The report in a real browser: headless Chromium renders every figure, runs no script, logs no error."""

from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
STRICT = os.environ.get("VALUEDRIFT_STRICT_TESTS") == "1"


@pytest.fixture()
def browser():
    if CHROMIUM is None:
        if STRICT:
            pytest.fail("chromium is not installed (scripts/test.sh installs Debian's chromium)")
        pytest.skip("chromium not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                "--disable-sync",
            ],
        )
        try:
            yield b
        finally:
            b.close()


@pytest.mark.browser
def test_report_renders_in_chromium_without_running_model_output(analysed_run, browser, tmp_path):
    from valuedrift.report import build_report

    path = build_report(analysed_run)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.resolve().as_uri())
    page.wait_for_load_state("load")

    images = page.evaluate(
        "[...document.images].map(i => [i.alt, i.complete, i.naturalWidth, i.naturalHeight])"
    )
    assert len(images) >= 3
    for alt, complete, w, h in images:
        assert complete and w > 100 and h > 100, alt
    assert (
        page.evaluate("typeof window.__pwned") == "undefined"
    )  # the model's <script>/<img onerror> did not run
    assert page.title().startswith("valuedrift report")
    # the hostile response is shown to the reader as text
    assert page.locator(".resp").first.inner_text().count("<script>") == 1
    assert errors == []
    assert all(u.startswith(("file://", "data:")) for u in requests)
    shot = tmp_path / "report.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 20_000
