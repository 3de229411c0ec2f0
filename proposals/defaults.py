"""Default data for proposals (RULES.md): rejection reasons, categories, time limits, label scales.

Time limits and label scales are registered with the engine (register()),
which seeds what is missing after every migrate; ensure() seeds the
proposal tables. Nothing an administrator edited is overwritten.
"""
from workflow import registry


REJECTION_REASONS = [
    ("secret", "涉及国家秘密"),
    ("illegal", "法律明令禁止"),
    ("party_personnel", "涉及党内人事问题"),
    ("party_internal", "属于民主党派内部事务"),
    ("litigation", "已进入诉讼或仲裁程序"),
    ("academic", "属于学术探讨"),
    ("personal", "涉及个人或家庭事务"),
    ("promotion", "宣传推介具体作品或产品"),
    ("accuses", "点名指责个人"),
    ("vague", "内容空泛，没有具体建议"),
]

CATEGORIES = ["经济建设", "政务服务", "社会事业", "城乡建设", "生态环境", "文化旅游", "农业农村", "其他"]

# Proposal steps: (case_kind, step, category, name, amount, unit, warn_before_wd, note).
TIME_LIMITS = [
    ("proposal", "sign", "", "提案签收", 3, "wd", 1, "交办后签收"),
    ("proposal", "reassign_request", "", "申请调整承办单位", 5, "wd", 1, "交办后5个工作日内，逾期不予受理"),
    ("proposal", "co_opinion", "", "会办意见送主办单位", 1, "months", 5, "部分地方为2个月"),
    ("proposal", "consultation", "", "办理协商（面商）", 15, "wd", 3, "部分地方要求"),
    ("proposal", "reply", "", "提案答复", 3, "months", 10, "自交办之日起3个月"),
    ("proposal", "reply_extended", "", "延期答复最迟", 6, "months", 10, "经提案委同意延期，最迟6个月"),
    ("proposal", "sign_off", "", "单位领导签发", 3, "wd", 1, ""),
    ("proposal", "supervision_review", "", "督办审核", 5, "wd", 1, ""),
    ("proposal", "member_rating", "", "委员评价", 15, "wd", 3, "收到答复后15个工作日内"),
    ("proposal", "rehandle_reply", "", "重办答复", 1, "months", 5, "不满意后1个月内重新答复"),
    ("proposal", "cosign", "", "联名确认", 5, "wd", 1, "受邀委员确认联名"),
    ("proposal", "review", "", "立案审查", 10, "wd", 2, "及时告知提案人审查结果"),
    ("proposal", "assign", "", "交办", 5, "wd", 1, "立案后交办承办单位"),
    ("proposal", "reassign_decide", "", "调整申请审批", 3, "wd", 1, ""),
    ("proposal", "close", "", "办结", 10, "wd", 2, "评价后办结并评定落实情况"),
    ("proposal", "severe_overdue", "", "严重逾期", 5, "wd", 0, "逾期后再超过5个工作日记录违诺并督办"),
]

# code, name, note, [(code, label, is_negative)]
LABEL_SCALES = [
    ("reply_class", "答复类别", "答复函首页右上角标注；督办审核可更正", [
        ("A", "所提问题已经解决或采纳", False),
        ("B", "正在解决或已列入计划解决", False),
        ("C", "因条件限制留作参考", False),
    ]),
    ("proposal_rating", "委员评价", "办理过程与办理结果分别评价", [
        ("satisfied", "满意", False),
        ("basically_satisfied", "基本满意", False),
        ("dissatisfied", "不满意", True),
    ]),
    ("implementation_grade", "落实情况", "办结时评定", [
        ("A", "全部或主要问题已解决", False),
        ("B", "部分解决或列入计划", False),
        ("C", "留作参考", False),
    ]),
]


def register() -> None:
    registry.register_time_limits(TIME_LIMITS)
    registry.register_label_scales(LABEL_SCALES)
    registry.register_document_series("letter", "答复函")


def ensure() -> None:
    """Create missing defaults; never overwrite (called after every migrate)."""
    from .models import Category, RejectionReason

    for order, (code, text) in enumerate(REJECTION_REASONS, start=1):
        RejectionReason.objects.get_or_create(code=code, defaults={"text": text, "ordering": order})
    for order, name in enumerate(CATEGORIES, start=1):
        Category.objects.get_or_create(name=name, defaults={"ordering": order})
