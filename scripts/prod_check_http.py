"""The HTTP half of `make prod-check` (scripts/prod_check.sh): a browser's visit, scripted.

Talks to gunicorn as a TLS-terminating proxy would (X-Forwarded-Proto: https),
logs in through the real login form with its CSRF token, and loads the pages,
the API docs and schema, a static file named by a page and the health check.
Standard library only. Any unexpected status (a 500 above all) fails with the
response's first lines. Usage:

    prod_check_http.py BASE_URL USERNAME PASSWORD
"""
import http.client
import json
import re
import sys
import time
import urllib.parse
from html import unescape


class Failed(Exception):
    pass


class Browser:
    """Keeps cookies itself: Secure cookies over a plain-HTTP hop to gunicorn."""

    def __init__(self, base_url: str):
        self.base = urllib.parse.urlsplit(base_url)
        self.cookies: dict[str, str] = {}
        self.origin = f"https://{self.base.netloc}"

    def request(self, method, path, *, body=None, headers=None, forwarded=True):
        conn = http.client.HTTPConnection(self.base.hostname, self.base.port, timeout=60)
        all_headers = {"Host": self.base.netloc, "Accept-Language": "zh-hans", **(headers or {})}
        if forwarded:
            all_headers["X-Forwarded-Proto"] = "https"
        if self.cookies:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        started = time.monotonic()
        conn.request(method, path, body=body, headers=all_headers)
        response = conn.getresponse()
        data = response.read()
        elapsed = time.monotonic() - started
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        conn.close()
        print(f"    {method} {path} -> {response.status} ({len(data)} bytes, {elapsed * 1000:.0f} ms)")
        return response, data

    def expect(self, method, path, status, **kwargs):
        response, data = self.request(method, path, **kwargs)
        if response.status != status:
            text = data[:1500].decode("utf-8", "replace")
            raise Failed(f"{method} {path}: expected {status}, got {response.status}\n{text}")
        return response, data


def main(base_url: str, username: str, password: str, shown_as: str = "") -> None:
    b = Browser(base_url)

    print("  health check")
    _, data = b.expect("GET", "/healthz", 200)
    health = json.loads(data)
    if health.get("database") != "ok" or health.get("broker") != "ok":
        raise Failed(f"/healthz: {health}")

    print("  plain HTTP is sent to HTTPS")
    response, _ = b.expect("GET", "/accounts/login/", 301, forwarded=False)
    if not response.getheader("Location", "").startswith("https://"):
        raise Failed(f"redirect to {response.getheader('Location')!r}, not https")

    print("  log in through the form")
    _, data = b.expect("GET", "/accounts/login/", 200)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', data)
    if not token or "csrftoken" not in b.cookies:
        raise Failed("login page has no CSRF token / cookie")
    form = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token.group(1).decode(), "username": username, "password": password}
    )
    response, _ = b.expect(
        "POST", "/accounts/login/", 302, body=form,
        headers={"Content-Type": "application/x-www-form-urlencoded",
                 "Referer": f"{b.origin}/accounts/login/", "Origin": b.origin},
    )
    if "sessionid" not in b.cookies:
        raise Failed("no session cookie after logging in (wrong password?)")

    print("  pages")
    _, home = b.expect("GET", "/", 200)
    # The header names the user as the site shows them (full name, else username).
    current = re.search(rb'data-testid="current-user">([^<]*)<', home)
    if not current or unescape(current.group(1).decode()).strip() != (shown_as or username):
        raise Failed(f"home page does not name the logged-in user ({shown_as or username!r})")
    _, proposals = b.expect("GET", "/proposals/", 200)
    rows = proposals.count(b'href="/proposals/') - proposals.count(b'href="/proposals/new')
    print(f"    /proposals/ links to {rows} proposal pages")

    print("  static files named by the page (hashed names from the manifest, compressed)")
    urls = [unescape(u) for u in re.findall(r'(?:href|src)="(/static/[^"]+)"', home.decode())]
    if not urls:
        raise Failed("home page names no /static/ file")
    for url in urls:
        if not re.search(r"\.[0-9a-f]{12}\.(css|js|svg|png|ico|woff2?)$", url):
            raise Failed(f"{url} is not a hashed name: the manifest was not used")
    response, data = b.expect("GET", urls[0], 200, headers={"Accept-Encoding": "gzip, br"})
    encoding = response.getheader("Content-Encoding")
    if encoding not in ("gzip", "br"):
        raise Failed(f"{urls[0]} served uncompressed (Content-Encoding {encoding!r})")
    if "immutable" not in response.getheader("Cache-Control", ""):
        raise Failed(f"{urls[0]}: Cache-Control {response.getheader('Cache-Control')!r}, expected immutable")
    for url in urls[1:]:
        b.expect("GET", url, 200)

    print("  API docs and schema")
    _, docs = b.expect("GET", "/api/v1/docs/", 200)
    assets = re.findall(r'(?:href|src)="(/static/[^"]+)"', docs.decode())
    if not assets:
        raise Failed("Swagger UI page names no local /static/ asset")
    for url in assets:
        b.expect("GET", unescape(url), 200)
    _, schema = b.expect("GET", "/api/v1/schema/", 200)
    if not schema.startswith(b"openapi:"):
        raise Failed(f"schema does not look like OpenAPI: {schema[:80]!r}")
    _, me = b.expect("GET", "/api/v1/me/", 200, headers={"Accept": "application/json"})
    if json.loads(me).get("username") not in (username, None):
        raise Failed(f"/api/v1/me/ answers {me[:200]!r}")

    print("  citizens: the public complaint pages, Open311, and the lookup throttle shared through Redis")
    c = Browser(f"http://{b.base.netloc}")  # no account
    c.expect("GET", "/complaint/", 200)
    _, services = c.expect("GET", "/open311/v2/services.json", 200)
    if not json.loads(services):
        raise Failed("Open311 services.json lists no service")
    _, page = c.expect("GET", "/complaint/track/", 200)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()
    form = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "number": "TS1999000001", "code": "WRONG234"})
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Referer": f"{c.origin}/complaint/track/", "Origin": c.origin}
    statuses = [c.request("POST", "/complaint/track/", body=form, headers=headers)[0].status for _ in range(6)]
    # Several gunicorn workers answer these; only a shared cache (Redis) counts them together.
    if statuses[:5] != [200] * 5 or statuses[5] != 429:
        raise Failed(f"public lookup: 5 wrong guesses then 429 expected, got {statuses}")

    print("  a page that does not exist is a 404 page, not a 500")
    b.expect("GET", "/no-such-page/", 404)


if __name__ == "__main__":
    try:
        main(*sys.argv[1:5])
    except Failed as exc:
        print(f"prod-check HTTP: {exc}", file=sys.stderr)
        sys.exit(1)
    except OSError as exc:
        print(f"prod-check HTTP: cannot talk to the server: {exc!r}", file=sys.stderr)
        sys.exit(1)
