"""The load test of issue 11 (`make loadtest`, scripts/loadtest.sh): staff of every
role on the production stack (gunicorn, PostgreSQL, Redis) with the 100k data set.

Each simulated user signs in once through the login form (CSRF token from the
page, as a browser does); the measured LOADTEST_DURATION (60) seconds start
when all have (the sign-in phase is reported apart, see _measure). Then each, with a pause of LOADTEST_WAIT seconds
(default "1,3": a person reading a page before the next click) between
requests, reads what their role reads (home/inbox, lists, the supervision
list, detail pages, the API lists) and acts on cases:

* handlers save a reply draft and record a consultation on an assignment of
  their open "handle" tasks (through the API, session + X-CSRFToken);
* the proposal office accepts a submitted proposal from its review queue
  (through the API).

An action the flow refuses because the case moved on (another simulated user
was first: 400/403/404/409 with the API's error shape) is counted as
"tolerated", not as an error. Errors are 5xx, network errors and any other
unexpected status; the run fails when there is one.

Talks to gunicorn as a TLS-terminating proxy would (X-Forwarded-Proto: https,
Origin/Referer https://host): the production settings redirect plain HTTP and
mark cookies Secure, which are sent anyway over the plain-HTTP hop (Staff.plain_hop).

Request names are endpoint groups ("page: proposal detail", "api: proposal
tasks", "act: review" ...). On exit the figures go to LOADTEST_RESULTS
(bench/results/loadtest.json): per group and in total, requests per second,
p50/p95/p99 in ms, errors, tolerated refusals, users, duration, and the data
size the script passes in LOADTEST_DATA (JSON).
"""
from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import random
import re
import time
from collections import Counter
from zoneinfo import ZoneInfo

import gevent
from locust import HttpUser, between, events, task
from locust.stats import StatsEntry

PASSWORD = os.environ.get("LOADTEST_PASSWORD", "demo12345")
WAIT = tuple(float(x) for x in os.environ.get("LOADTEST_WAIT", "1,3").split(","))
RESULTS = os.environ.get("LOADTEST_RESULTS", "bench/results/loadtest.json")
DURATION = float(os.environ.get("LOADTEST_DURATION", "60").rstrip("s"))  # measured, after every user signed in
SIGN_IN_LIMIT = 600  # seconds for every user to sign in before the measured run starts anyway
BENCH_DEPARTMENTS = 40
BENCH_MEMBERS = 999  # bench_m0001 .. bench_m0999 propose copies (bench/scale.py)
TOLERATED = {400, 403, 404, 409}  # a refusal by design: the case moved on
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
SHANGHAI = ZoneInfo(os.environ.get("TIME_ZONE", "Asia/Shanghai"))  # the server's "today"
PROPOSAL_LINK = re.compile(r'href="/proposals/(\d+)/"')

tolerated: Counter = Counter()
roles: Counter = Counter()  # simulated users per role class
accounts: set[str] = set()
signed_in = 0
sign_in: dict = {}  # figures of the sign-in phase, kept apart from the measured run
unexpected: list[str] = []
started_at = None


def _pool(*names):
    return itertools.cycle(names)


