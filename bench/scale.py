"""The realistic-size data set of issue 11: 100,000 proposal processes with
the task shapes, events and history the real flow writes, across 40+
departments, on SQLite or PostgreSQL, in minutes.

How: a handful of *template* proposals are driven through the real services
(one per shape: submitted, awaiting sign, being handled, co-handler opinion
pending, awaiting evaluation, closed single, closed lead + co-handler, not
accepted), so every row a case owns (process, tasks and their `previous`
links, the proposal task rows, assignments, replies, evaluations, events,
history) is what production writes. Each template is then copied K times by
one `INSERT ... SELECT` per table, ids shifted by a per-table stride, foreign
keys to copied tables shifted by their table's stride, and the departments
and their people rotated through the 40 bench departments, so the copies
spread over departments as real cases do. Written by hand because no
fixture library copies a whole multi-table case graph set-wise; building
2 million tasks one ORM save at a time would take hours.

Used by bench/bench_scale.py (`make bench`) and by `manage.py shell`:
    from bench import scale; scale.build(proposals=100_000)
"""
from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import connection, models, transaction

BENCH_DEPARTMENTS = 40
BENCH_MEMBERS = 1000  # proposers: about 100 proposals each at 100,000
MAP_MODULUS = BENCH_MEMBERS  # copy k uses row k % MAP_MODULUS of bench_map
DEPT_NAMES = [
    "发展和改革局", "教育局", "科学技术局", "经济信息化和科技局", "公安分局", "民政局", "司法局", "财政局",
    "自然资源局", "生态环境局", "交通运输局", "水利局", "农业农村局", "商务局", "文化广播电视和旅游局",
    "卫生健康局", "退役军人事务局", "应急管理局", "审计局", "统计局", "医疗保障局", "林业局", "信访局",
    "综合行政执法局", "机关事务服务中心", "投资促进局", "乡村振兴局", "供销合作社", "城市管理局", "粮食和物资储备局",
    "地方金融监督管理局", "国有资产监督管理办公室", "气象局", "税务局", "消防救援大队", "供电公司", "自来水公司",
    "燃气公司", "邮政分公司", "残疾人联合会",
]

# shape -> share of the data set (sums to 1). Mostly closed cases of past
# sessions, a current session in every state; about 20 tasks per process.
MIX = {
    "closed_single": 0.70,
    "closed_lead_co": 0.10,
    "handling": 0.05,
    "awaiting_sign": 0.03,
    "co_opinion": 0.02,
    "awaiting_evaluation": 0.03,
    "submitted": 0.03,
    "rejected": 0.02,
    "draft": 0.02,
}


@dataclass
class Table:
    model: type[models.Model]
    table: str
    pk: str
    where: str  # selects the template rows


def _tz():
    from django.utils import timezone

    return timezone.get_current_timezone()


def _at(*args):
    import time_machine

    return time_machine.travel(dt.datetime(*args, tzinfo=_tz()), tick=False)


# --- organisation -----------------------------------------------------------------
def ensure_departments() -> list:
    """40 bench government departments, each with a handler and a leader."""
    from workflow import services
    from workflow.models import Department, User
    from workflow.roles import EngineRole

    depts = []
    for i, name in enumerate(DEPT_NAMES[:BENCH_DEPARTMENTS], start=1):
        dept, created = Department.objects.get_or_create(
            code=f"bench-{i:02d}",
            defaults={"name": f"广元市朝天区{name}", "short_name": f"区{name}", "kind": Department.Kind.GOVERNMENT,
                      "contact_phone": f"0839-10{i:05d}", "doc_number_prefix": f"朝基{i:02d}函"},
        )
        if created:
            for role, prefix in ((EngineRole.HANDLER, "h"), (EngineRole.DEPT_LEADER, "l")):
                user = User.objects.create(username=f"bench_{prefix}{i:02d}", full_name=f"示例{name}{'承办人' if prefix == 'h' else '领导'}")
                services.membership_grant(actor=None, user=user, department=dept, role=role)
        depts.append(dept)
    return depts


