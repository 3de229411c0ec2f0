"""Screenshots of the product for the README (`make screenshots`).

Builds a throwaway SQLite database with the demo data, serves it with
Django's development server on a free port, and has Debian's Chromium
(Playwright) photograph the pages people use most, at 1366 px and 390 px,
in Chinese: the member's home, a handler's inbox, a proposal's page, the
reply letter editor with its preview, and a complaint's page. Writes
docs/screenshots/<name>-<width>.png.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
PY = str(ROOT / ".venv" / "bin" / "python")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"]
PASSWORD = "demo12345"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    workdir = tempfile.mkdtemp(prefix="screenshots-")
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="config.settings.local", DATABASE_URL=f"sqlite:///{workdir}/db.sqlite3")
    manage = [PY, "manage.py"]
    subprocess.run(manage + ["migrate", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run(manage + ["demo_data", "-v0"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    port = free_port()
    server = subprocess.Popen(manage + ["runserver", f"127.0.0.1:{port}", "--noreload"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/accounts/login/", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        shoot(base, env)
    finally:
        server.terminate()
        server.wait(10)
    return 0


def case_paths(env) -> dict:
    """The demo's cases to show, looked up in the screenshot database."""
    code = (
        "import django; django.setup()\n"
        "from proposals.models import Assignment, Proposal\n"
        "from complaints.models import Complaint\n"
        "p = Proposal.objects.filter(title__contains='一次性告知').first()\n"
        "a = Assignment.objects.filter(proposal=p, role='lead').first() or Assignment.objects.filter(proposal=p).first()\n"
        "c = Complaint.objects.order_by('pk').first()\n"
        "print(p.pk, a.pk, c.pk)\n"
    )
    out = subprocess.run([PY, "-c", code], cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout.split()
    proposal, assignment, complaint = out[-3:]
    return {"proposal": f"/proposals/{proposal}/", "reply": f"/proposals/assignments/{assignment}/reply/", "complaint": f"/complaints/{complaint}/"}


def shoot(base: str, env) -> None:
    from playwright.sync_api import sync_playwright

    paths = case_paths(env)
    shots = [
        ("member-home", "member2", "/"),
        ("handler-inbox", "handler1", "/"),
        ("proposal-detail", "handler1", paths["proposal"]),
        ("reply-editor", "handler1", paths["reply"]),
        ("complaint-detail", "dispatcher1", paths["complaint"]),
        ("public-proposals", None, "/proposals/public/"),
    ]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for width in (1366, 390):
            for name, user, path in shots:
                context = browser.new_context(viewport={"width": width, "height": 900}, locale="zh-CN")
                page = context.new_page()
                if user:
                    page.goto(base + "/accounts/login/")
                    page.fill("#id_username", user)
                    page.fill("#id_password", PASSWORD)
                    page.click("button[type=submit]")
                    page.wait_for_load_state()
                page.goto(base + path)
                target = OUT / f"{name}-{width}.png"
                page.screenshot(path=str(target), full_page=True)
                print(target.relative_to(ROOT))
                context.close()
        browser.close()


if __name__ == "__main__":
    sys.exit(main())
