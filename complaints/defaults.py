"""Default rules and tables for complaints (../shared/RULES.md, Complaints).

Registered with the engine (workflow.registry), which creates the rows that
are missing after every migrate; administrators then edit them in the admin.
"""
from workflow import registry

# (case_kind, step, category, name, amount, unit, warn_before_wd, note)
TIME_LIMITS = [
    ("complaint", "dispatch", "", "派单", 1, "wd", 0, "受理后1个工作日内"),
    ("complaint", "sign", "", "签收", 1, "wd", 0, "派单后1个工作日内"),
    ("complaint", "return", "", "退单", 2, "wd", 0, "派单后2个工作日内，说明理由"),
    ("complaint", "handle", "", "投诉/建议办理", 15, "wd", 3, "部分地方为5或13个工作日"),
    ("complaint", "handle", "urgent", "紧急诉求响应", 2, "hours", 0, "2小时内响应"),
    ("complaint", "handle", "consultation", "咨询/求助办理", 3, "wd", 1, ""),
    ("complaint", "extension_request", "", "延期申请提前量", 1, "wd", 0, "到期前至少1个工作日提出"),
    ("complaint", "extension_max", "", "延期最长", 10, "wd", 0, "经派单员或督查人员批准"),
    ("complaint", "urge", "", "逾期催办", 1, "wd", 0, "到期次日发催办单"),
    ("complaint", "reprimand", "", "逾期通报", 5, "wd", 0, "逾期再超5个工作日列入通报"),
    ("complaint", "callback", "", "回访", 1, "wd", 0, "答复后下一个工作日回访"),
    ("complaint", "bad_review_contact", "", "差评联系群众", 1, "wd", 0, ""),
    ("complaint", "rectify", "", "差评整改反馈", 15, "wd", 3, ""),
    ("complaint", "duplicate_window", "", "重复投诉判定窗口", 30, "days", 0, "同一人或同一地点且内容相似"),
    ("complaint", "return_decide", "", "退单审核", 1, "wd", 0, "派单员审核退单理由，改派或认定退单不当"),
    ("complaint", "sign_off", "", "单位领导签发答复", 1, "wd", 0, "单位设置为须签发时"),
    ("complaint", "reply_review", "", "答复审核", 1, "wd", 0, "派单员审核答复后告知群众"),
    ("complaint", "reopen_window", "", "群众反馈未解决", 5, "wd", 0, "答复后此期限内群众可反馈“未解决”，退回承办单位重办"),
    ("complaint", "rating_link", "", "评价链接有效期", 15, "wd", 0, ""),
    ("complaint", "rehandle", "", "未解决重办", 5, "wd", 1, "群众反馈未解决后重新办理答复"),
    ("complaint", "appeal", "", "差评申诉", 5, "wd", 0, "评价后此期限内承办单位可申诉"),
]


# code, name, note, [(code, label, is_negative)]
LABEL_SCALES = [
    ("haocha_rating", "好差评", "后两级为差评", [
        ("very_satisfied", "非常满意", False),
        ("satisfied", "满意", False),
        ("basically_satisfied", "基本满意", False),
        ("dissatisfied", "不满意", True),
        ("very_dissatisfied", "非常不满意", True),
    ]),
    # The sub-ratings (分项评价) a rating may carry, each on the haocha_rating scale.
    ("haocha_indicator", "好差评分项", "网上：总体、办事效率、办事指南准确性、办事便利度、平台易用性；现场：总体、办事效率、业务水平、服务态度", [
        ("overall", "总体评价", False),
        ("efficiency", "办事效率", False),
        ("guide_accuracy", "办事指南准确性", False),
        ("convenience", "办事便利度", False),
        ("usability", "平台易用性", False),
        ("level", "业务水平", False),
        ("attitude", "服务态度", False),
    ]),
]


# Reasons for not accepting a complaint, and where to go instead.
NOT_ACCEPTED_REASONS = [
    ("court", "属于法院、仲裁机构受理的事项", "请向人民法院起诉或向仲裁机构申请仲裁"),
    ("discipline", "属于纪检监察机关受理的事项", "请向纪检监察机关反映"),
    ("review", "属于行政复议事项", "请向行政复议机关申请行政复议"),
    ("disclosure", "属于政府信息公开申请", "请向相关机关提出政府信息公开申请"),
    ("petition", "属于信访事项", "请通过信访渠道反映"),
    ("secret", "涉及国家秘密、商业秘密", ""),
    ("repeat", "重复投诉且无新的事实和理由", "原诉求已办结答复，可凭编号查询答复"),
]

# code, name, description, questions, answer template
CATEGORIES = [
    ("window_service", "窗口服务", "窗口工作人员态度、一次性告知、离岗脱岗等", [
        {"code": "window_number", "label": "窗口号", "required": True, "type": "text"},
        {"code": "visit_count", "label": "为此事跑了几次", "required": False, "type": "number"},
    ], "{citizen}：您反映的编号{number}问题，经{department}核实处理，现答复如下："),
    ("self_service", "自助设备", "自助服务终端、排队叫号机等设备故障", [
        {"code": "device", "label": "设备名称或编号", "required": False, "type": "text"},
    ], ""),
    ("approval", "审批办事", "办事时限、材料要求、多次跑腿", [], ""),
    ("staff_conduct", "工作纪律", "工作时间不在岗、串岗聊天、态度生硬", [
        {"code": "window_number", "label": "窗口号", "required": False, "type": "text"},
    ], ""),
    ("signage", "标识标牌", "机构改革后名称未更新、指引不清", [], ""),
    ("other", "其他", "", [], ""),
]


def register() -> None:
    registry.register_time_limits(TIME_LIMITS)
    registry.register_label_scales(LABEL_SCALES)


def ensure() -> None:
    """Create missing defaults; never overwrite what an administrator edited (called after every migrate)."""
    from .models import Category, NotAcceptedReason

    for order, (code, text, redirect_to) in enumerate(NOT_ACCEPTED_REASONS, start=1):
        NotAcceptedReason.objects.get_or_create(code=code, defaults={"text": text, "redirect_to": redirect_to, "ordering": order})
    for order, (code, name, description, questions, template) in enumerate(CATEGORIES, start=1):
        Category.objects.get_or_create(code=code, defaults={
            "name": name, "description": description, "questions": questions, "answer_template": template, "ordering": order,
        })
