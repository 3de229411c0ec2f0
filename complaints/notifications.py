"""The kinds of notification complaints send (workflow.notifications): each one's title and
body templates, written once, rendered when read in the reader's language.

Params every complaint notice carries: ``complaint`` (id: the case URL), ``number`` (the
work-order number) and ``title`` (its title with personal data masked); a kind adds its own
(``dept`` a department's name, ``text`` a person's reason or note, ``rating`` a code of the
好差评 label scale).
"""
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from workflow.notifications import EMAIL, IN_APP, SMS, register_kind

RATING_SCALE = "haocha_rating"
TITLE = "%(title)s"  # the work order's own (masked) title as the body


def _url(params) -> str:
    return reverse("complaints:detail", args=[params["complaint"]])


def _values(params, lookup) -> dict:
    return {"label": lookup.label(RATING_SCALE, params["rating"])} if "rating" in params else {}


SAMPLE = {"complaint": 1, "number": "TS20260302-0001", "title": "小区门口路灯不亮", "text": "请补充现场照片。", "dept": "区城管局"}

KINDS = [
    # code, label, title, body (None: the free text), extra sample params, default channels
    ("dispatched", _("新派工单"), _("新派工单%(number)s，请签收"), TITLE, {}, (IN_APP, EMAIL, SMS)),
    ("redispatched", _("改派工单"), _("工单%(number)s请签收办理"), TITLE, {}, (IN_APP, EMAIL, SMS)),
    ("return_refused", _("退单不当"), _("工单%(number)s退单不当，请继续办理"), None, {}, (IN_APP, EMAIL)),
    ("returned", _("退单待审核"), _("工单%(number)s被%(dept)s退单，请审核"), None, {}, (IN_APP, EMAIL)),
    ("assist_opinion", _("协办意见"), _("工单%(number)s收到协办意见"), "", {}, (IN_APP,)),
    ("instruction", _("领导批示"), _("工单%(number)s有领导批示"), None, {}, (IN_APP, EMAIL)),
    ("reply_signoff", _("答复待签发"), _("工单%(number)s答复待签发"), TITLE, {}, (IN_APP, EMAIL)),
    ("reply_sent_back", _("答复被领导退回"), _("工单%(number)s答复被领导退回"), None, {}, (IN_APP, EMAIL)),
    ("extension_requested", _("延期申请"), _("工单%(number)s申请延期，请审批"), None, {}, (IN_APP, EMAIL)),
    ("extension_approved", _("延期申请同意"), _("工单%(number)s延期申请已同意"), None, {}, (IN_APP, EMAIL)),
    ("extension_refused", _("延期申请未同意"), _("工单%(number)s延期申请未同意"), None, {}, (IN_APP, EMAIL)),
    ("suspension_requested", _("挂起申请"), _("工单%(number)s申请挂起，请审批"), None, {}, (IN_APP, EMAIL)),
    ("suspended", _("挂起申请同意"), _("工单%(number)s已挂起"), None, {}, (IN_APP, EMAIL)),
    ("suspension_refused", _("挂起申请未同意"), _("工单%(number)s挂起申请未同意"), None, {}, (IN_APP, EMAIL)),
    ("reply_returned", _("答复被退回"), _("工单%(number)s答复被退回，请修改"), None, {}, (IN_APP, EMAIL)),
    ("replied", _("已答复待回访"), _("工单%(number)s已答复，请回访"), TITLE, {}, (IN_APP,)),
    ("bad_review", _("收到差评"), _("工单%(number)s收到差评（%(label)s），请1个工作日内联系群众并整改"), None,
     {"rating": "very_dissatisfied"}, (IN_APP, EMAIL, SMS)),
    ("reopened", _("群众反馈未解决"), _("工单%(number)s群众反馈未解决，请重新办理"), None, {}, (IN_APP, EMAIL, SMS)),
    ("rectified", _("整改已反馈"), _("工单%(number)s整改已反馈，请回访"), "", {}, (IN_APP,)),
    ("appeal_filed", _("差评申诉待复核"), _("工单%(number)s差评申诉待复核"), None, {}, (IN_APP, EMAIL)),
    ("appeal_upheld", _("差评申诉成立"), _("工单%(number)s差评申诉成立"), None, {}, (IN_APP, EMAIL)),
    ("appeal_rejected", _("差评申诉不成立"), _("工单%(number)s差评申诉不成立"), None, {}, (IN_APP, EMAIL)),
]


def register() -> None:
    for code, label, title, body, sample, channels in KINDS:
        register_kind(
            f"complaint.{code}", label=label, title=title, body=body, values=_values, url=_url,
            channels=channels, sample={**SAMPLE, **sample}, app="complaints", group=_("投诉"),
        )
