"""The realistic-size complaint data set of issue 11: up to a million
complaints with the tasks, dispatches, replies, ratings, events and history
the real flow writes, across the 40 bench departments, their dates spread
over the last two years; on SQLite or PostgreSQL.

The same machinery as the proposals (bench/scale.py): one *template*
complaint per shape driven through the real services, then copied set-wise
(`scale.copy_templates` with `scale.COMPLAINTS`). What differs:

* the number is text and unique: a copy's is the template's suffixed with
  the copy index (`TS2026000007-1234`);
* every date and time of copy k moves k-dependent days into the past: the
  closed shapes over the last two years (so the period filters, the ledger
  and the dashboard have data), the open ones over the last 45 days (some
  on time, some overdue, as a live hotline's are);
* the citizen's encrypted fields and blind index are copied verbatim
  (valid ciphertext of the template's placeholder details);
* one-time rating links (`CitizenLink`, unique token hashes) are not copied.

    from bench import scale_complaints; scale_complaints.build_complaints(complaints=1_000_000)
"""
from __future__ import annotations

import time

from django.db import connection

from bench import scale

COMPLAINTS = scale.CaseSpec("complaints", "Complaint", "ComplaintProcess", "ComplaintTask", "complaint",
                            {"dispatch_id": "Dispatch"}, ("realestate", "service-centre"), skip=("CitizenLink",))

# shape -> share of the data set (sums to 1): mostly closed, the rest open in every state.
MIX = {
    "closed_satisfied": 0.70,
    "closed_rectified": 0.08,
    "new": 0.03,
    "dispatched": 0.03,
    "handling": 0.06,
    "replied": 0.04,
    "redispatched": 0.03,
    "suspended": 0.03,
}
OPEN_SHAPES = ("new", "dispatched", "handling", "replied", "redispatched", "suspended")
# Copy k's dates move this many days back (SQL in terms of c.k): closed over two years, open over 45 days.
DAYS_BACK_CLOSED = "((CAST(c.k AS bigint) * 7919) % 730)"  # bigint: k * 7919 passes 2^31 at k = 271,181 (PostgreSQL's integer)
DAYS_BACK_OPEN = "((c.k * 7) % 45)"


