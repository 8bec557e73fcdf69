"""The demo's HTML report (evaluation/html_report.py): what the page holds, and that it really
loads in a browser.

The browser test builds a small report (two filmed one-episode jobs, one of them a trained
policy, so the page has videos, a chart and a learning curve) and loads its index.html in
headless Chromium over the DevTools protocol (tests/headless_browser.py): no console errors or
failed loads, nothing fetched but the page's own files, every image decoded, every video's
metadata read with a duration. It skips, saying why, only when no Chromium is installed
(``make browser-deps`` installs Debian's, as ``make test`` does when run as root).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from robodojo.evaluation import demo
from robodojo.evaluation.html_report import Row, html_report, policy_kind, success_chart

#: Waits for every <video>'s metadata (or its error) and every <img>'s decoding, then reports.
CHECK_PAGE = """
(async () => {
  const videos = [...document.querySelectorAll('video')];
  const images = [...document.images];
  await Promise.all(videos.map((v) => new Promise((resolve) => {
    if (v.readyState >= 1) { resolve(); return; }
    v.addEventListener('loadedmetadata', resolve, {once: true});
    v.addEventListener('error', resolve, {once: true});
    setTimeout(resolve, 20000);
  })));
  await Promise.all(images.map((i) => i.decode().catch(() => null)));
  return {
    images: images.map((i) => ({alt: i.alt, complete: i.complete, width: i.naturalWidth})),
    videos: videos.map((v) => ({src: v.currentSrc, readyState: v.readyState,
                                duration: v.duration, error: v.error ? v.error.code : null})),
    charts: document.querySelectorAll('section svg').length,
    sections: [...document.querySelectorAll('section[id] h2')].map((h) => h.textContent),
  };
})()
"""


def _summary(successes: int, episodes: int) -> dict:
    from robodojo.evaluation.stats import wilson_interval

    return {
        "episodes": episodes,
        "successes": successes,
        "success_rate": successes / episodes,
        "success_ci95": list(wilson_interval(successes, episodes)),
        "metrics": {},
        "physics_errors": 0,
    }


def test_page_escapes_text_and_marks_kinds() -> None:
    rows = [
        Row(demo.FALL, "a1", "fall_recovery_a1", "trained", _summary(9, 10), None, None, 1.5),
        Row(demo.FALL, "a1", "random", "random", _summary(0, 10), None, None, 0.5),
        Row(demo.FALL, "a1", "scripted", "scripted", None, "ValueError: <b>&</b>", None, 0.1),
    ]
    page = html_report(rows, {}, episodes=10, seed=0, wall_time=2.1, version="0.0", created="today")
    assert "<b>&</b>" not in page and "ValueError: &lt;b&gt;&amp;&lt;/b&gt;" in page
    assert '<tr class="trained">' in page and '<tr class="failed">' in page
    assert '<section id="fall_recovery">' in page and "<h2>robodojo/FallRecovery-v0</h2>" in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page), "nothing from outside"
    chart = success_chart(demo.FALL, rows)
    assert chart.count("<circle") == 2 and "failed" in chart and "(trained)" in chart
    assert policy_kind("fall_recovery_a1", {"fall_recovery_a1"}) == "trained"
    assert policy_kind("random", ()) == "random" and policy_kind("getup", ()) == "scripted"


@pytest.fixture(scope="module")
def small_report(tmp_path_factory) -> Path:
    """A demo report of two filmed one-episode jobs on the A1: scripted and trained."""
    pytest.importorskip("imageio_ffmpeg", reason="videos need robodojo[video]")
    out = tmp_path_factory.mktemp("report")
    jobs = [
        demo.Job(demo.FALL, "a1", "scripted", film=1),
        demo.Job(demo.FALL, "a1", "fall_recovery_a1", film=1),
    ]
    assert demo.run_demo(jobs, out, episodes=1, seed=0, video=True) == 0
    return out


def test_index_references_every_video(small_report: Path) -> None:
    page = (small_report / "index.html").read_text()
    videos = sorted(p.name for p in small_report.glob("*.mp4"))
    assert videos == ["fall_recovery_a1_fall_recovery_a1.mp4", "fall_recovery_a1_scripted.mp4"]
    assert sorted(re.findall(r'<video [^>]*src="([^"]+)"', page)) == videos
    assert page.count('src="data:image/png;base64,') == 1  # fall_recovery_a1's learning curve
    assert "**fall_recovery_a1** (trained)" in (small_report / "report.md").read_text()


def test_index_loads_in_headless_chromium(small_report: Path, tmp_path: Path) -> None:
    from headless_browser import chromium_page, console_errors, find_chromium, requested_urls

    chromium = find_chromium()
    if chromium is None:
        pytest.skip(
            "no Chromium found (looked for chromium, chromium-browser, google-chrome; "
            "`apt-get install chromium`, which `make test` does when run as root)"
        )
    pytest.importorskip("websocket", reason="websocket-client is not installed (robodojo[dev])")
    index = small_report / "index.html"
    with chromium_page(chromium, tmp_path / "profile") as page:
        page.call("Page.navigate", url=index.resolve().as_uri())
        page.wait_for("Page.loadEventFired", timeout=30)
        found = page.evaluate(CHECK_PAGE)
        page.evaluate("new Promise((resolve) => setTimeout(resolve, 200))")  # late console events
        errors = console_errors(page.events)
        urls = requested_urls(page.events)
    assert errors == [], errors
    outside = [u for u in urls if not u.startswith(("file:", "data:"))]
    assert outside == [], f"the page fetched from outside its folder: {outside}"
    assert found["sections"] == [demo.FALL]
    assert found["charts"] == 1
    assert len(found["images"]) == 1
    for image in found["images"]:
        assert image["complete"] and image["width"] > 0, image
    assert sorted(Path(v["src"]).name for v in found["videos"]) == sorted(
        p.name for p in small_report.glob("*.mp4")
    )
    for video in found["videos"]:
        assert video["error"] is None and video["readyState"] >= 1, video
        assert (video["duration"] or 0) > 0, video
