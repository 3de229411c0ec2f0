"""Default rules for complaints (../shared/RULES.md, Complaints).

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
]


def register() -> None:
    registry.register_time_limits(TIME_LIMITS)
    registry.register_label_scales(LABEL_SCALES)
