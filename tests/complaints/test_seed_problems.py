"""Each problem the seed documents found at service halls (../shared/seeds/000_…,
002_…), taken through to closure as a complaint, each from a different channel."""
import pytest

from complaints import services
from complaints.models import Channel, Complaint, ComplaintTask, Kind
from tests.complaints import factories as f
from tests.factories import at
from workflow import sms

pytestmark = pytest.mark.django_db

SEED_PROBLEMS = [
    # channel, category, kind, title, description, place
    (Channel.WEB, "window_service", Kind.COMPLAINT, "企业开办窗口不一次性告知，反复跑",
     "企业开办窗口工作人员一次性告知不到位，因提交资料不规范跑了三次。", {"hall": "区政务服务中心", "window": "企业开办窗口"}),
    (Channel.HOTLINE, "self_service", Kind.COMPLAINT, "自助办理区大部分电脑无法使用",
     "政务服务大厅自助办理区大部分电脑无法正常使用。", {"hall": "区政务服务中心"}),
    (Channel.WINDOW, "staff_conduct", Kind.COMPLAINT, "9点半窗口仍无人到岗",
     "部分窗口9点半仍无工作人员到岗，也未摆放去向牌。", {"hall": "区政务服务中心", "window": "社保窗口"}),
    (Channel.REVIEW, "staff_conduct", Kind.COMPLAINT, "残联窗口工作人员态度生硬",
     "差评转办：残联窗口工作人员对前来办事的群众态度生硬，对政策解释不耐烦。", {"hall": "区政务服务中心", "window": "残联窗口"}),
    (Channel.OPEN311, "staff_conduct", Kind.COMPLAINT, "不动产登记窗口串岗聊天",
     "不动产登记窗口工作人员上班时间串岗聊天。", {"address": "朝天区政务服务中心二楼"}),
    (Channel.WEB, "signage", Kind.SUGGESTION, "公示清单仍是机构改革前的单位名称",
     "大厅公示的行政许可和公共服务事项清单还是机构改革前的单位名称，建议及时更新。", {"hall": "区政务服务中心"}),
]


@pytest.mark.parametrize("channel,category,kind,title,description,place", SEED_PROBLEMS, ids=[p[3] for p in SEED_PROBLEMS])
def test_seed_problem_to_closure(channel, category, kind, title, description, place, dispatcher, operator, realestate_dept, re_handler):
    staff = operator if channel in (Channel.HOTLINE, Channel.WINDOW) else dispatcher if channel == Channel.REVIEW else None
    answers = {"window_number": "5"} if category == "window_service" else {}
    with at(2026, 3, 2, 9):
        complaint, code = services.complaint_submit(
            actor=staff, channel=channel, kind=kind, category=f.category(category), title=title, description=description,
            answers=answers, citizen_phone="13800001234", **place,
        )
    with at(2026, 3, 2, 14):
        services.complaint_dispatch(actor=dispatcher, complaint=complaint, department=realestate_dept)
    with at(2026, 3, 3, 9):
        services.dispatch_sign(actor=re_handler, dispatch=complaint.dispatches.get())
    with at(2026, 3, 6, 16):
        services.complaint_add_note(actor=re_handler, complaint=complaint, kind="finding", text="现场核实属实。")
        services.complaint_reply(actor=re_handler, complaint=complaint, body="经现场核实，已整改：" + title)
    with at(2026, 3, 9, 10):
        services.complaint_review_reply(actor=dispatcher, complaint=complaint, approve=True)
    with at(2026, 3, 10, 10):
        services.complaint_rate_by_link(token=f.last_link_token(complaint), rating="very_satisfied")
    complaint.refresh_from_db()
    assert complaint.channel == channel and complaint.status == Complaint.Status.CLOSED
    assert complaint.replied_at <= complaint.deadline  # replied on time
    assert not ComplaintTask.objects.filter(complaint=complaint, status__in=["NEW", "ASSIGNED"]).exists()
    # 事事有回音: the citizen was told at every step
    texts = [m.text for m in sms.outbox if complaint.number in m.text]
    assert any(code in t for t in texts) and any("签收" in t for t in texts) and any("已答复" in t for t in texts) and any("办结" in t for t in texts)
