"""Open pages of the built site in headless Chromium and check what they show.

Run after ``make docs``: ``python docs/check_pages.py`` serves
``docs/_build/html`` on a local port, takes a screenshot of the home page,
an API page and a notebook page with Chromium (``/usr/bin/chromium``, from
the system's packages), and fails unless each screenshot shows a rendered
page (text and figures, not a blank or an error page) and each page's HTML
holds what it should (the title, the function's signature, a figure).
The screenshots are kept in ``docs/_build/screenshots`` for a person to look at.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
from matplotlib import image

SITE = Path(__file__).resolve().parent / "_build" / "html"
SHOTS = SITE.parent / "screenshots"
PAGES = {  # page -> text its HTML must hold
    "index.html": "System-dynamics models as vectorized numpy",
    "generated/gysim.loop_dominance.html": "loop_dominance",
    "notebooks/06_loops_and_diagrams.html": "<img",
}
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--window-size=1400,1600"]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's signature
        pass


def main() -> int:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        print("check_pages: no chromium on this machine (apt-get install chromium)")
        return 1
    if not (SITE / "index.html").is_file():
        print(f"check_pages: {SITE} has no site: run `make docs` first")
        return 1
    handler = functools.partial(_QuietHandler, directory=str(SITE))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    SHOTS.mkdir(parents=True, exist_ok=True)
    failures = []
    try:
        for page, must_hold in PAGES.items():
            html = (SITE / page).read_text(encoding="utf-8")
            if must_hold not in html:
                failures.append(f"{page}: the HTML lacks {must_hold!r}")
            shot = SHOTS / (page.replace("/", "_").removesuffix(".html") + ".png")
            shot.unlink(missing_ok=True)
            subprocess.run([browser, *FLAGS, f"--user-data-dir={SHOTS / 'profile'}",
                            f"--screenshot={shot}",
                            f"http://127.0.0.1:{server.server_port}/{page}"],
                           check=False, capture_output=True, timeout=120)
            if not shot.is_file():
                failures.append(f"{page}: no screenshot")
                continue
            pixels = image.imread(shot)[..., :3]
            inked = float(np.mean(pixels.min(axis=-1) < 0.9))  # not white or near white
            print(f"{page}: {shot} ({inked:.1%} of the page inked)")
            if inked < 0.02:
                failures.append(f"{page}: the screenshot is (nearly) blank")
    finally:
        server.shutdown()
    for failure in failures:
        print("check_pages:", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