# --- templates through the real services ---------------------------------------------
def make_templates(*, session) -> dict[str, int]:
    """One proposal per shape, driven through the real services; returns shape -> proposal id."""
    from proposals import services
    from proposals.models import Category, RejectionReason
    from workflow.models import Department, User

    u = {name: User.objects.get(username=name) for name in ("member1", "office1", "handler1", "leader1", "handler2", "keyleader1")}
    d = {code: Department.objects.get(code=code) for code in ("approval", "hrss", "supervision")}
    category = Category.objects.order_by("pk").first()
    member, office, handler, leader = u["member1"], u["office1"], u["handler1"], u["leader1"]
    templates = {}
    # Templates live in the current year so their open tasks have live deadlines.
    year = dt.date.today().year

    def start(shape, day):
        with _at(year, 1, day, 9):
            p = services.proposal_create(
                actor=member, session=session, title=f"关于改进政务服务的建议（{shape}）",
                analysis="群众反映办事需多次往返，窗口一次性告知落实不到位。" * 8,
                suggestions="一、统一办事指南；二、落实首问负责；三、加强督查。" * 6,
                category=category, contact_name="示例委员", contact_phone="0839-0000011",
            )
            if shape != "draft":
                services.proposal_submit(actor=member, proposal=p)
        return p

    def accept_assign(p, day, mode="single"):
        with _at(year, 1, day, 10):
            p = services.proposal_review(actor=office, proposal=p, outcome="accept")
        with _at(year, 1, day + 1, 9):
            kw = {"lead": d["approval"], "co_handlers": [d["hrss"]]} if mode == "lead_co" else {"lead": d["approval"]}
            p = services.proposal_assign(actor=office, proposal=p, mode=mode, supervising_unit=d["supervision"],
                                         leading_official=u["keyleader1"], is_public=True, **kw)
        return p

    def reply(p, day):
        lead = p.assignments.get(role__in=["single", "lead"], status__in=["signed", "handling", "pending"])
        with _at(year, 2, day, 10):
            services.reply_save_draft(actor=handler, assignment=lead, reply_class="A", body="经研究，答复如下：一、……\n二、……\n三、……",
                                      contact_person="示例联系人", contact_phone="0839-0000000")
            services.reply_submit(actor=handler, assignment=lead)
        r = lead.replies.order_by("-pk").first()
        with _at(year, 2, day + 1, 9):
            services.reply_sign_off(actor=leader, reply=r, approve=True)
        with _at(year, 2, day + 2, 9):
            services.reply_review(actor=office, reply=r, passed=True)

    def sign_all(p, day):
        for a in p.assignments.all():
            actor = handler if a.department_id == d["approval"].pk else u["handler2"]
            with _at(year, 1, day, 11):
                services.assignment_sign(actor=actor, assignment=a)

    def co_opinions(p, day):
        for a in p.assignments.filter(role="co"):
            with _at(year, 2, day, 9):
                services.assignment_send_opinion(actor=u["handler2"], assignment=a, opinion="同意主办单位意见，配合落实。")

    templates["draft"] = start("draft", 5).pk
    templates["submitted"] = start("submitted", 5).pk
    p = start("rejected", 5)
    with _at(year, 1, 8, 10):
        services.proposal_review(actor=office, proposal=p, outcome="reject", rejection_reason=RejectionReason.objects.order_by("pk").first())
    templates["rejected"] = p.pk
    templates["awaiting_sign"] = accept_assign(start("awaiting_sign", 5), 8).pk
    p = accept_assign(start("handling", 5), 8)
    sign_all(p, 12)
    templates["handling"] = p.pk
    p = accept_assign(start("co_opinion", 5), 8, mode="lead_co")
    sign_all(p, 12)
    templates["co_opinion"] = p.pk
    p = accept_assign(start("awaiting_evaluation", 5), 8)
    sign_all(p, 12)
    reply(p, 2)
    templates["awaiting_evaluation"] = p.pk
    for shape, mode in (("closed_single", "single"), ("closed_lead_co", "lead_co")):
        p = accept_assign(start(shape, 5), 8, mode=mode)
        sign_all(p, 12)
        if mode == "lead_co":
            co_opinions(p, 1)
        reply(p, 2)
        with _at(year, 2, 10, 9):
            services.proposal_evaluate(actor=member, proposal=p, process_rating="satisfied", result_rating="satisfied")
        with _at(year, 2, 12, 9):
            services.proposal_close(actor=office, proposal=p, implementation_grade="A")
        templates[shape] = p.pk
    return templates