class Staff(HttpUser):
    abstract = True
    wait_time = between(*WAIT)
    usernames = None  # an iterator of account names, shared by the class's users

    def on_start(self):
        self.username = next(self.usernames)
        roles[type(self).__name__] += 1
        accounts.add(self.username)
        origin = self.host.replace("http://", "https://", 1)
        self.origin = origin
        self.client.headers.update({"X-Forwarded-Proto": "https", "Accept-Language": "zh-hans", "Referer": origin + "/"})
        page = self.get("/accounts/login/", "login page")
        token = CSRF_RE.search(page.text).group(1)
        self.plain_hop()
        with self.client.post("/accounts/login/", name="login", allow_redirects=False, catch_response=True,
                              data={"csrfmiddlewaretoken": token, "username": self.username, "password": PASSWORD},
                              headers={"Origin": origin, "Referer": origin + "/accounts/login/"}) as r:
            if r.status_code != 302 or "sessionid" not in self.client.cookies:
                r.failure(f"login as {self.username}: {r.status_code}")
                unexpected.append(f"login {self.username} -> {r.status_code}")
                self.stop(force=True)
        global signed_in
        signed_in += 1
        self.proposal_ids: list[int] = []

    # --- helpers ------------------------------------------------------------------------------
    def plain_hop(self):
        """The cookies are Secure (production); the hop to gunicorn is plain HTTP, as behind a
        TLS proxy. requests copies the jar for each request (a cookie policy would be lost), so
        the flag is cleared on the stored cookies before each request."""
        for cookie in self.client.cookies:
            cookie.secure = False

    def get(self, url, name, **kwargs):
        self.plain_hop()
        with self.client.get(url, name=name, catch_response=True, allow_redirects=False, **kwargs) as r:
            if r.status_code == 404 and "?page=" in url:  # past the last page of a short queue
                r.success()
            elif r.status_code != 200:
                r.failure(f"{r.status_code}")
                unexpected.append(f"GET {url} as {self.username} -> {r.status_code}")
            return r

    def api(self, url, name):
        r = self.get(url, name, headers={"Accept": "application/json"})
        try:
            return r.json()
        except ValueError:
            return {}

    def act(self, method, url, name, payload):
        self.plain_hop()
        headers = {"Accept": "application/json", "X-CSRFToken": self.client.cookies.get("csrftoken", ""),
                   "Origin": self.origin, "Referer": self.origin + "/"}
        with self.client.request(method, url, name=name, json=payload, headers=headers, catch_response=True,
                                 allow_redirects=False) as r:
            if r.status_code in (200, 201):
                r.success()
            elif r.status_code in TOLERATED and r.headers.get("Content-Type", "").startswith("application/json"):
                tolerated[(name, r.status_code)] += 1
                r.success()
            else:
                r.failure(f"{r.status_code}")
                unexpected.append(f"{method} {url} as {self.username} -> {r.status_code} {r.text[:200]!r}")
            return r

    def tasks_api(self):
        data = self.api("/api/v1/proposal-tasks/", "api: proposal tasks")
        return data.get("results", []) if isinstance(data, dict) else []

    # --- what every member of staff reads -------------------------------------------------------
    @task(3)
    def home(self):
        self.get("/", "page: home (inbox)")

    @task(3)
    def proposal_list(self):
        page = random.choice(["", "", "?page=2", "?page=3"])
        r = self.get(f"/proposals/{page}", "page: proposal list")
        if r.status_code == 200:
            ids = [int(i) for i in PROPOSAL_LINK.findall(r.text)]
            if ids:
                self.proposal_ids = ids

    @task(4)
    def proposal_detail(self):
        if not self.proposal_ids:
            return self.proposal_list()
        pk = random.choice(self.proposal_ids)
        self.get(f"/proposals/{pk}/", "page: proposal detail")

    @task(2)
    def api_proposals(self):
        data = self.api("/api/v1/proposals/", "api: proposal list")
        results = data.get("results", []) if isinstance(data, dict) else []
        if results:
            self.api(f"/api/v1/proposals/{random.choice(results)['id']}/", "api: proposal detail")

    @task(2)
    def api_tasks(self):
        self.tasks_api()


class Office(Staff):
    """提案委: the whole list, the supervision list, the review queue."""

    weight = 6
    usernames = _pool("office1")

    @task(2)
    def supervision(self):
        self.get("/proposals/supervision/", "page: supervision list")

    @task(2)
    def review_one(self):
        reviews = [t for t in self.tasks_api() if (t.get("action") or "").endswith("/review/")]
        if reviews:
            self.act("POST", "/api/v1/" + random.choice(reviews)["action"], "act: review (accept)", {"outcome": "accept"})