def make_templates() -> dict[str, int]:
    """One complaint per shape through the real services; returns shape -> complaint id."""
    from complaints import services
    from complaints.demo import _at, _when
    from complaints.models import Category, Channel, Complaint, Dispatch
    from workflow.models import Department, User

    u = {n: User.objects.get(username=n) for n in ("dispatcher1", "operator1", "re_handler1", "re_leader1", "sc_handler1")}
    realestate, centre = Department.objects.get(code="realestate"), Department.objects.get(code="service-centre")
    category = Category.objects.get(code="window_service")
    dispatcher, re_handler = u["dispatcher1"], u["re_handler1"]

    def get(c):
        return Complaint.objects.get(pk=c.pk)

    def submit(shape, days):
        with _at(_when(days, 9)):
            c, _code = services.complaint_submit(
                actor=u["operator1"], channel=Channel.HOTLINE, kind="complaint", category=category,
                title=f"窗口工作人员不一次性告知所需材料（{shape}）",
                description="来电反映：到区政务服务中心不动产登记窗口办理过户，工作人员每次只说一部分材料，前后跑了三次。",
                hall="区政务服务中心", window="不动产登记3号窗口", citizen_name="示例群众", citizen_phone="13800009999",
                citizen_id_number="", answers={"window_number": "3"},
            )
        return c

    def dispatch(c, days):
        with _at(_when(days, 11)):
            services.complaint_dispatch(actor=dispatcher, complaint=get(c), department=realestate, suggested_rule="不动产登记窗口")

    def sign(c, days, handler=re_handler, dept=realestate):
        with _at(_when(days, 9)):
            services.dispatch_sign(actor=handler, dispatch=get(c).dispatches.get(department=dept, status=Dispatch.Status.DISPATCHED))

    def reply(c, days):
        with _at(_when(days, 15)):
            services.complaint_reply(actor=re_handler, complaint=get(c), body="经核实，窗口未落实一次性告知制度，已批评教育并放置材料清单。",
                                     findings="窗口工作人员未一次性告知所需材料。")
        with _at(_when(days - 1, 10)):
            services.complaint_reply_sign_off(actor=u["re_leader1"], reply=get(c).replies.get(), approve=True)
        with _at(_when(days - 1, 15)):
            services.complaint_review_reply(actor=dispatcher, complaint=get(c), approve=True)

    def callback(c, days, rating, comment=""):
        with _at(_when(days, 10)):
            services.complaint_callback(actor=dispatcher, complaint=get(c), rating=rating, comment=comment)

    t = {}
    t["new"] = submit("new", 0).pk
    c = submit("dispatched", 1)
    dispatch(c, 1)
    t["dispatched"] = c.pk
    c = submit("handling", 3)
    dispatch(c, 3)
    sign(c, 2)
    t["handling"] = c.pk
    c = submit("replied", 6)
    dispatch(c, 6)
    sign(c, 5)
    reply(c, 3)
    t["replied"] = c.pk
    c = submit("closed_satisfied", 10)
    dispatch(c, 10)
    sign(c, 9)
    reply(c, 6)
    callback(c, 4, "satisfied", "问题已解决。")
    t["closed_satisfied"] = c.pk
    c = submit("closed_rectified", 14)
    dispatch(c, 14)
    sign(c, 13)
    reply(c, 10)
    callback(c, 8, "dissatisfied", "没有向我道歉。")
    with _at(_when(6, 15)):
        services.complaint_rectify(actor=re_handler, complaint=get(c), report="已当面致歉，并组织窗口人员培训一次性告知制度。")
    callback(c, 4, "satisfied", "整改到位。")
    t["closed_rectified"] = c.pk
    c = submit("redispatched", 4)
    dispatch(c, 4)
    with _at(_when(4, 15)):
        services.dispatch_return(actor=re_handler, dispatch=get(c).dispatches.get(), reason="该事项属政务服务中心管理职责。")
    with _at(_when(3, 10)):
        services.dispatch_return_decide(actor=dispatcher, dispatch=get(c).dispatches.get(), accept=True, department=centre)
    sign(c, 2, handler=u["sc_handler1"], dept=centre)
    t["redispatched"] = c.pk
    c = submit("suspended", 5)
    dispatch(c, 5)
    sign(c, 4)
    with _at(_when(3, 10)):
        s = services.complaint_suspension_request(actor=re_handler, complaint=get(c), reason="等待群众补充购房合同。")
    with _at(_when(3, 14)):
        services.complaint_suspension_decide(actor=dispatcher, suspension=s, approve=True)
    t["suspended"] = c.pk
    expected = {"new": "new", "dispatched": "dispatched", "handling": "handling", "replied": "replied", "closed_satisfied": "closed",
                "closed_rectified": "closed", "redispatched": "handling", "suspended": "handling"}
    got = dict(Complaint.objects.filter(pk__in=t.values()).values_list("pk", "status"))
    assert all(got[pk] == expected[shape] for shape, pk in t.items()), got
    return t


def build_complaints(*, complaints: int = 1_000_000, chunk: int = 2000, log=print) -> dict:
    """Grow the database to about `complaints` complaints; returns what it built."""
    from complaints.models import Complaint, ComplaintProcess, ComplaintTask
    from viewflow.workflow.models import Task

    t0 = time.perf_counter()
    have = Complaint.objects.count()
    if have >= complaints:
        return {"complaints": have, "tasks": ComplaintTask.objects.count(), "seconds": 0.0, "templates": {}}
    depts = scale.ensure_departments()
    members = scale.ensure_members()
    templates = make_templates()
    scale._fill_map(depts, members, COMPLAINTS.departments)
    needed = complaints - Complaint.objects.count()
    for shape, pk in templates.items():
        copies = max(1, round(needed * MIX[shape])) - 1
        log(f"  {shape}: template {pk} x {copies} copies")
        if copies:
            scale.copy_templates(template_ids=[pk], copies=copies, chunk=chunk, log=log, spec=COMPLAINTS,
                                 days_back=DAYS_BACK_OPEN if shape in OPEN_SHAPES else DAYS_BACK_CLOSED)
    result = {
        "complaints": Complaint.objects.count(),
        "processes": ComplaintProcess.objects.count(),
        "tasks": ComplaintTask.objects.count(),
        "all_tasks": Task.objects.count(),
        "seconds": round(time.perf_counter() - t0, 1),
        "templates": templates,
    }
    with connection.cursor() as c:
        c.execute("DROP TABLE IF EXISTS bench_copies")
        c.execute("DROP TABLE IF EXISTS bench_map")
    scale.analyze()
    return result