# --- set-wise copies -------------------------------------------------------------------
@dataclass
class CaseSpec:
    """What a case app copies: its case, process and task models, the field
    linking process and task to the case, the models left out (rows that must
    stay unique, such as one-time link tokens), the keys of its tasks' `data`
    naming its rows, and the departments its templates are dispatched to (the
    ones bench_map rotates through the bench departments)."""

    app_label: str
    case: str  # model names in app_label
    process: str
    task: str
    case_field: str
    task_data_keys: dict[str, str]  # data key -> model name whose id it holds
    departments: tuple[str, ...]
    skip: tuple[str, ...] = ()

    def model(self, name):
        return apps.get_model(self.app_label, name)


PROPOSALS = CaseSpec("proposals", "Proposal", "ProposalProcess", "ProposalTask", "proposal",
                     {"assignment_id": "Assignment", "reply_id": "Reply", "cosigner_id": "Cosigner", "rated_proposal_id": "Proposal"},
                     ("approval", "hrss"))


def _copy_tables(template_ids: list[int], spec: CaseSpec = PROPOSALS) -> list[Table]:
    """Every table holding rows of the template cases, parents before children."""
    from viewflow.workflow.models import Process, Task

    Case, CaseProcess, CaseTask = spec.model(spec.case), spec.model(spec.process), spec.model(spec.task)
    ids = ",".join(str(i) for i in template_ids)
    proc_ids = f"SELECT process_ptr_id FROM {CaseProcess._meta.db_table} WHERE {spec.case_field}_id IN ({ids})"
    task_ids = f"SELECT id FROM {Task._meta.db_table} WHERE process_id IN ({proc_ids})"
    case_ct = ContentType.objects.get_for_model(Case).pk
    tables = [
        Table(Case, Case._meta.db_table, "id", f"id IN ({ids})"),
        Table(Process, Process._meta.db_table, "id", f"id IN ({proc_ids})"),
        Table(CaseProcess, CaseProcess._meta.db_table, "process_ptr_id", f"process_ptr_id IN ({proc_ids})"),
        Table(Task, Task._meta.db_table, "id", f"id IN ({task_ids})"),
        Table(CaseTask, CaseTask._meta.db_table, "task_ptr_id", f"task_ptr_id IN ({task_ids})"),
    ]
    previous = Task._meta.get_field("previous").remote_field.through
    tables.append(Table(previous, previous._meta.db_table, "id", f"to_task_id IN ({task_ids})"))
    # The case's own rows: every model of its app hanging from a copied row
    # (for proposals: assignments and evaluations from the proposal; replies,
    # consultations and extension requests from the assignment), parents before children.
    skip = {spec.model(name) for name in spec.skip} | {CaseProcess, CaseTask}
    changed = True
    while changed:
        changed = False
        for model in apps.get_app_config(spec.app_label).get_models():
            if any(t.model is model for t in tables) or model in skip or model.__name__.startswith("Historical"):
                continue
            for f in model._meta.concrete_fields:
                parent = next((t for t in tables if f.is_relation and t.model is f.related_model), None)
                if parent is not None and not (model is Case):
                    tables.append(Table(model, model._meta.db_table, "id",
                                        f"{f.column} IN (SELECT p.{parent.pk} FROM {parent.table} p WHERE p.{parent.where})"))
                    changed = True
                    break
    # History of the copied models (simple_history keeps the original id in `id`).
    copied = {t.model for t in tables}
    for model in apps.get_app_config(spec.app_label).get_models():
        original = getattr(model, "instance_type", None)
        if model.__name__.startswith("Historical") and original in copied:
            where = next(t.where for t in tables if t.model is original)
            tables.append(Table(model, model._meta.db_table, "history_id", where))
    from workflow.models import CaseEvent

    tables.append(Table(CaseEvent, CaseEvent._meta.db_table, "id", f"case_type_id = {case_ct} AND case_id IN ({ids})"))
    return tables