class Handler(Staff):
    """承办单位 handlers: the demo one and those of the 40 bench departments."""

    weight = 16
    usernames = _pool("handler1", *(f"bench_h{i:02d}" for i in range(1, BENCH_DEPARTMENTS + 1)))

    def on_start(self):
        super().on_start()
        me = self.api("/api/v1/me/", "api: me")
        self.departments = {m["department"]["id"] for m in me.get("memberships", [])} if isinstance(me, dict) else set()

    def _assignment(self):
        """An assignment of this handler's department being handled, found as a person would:
        a "handle" task of the queue, then the case."""
        handling = [t for t in self.tasks_api() if (t.get("action") or "").endswith("/reply/")]
        if not handling:
            # At 100k a department's first page is often all sign tasks: look further on, as a
            # person pages through the queue.
            data = self.api(f"/api/v1/proposal-tasks/?page={random.randint(2, 20)}", "api: proposal tasks")
            results = data.get("results", []) if isinstance(data, dict) else []
            handling = [t for t in results if (t.get("action") or "").endswith("/reply/")]
        if not handling:
            return None
        case = self.api(f"/api/v1/proposals/{random.choice(handling)['proposal']}/", "api: proposal detail")
        mine = [a["id"] for a in (case.get("assignments") or []) if isinstance(case, dict)
                and (a.get("department") or {}).get("id") in self.departments and a.get("status") == "signed"]
        return random.choice(mine) if mine else None

    @task(2)
    def save_reply_draft(self):
        a = self._assignment()
        if a:
            self.act("POST", f"/api/v1/proposal-assignments/{a}/reply/", "act: reply draft", {
                "reply_class": "A", "body": f"经研究，答复如下：一、……（负载测试 {time.time():.0f}）",
                "contact_person": "示例联系人", "contact_phone": "0839-0000000"})

    @task(1)
    def record_consultation(self):
        a = self._assignment()
        if a:
            self.act("POST", f"/api/v1/proposal-assignments/{a}/consultation/", "act: consultation", {
                "date": dt.datetime.now(SHANGHAI).date().isoformat(), "mode": "phone", "participants": "示例委员", "note": "负载测试"})


class Leader(Staff):
    """承办单位领导: the inbox (sign-offs), the lists and details."""

    weight = 8
    usernames = _pool("leader1", *(f"bench_l{i:02d}" for i in range(1, BENCH_DEPARTMENTS + 1)))


class Member(Staff):
    """政协委员: their own proposals."""

    weight = 10
    usernames = _pool("member1", *(f"bench_m{i:04d}" for i in range(1, BENCH_MEMBERS + 1)))


class Supervision(Staff):
    """督查室 and 牵头领导: the supervision list of key and overdue proposals."""

    weight = 4
    usernames = _pool("supervisor1", "keyleader1")

    @task(4)
    def supervision(self):
        self.get("/proposals/supervision/", "page: supervision list")


class ComplaintStaff(Staff):
    """热线 dispatcher and a complaint handler: the complaint lists and details (demo-size data)."""

    weight = 6
    usernames = _pool("dispatcher1", "re_handler1")

    @task(4)
    def complaint_list(self):
        self.get("/complaints/", "page: complaint list")

    @task(3)
    def complaint_detail(self):
        data = self.api("/api/v1/complaints/", "api: complaint list")
        results = data.get("results", []) if isinstance(data, dict) else []
        if results:
            self.get(f"/complaints/{random.choice(results)['id']}/", "page: complaint detail")

    @task(2)
    def complaint_tasks(self):
        self.api("/api/v1/complaint-tasks/", "api: complaint tasks")


# --- figures ----------------------------------------------------------------------------------
# The measured run starts once every user has signed in. Signing in hashes a password
# (PBKDF2, Django's 1,000,000 iterations: about a second of one core each), so 50 sign-ins in
# the first seconds would fill every worker and the figures would be those of the queue of
# sign-ins, not of the pages. The sign-in phase is reported on its own.
def _row(entry: StatsEntry, seconds: float) -> dict:
    return {
        "requests": entry.num_requests,
        "requests_per_s": round(entry.num_requests / seconds, 2) if seconds else None,
        "p50_ms": entry.get_response_time_percentile(0.50),
        "p95_ms": entry.get_response_time_percentile(0.95),
        "p99_ms": entry.get_response_time_percentile(0.99),
        "max_ms": round(entry.max_response_time or 0),
        "errors": entry.num_failures,
    }