def _offset(table: str, pk: str, where: str) -> tuple[int, int]:
    """(base, span) of a table's template rows: copy k's id is id + base + (k - 1) * span,
    which packs the copies right after the table's current last row."""
    with connection.cursor() as c:
        c.execute(f'SELECT MIN(t."{pk}"), MAX(t."{pk}") FROM "{table}" t WHERE t.{where}')
        lo, hi = c.fetchone()
        c.execute(f'SELECT COALESCE(MAX("{pk}"), 0) FROM "{table}"')
        top = c.fetchone()[0]
    if lo is None:
        return 0, 0
    return top - lo + 1, hi - lo + 1


def _shift(expr: str, offset: tuple[int, int]) -> str:
    base, span = offset
    return f"{expr} + {base} + (c.k - 1) * {span}"


def _days_back(expr: str, days: str, *, date_only: bool) -> str:
    """`expr` moved `days` (an SQL integer expression) days into the past; NULL stays NULL."""
    if connection.vendor == "postgresql":
        return f"({expr} - ({days})::integer)" if date_only else f"({expr} - make_interval(days => ({days})::integer))"
    return f"{'date' if date_only else 'datetime'}({expr}, '-' || ({days}) || ' days')"


def _column_exprs(t: Table, offsets: dict, mapped: dict[str, str], special: dict[str, str],
                  days_back: str | None = None) -> tuple[list[str], list[str], list[str]]:
    """Column names, their SELECT expressions and the joins they need; with
    `days_back` (SQL in terms of c.k), every date and time moves that many days back."""
    cols, exprs, joins = [], [], []
    fields = t.model._meta.local_concrete_fields
    original = getattr(t.model, "instance_type", None)
    for f in fields:
        col = f.column
        cols.append(f'"{col}"')
        key = f"{t.table}.{col}"
        if key in special:
            exprs.append(special[key])
        elif col == t.pk and not f.is_relation:
            exprs.append(_shift(f't."{col}"', offsets[t.table]))
        elif original is not None and col == original._meta.pk.column:
            exprs.append(_shift(f't."{col}"', offsets[original._meta.db_table]))
        elif f.is_relation and f.related_model._meta.db_table in offsets:
            exprs.append(_shift(f't."{col}"', offsets[f.related_model._meta.db_table]))
        elif f.is_relation and f.related_model._meta.db_table in mapped:
            kind = mapped[f.related_model._meta.db_table]
            alias = f"m_{col}"
            joins.append(f'LEFT JOIN bench_map {alias} ON {alias}.kind = \'{kind}\' AND {alias}.kmod = c.k % {MAP_MODULUS} AND {alias}.old_id = t."{col}"')
            exprs.append(f'COALESCE({alias}.new_id, t."{col}")')
        elif days_back is not None and isinstance(f, (models.DateTimeField, models.DateField)):
            exprs.append(_days_back(f't."{col}"', days_back, date_only=not isinstance(f, models.DateTimeField)))
        else:
            exprs.append(f't."{col}"')
    return cols, exprs, joins


def ensure_members() -> list[int]:
    """BENCH_MEMBERS committee members (bulk: accounts, memberships, groups)."""
    from django.contrib.auth.models import Group

    from proposals.roles import Role
    from workflow.models import Department, Membership, User

    have = list(User.objects.filter(username__startswith="bench_m").order_by("pk").values_list("pk", flat=True))
    if len(have) >= BENCH_MEMBERS:
        return have[:BENCH_MEMBERS]
    committee = Department.objects.get(code="cppcc")
    users = User.objects.bulk_create(
        [User(username=f"bench_m{i:04d}", full_name=f"示例委员{i:04d}") for i in range(len(have), BENCH_MEMBERS)]
    )
    Membership.objects.bulk_create([Membership(user=u, department=committee, role=Role.MEMBER) for u in users])
    group = Group.objects.get(name=Role.MEMBER)
    User.groups.through.objects.bulk_create([User.groups.through(user_id=u.pk, group_id=group.pk) for u in users])
    return have + [u.pk for u in users]


def _fill_map(depts: list, members: list[int], codes: tuple[str, ...] = PROPOSALS.departments) -> None:
    """bench_map(kind, kmod, old_id, new_id): copy k of a template handled by
    行政审批局 (lead) and 人社局 (co-handler) goes to bench departments k and
    k+1 (mod 40), their handlers and leaders with them, and its proposer is
    bench member k (mod 1000). Copies with k % 40 == 0 keep the demo
    departments and k % 1000 == 0 the demo member, so the demo accounts see
    their share of the data set."""
    from workflow.models import Department, Membership, User

    old = {code: Department.objects.get(code=code) for code in codes}
    people = {(m.department_id, m.role): m.user_id for m in Membership.objects.filter(is_active=True, department__in=[*old.values(), *depts])}
    member1 = User.objects.get(username="member1").pk
    rows = []
    for kmod in range(MAP_MODULUS):
        if kmod:
            rows.append(("u", kmod, member1, members[kmod]))
        if kmod % BENCH_DEPARTMENTS == 0:
            continue
        for offset, code in enumerate(codes):
            new = depts[(kmod + offset) % BENCH_DEPARTMENTS]
            rows.append(("d", kmod, old[code].pk, new.pk))
            for role in ("handler", "dept_leader"):
                if (old[code].pk, role) in people and (new.pk, role) in people:
                    rows.append(("u", kmod, people[(old[code].pk, role)], people[(new.pk, role)]))
    with connection.cursor() as c:
        c.execute("DROP TABLE IF EXISTS bench_map")
        c.execute("CREATE TABLE bench_map (kind varchar(1), kmod integer, old_id bigint, new_id bigint)")
        c.executemany("INSERT INTO bench_map VALUES (%s, %s, %s, %s)", rows)
        c.execute("CREATE INDEX bench_map_idx ON bench_map (kind, kmod, old_id)")


def _task_data_expr(offsets: dict, spec: CaseSpec = PROPOSALS) -> str:
    """A task's `data` names rows of its case (for proposals the assignment,
    reply, co-signer, rated proposal, rater; for complaints the dispatch): the
    copy's data names the copy's rows."""
    keys = {key: spec.model(name) for key, name in spec.task_data_keys.items()}
    pg = connection.vendor == "postgresql"
    expr = "t.data"

    def value(key):
        return f"(t.data->>'{key}')::bigint" if pg else f"json_extract(t.data, '$.{key}')"

    def has(key):
        return f"jsonb_exists(t.data, '{key}')" if pg else f"json_type(t.data, '$.{key}') IS NOT NULL"

    def put(inner, key, new):
        return f"jsonb_set({inner}, '{{{key}}}', to_jsonb({new}))" if pg else f"json_set({inner}, '$.{key}', {new})"

    for key, model in keys.items():
        new = _shift(value(key), offsets[model._meta.db_table])
        expr = f"CASE WHEN {has(key)} THEN {put(expr, key, new)} ELSE {expr} END"
    rater = (f"COALESCE((SELECT m.new_id FROM bench_map m WHERE m.kind = 'u' AND m.kmod = c.k % {MAP_MODULUS} "
             f"AND m.old_id = {value('user_id')}), {value('user_id')})")
    return f"CASE WHEN {has('user_id')} THEN {put(expr, 'user_id', rater)} ELSE {expr} END"