def _measure(environment):
    users = environment.parsed_options.num_users
    t0 = time.time()
    while signed_in < users and time.time() - t0 < SIGN_IN_LIMIT and environment.runner.user_count:
        gevent.sleep(0.2)
    seconds = time.time() - t0
    stats = environment.stats
    sign_in.update({
        "seconds": round(seconds, 1), "signed_in": signed_in,
        "groups": {name: _row(entry, seconds) for (name, _m), entry in sorted(stats.entries.items())},
        "errors": stats.total.num_failures,
    })
    print(f"{signed_in} of {users} users signed in after {seconds:.0f} s; measuring for {DURATION:g} s", flush=True)
    stats.reset_all()
    global started_at
    started_at = time.time()
    gevent.sleep(DURATION)
    environment.runner.quit()


@events.test_start.add_listener
def _started(environment, **kwargs):
    gevent.spawn(_measure, environment)


@events.quitting.add_listener
def _write(environment, **kwargs):
    stats = environment.stats
    seconds = round(time.time() - started_at, 1) if started_at else 0.0
    groups = {name: _row(entry, seconds) for (name, _method), entry in sorted(stats.entries.items()) if entry.num_requests}
    errors = stats.total.num_failures + sign_in.get("errors", 0)
    result = {
        "users": environment.parsed_options.num_users if environment.parsed_options else None,
        "spawn_rate": environment.parsed_options.spawn_rate if environment.parsed_options else None,
        "duration_s": seconds,
        "wait_between_requests_s": list(WAIT),
        "users_by_role": dict(sorted(roles.items())),
        "accounts": len(accounts),
        "total": _row(stats.total, seconds),
        "groups": groups,
        "errors": errors,
        "error_samples": unexpected[:20],
        "tolerated_refusals": {f"{name} {code}": n for (name, code), n in sorted(tolerated.items())},
        "sign_in_phase": sign_in,
        "data": json.loads(os.environ.get("LOADTEST_DATA", "{}") or "{}"),
        "server": os.environ.get("LOADTEST_SERVER", ""),
        "measured_at": dt.datetime.now().isoformat(timespec="seconds"),
    }
    os.makedirs(os.path.dirname(RESULTS) or ".", exist_ok=True)
    with open(RESULTS, "w", encoding="utf-8") as f:
        json.dump(result, f, ensure_ascii=False, indent=2)
        f.write("\n")
    width = max(len(n) for n in [*groups, "total"])
    print(f"\nLoad test: {result['users']} users {result['users_by_role']}, {seconds} s measured, "
          f"{WAIT[0]:g}-{WAIT[1]:g} s between a user's requests; data {result['data']}")
    print(f"{'group':<{width}}  {'req':>6} {'req/s':>7} {'p50':>6} {'p95':>6} {'p99':>6} {'max':>6} {'err':>4}  (ms)")
    for name, row in [*groups.items(), ("total", result["total"])]:
        print(f"{name:<{width}}  {row['requests']:>6} {row['requests_per_s']:>7} {row['p50_ms']:>6} {row['p95_ms']:>6} "
              f"{row['p99_ms']:>6} {row['max_ms']:>6} {row['errors']:>4}")
    login = sign_in.get("groups", {}).get("login")
    if login:
        print(f"sign-in phase: {sign_in['signed_in']} users in {sign_in['seconds']} s; login p50 {login['p50_ms']} ms, "
              f"p95 {login['p95_ms']} ms, errors {sign_in['errors']}")
    if tolerated:
        print("tolerated refusals (the case had moved on):", result["tolerated_refusals"])
    for line in unexpected[:20]:
        print("ERROR", line)
    print(f"errors: {errors}; written to {RESULTS}")
    if errors:
        environment.process_exit_code = 1