def copy_templates(*, template_ids: list[int], copies: int, chunk: int = 2000, log=print, spec: CaseSpec = PROPOSALS,
                   days_back: str | None = None) -> None:
    """Copy the template cases `copies` times (copy k = 1..copies). `days_back`
    (SQL in terms of c.k) moves every date and time of copy k into the past."""
    from viewflow.workflow.models import Task
    from workflow.models import Department, User

    Case = spec.model(spec.case)
    tables = _copy_tables(template_ids, spec)
    if connection.vendor == "postgresql":
        # A copy that failed half-way (committed chunks, sequences never moved past them)
        # must not make the services' next rows collide with the copies.
        _reset_sequences([t.model for t in tables])
    offsets = {t.table: _offset(t.table, t.pk, t.where) for t in tables}
    case_ct = ContentType.objects.get_for_model(Case).pk
    case_id = _shift("t.case_id", offsets[Case._meta.db_table])
    history = next(t.table for t in tables if getattr(t.model, "instance_type", None) is Case)
    if isinstance(Case._meta.get_field("number"), models.IntegerField):
        # Parent-linked primary keys are the parent's ids: their foreign key shifts them.
        number = _shift("t.number", _offset(Case._meta.db_table, "number", tables[0].where))
    else:
        # A text number (unique): the template's, suffixed with the copy index.
        number = "t.number || '-' || CAST(c.k AS varchar(10))"
    special = {
        f"{Case._meta.db_table}.number": number,
        f"{history}.number": number,
        "workflow_caseevent.case_id": f"CASE WHEN t.case_type_id = {case_ct} THEN {case_id} ELSE t.case_id END",
    }
    special[f"{Task._meta.db_table}.data"] = _task_data_expr(offsets, spec)
    mapped = {Department._meta.db_table: "d", User._meta.db_table: "u"}
    with connection.cursor() as c:
        c.execute("DROP TABLE IF EXISTS bench_copies")
        c.execute("CREATE TABLE bench_copies (k integer PRIMARY KEY)")
    plans = []
    for t in tables:
        cols, exprs, joins = _column_exprs(t, offsets, mapped, special, days_back)
        sql = (f'INSERT INTO "{t.table}" ({", ".join(cols)}) SELECT {", ".join(exprs)} '
               f'FROM "{t.table}" t CROSS JOIN bench_copies c {" ".join(joins)} WHERE t.{t.where}')
        plans.append((t.table, sql))
    done = 0
    t0 = time.perf_counter()
    while done < copies:
        n = min(chunk, copies - done)
        with transaction.atomic():
            with connection.cursor() as c:
                c.execute("DELETE FROM bench_copies")
                c.executemany("INSERT INTO bench_copies VALUES (%s)", [(k,) for k in range(done + 1, done + n + 1)])
                for _table, sql in plans:
                    c.execute(sql)
        done += n
        log(f"    copies {done}/{copies} ({time.perf_counter() - t0:.0f} s)")
    if connection.vendor == "postgresql":
        _reset_sequences([t.model for t in tables])


def _reset_sequences(model_list) -> None:
    from django.core.management.color import no_style

    with connection.cursor() as c:
        for sql in connection.ops.sequence_reset_sql(no_style(), model_list):
            c.execute(sql)


def build(*, proposals: int = 100_000, log=print) -> dict:
    """Grow the database to about `proposals` proposal processes; returns what it built."""
    from proposals.models import Proposal, ProposalProcess, Session
    from viewflow.workflow.models import Task

    t0 = time.perf_counter()
    depts = ensure_departments()
    session, _ = Session.objects.get_or_create(committee="基准测试", name="基准届次", defaults={"year": dt.date.today().year})
    have = ProposalProcess.objects.count()
    if have >= proposals:
        return {"processes": have, "tasks": Task.objects.count(), "seconds": 0.0}
    members = ensure_members()
    templates = make_templates(session=session)
    _fill_map(depts, members)
    # Copies per shape follow MIX; the total of templates copied K times reaches the target.
    total_needed = proposals - ProposalProcess.objects.count()
    by_copies: dict[int, list[int]] = {}
    for shape, pk in templates.items():
        by_copies.setdefault(max(1, round(total_needed * MIX[shape])) - 1, []).append(pk)
    for k, ids in sorted(by_copies.items()):
        log(f"  {len(ids)} template(s) x {k} copies")
        copy_templates(template_ids=ids, copies=k, log=log)
    # Drafts have no process: count proposals, processes and tasks as built.
    result = {
        "proposals": Proposal.objects.count(),
        "processes": ProposalProcess.objects.count(),
        "tasks": Task.objects.count(),
        "seconds": round(time.perf_counter() - t0, 1),
    }
    with connection.cursor() as c:
        c.execute("DROP TABLE IF EXISTS bench_copies")
        c.execute("DROP TABLE IF EXISTS bench_map")
    analyze()
    return result


def analyze() -> None:
    """Fresh statistics after a build. On PostgreSQL also VACUUM, as autovacuum does after
    bulk inserts in a running installation: it marks the pages all-visible, so that
    index-only scans (the inbox's and the dashboard's counts) read no heap; a fresh bulk
    load has none marked. Not possible inside a transaction (a test's): ANALYZE alone there."""
    with connection.cursor() as c:
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            c.execute("VACUUM (ANALYZE)")
        else:
            c.execute("ANALYZE")
