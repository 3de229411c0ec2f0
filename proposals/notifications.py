"""The kinds of notification proposals send (workflow.notifications): each one's title and
body templates, written once, rendered when read in the reader's language.

Params every proposal notice carries: ``proposal`` (id: the case URL), ``number`` (the
year's number, or none before 立案) and ``title``; a kind adds its own (``dept`` and
``name`` are names, ``text`` a person's reason or note, ``rating`` a code of the
proposal_rating label scale, ``approved`` a yes/no).
"""
from django.utils.translation import gettext, gettext_lazy as _

from workflow.notifications import EMAIL, IN_APP, SMS, register_kind, yes_no

RATING_SCALE = "proposal_rating"
TITLE = "%(title)s"  # the proposal's own title as the body (nothing to translate)


def _url(params) -> str:
    return f"/proposals/{params['proposal']}/"


def _values(params, lookup) -> dict:
    number = params.get("number")
    values = {"number": gettext("第%(n)s号") % {"n": number} if number else ""}
    if "approved" in params:
        values["result"] = values["r"] = yes_no(params["approved"])
    if "rating" in params:
        values["r"] = lookup.label(RATING_SCALE, params["rating"])
    if params.get("target_number"):
        values["target_number"] = gettext("第%(n)s号") % {"n": params["target_number"]}
    return values


SAMPLE = {"proposal": 1, "number": 28, "title": "关于加强社区养老服务的建议", "text": "请补充调研材料。", "dept": "区民政局", "name": "委员甲"}

KINDS = [
    # code, label, title, body (None: the free text), extra sample params, default channels, has a URL
    ("cosign_invited", _("联名邀请"), _("%(name)s邀请您联名提案"), TITLE, {}, (IN_APP, EMAIL), True),
    ("cosign_completed", _("联名确认完成"), _("联名确认已完成，请提交提案"), TITLE, {}, (IN_APP,), True),
    ("auto_submitted", _("联名完成自动提交"), _("联名确认已完成，提案已自动提交提案委审查"), TITLE, {}, (IN_APP, EMAIL), True),
    ("auto_submit_failed", _("联名完成但未能自动提交"), _("联名确认已完成，但提案未能自动提交，请处理后提交"), None, {}, (IN_APP, EMAIL), True),
    ("withdrawn", _("提案撤回"), _("提案人已撤回提案，无需审查：%(title)s"), None, {}, (IN_APP,), True),
    ("cosign_withdrawn", _("联名邀请撤回"), _("%(name)s已撤回联名邀请"), TITLE, {}, (IN_APP,), False),
    ("submitted", _("新提案待审查"), _("新提案待审查"), TITLE, {}, (IN_APP, EMAIL), True),
    ("accepted", _("提案立案"), _("您的提案已立案，编号%(number)s"), TITLE, {}, (IN_APP, EMAIL), True),
    ("rejected", _("提案不予立案"), _("您的提案不予立案：%(reason)s"), TITLE, {"reason": "不属于政协履职范围"}, (IN_APP, EMAIL), True),
    ("merged", _("提案并案"), _("您的提案已并入%(target_number)s《%(target_title)s》一并办理，答复将同样送达您。"), TITLE,
     {"target_number": 12, "target_title": "关于社区养老的建议"}, (IN_APP, EMAIL), True),
    ("forwarded_to_proposer", _("提案转意见建议"), _("您的提案已转%(dept)s作为意见建议参考办理。"), TITLE, {}, (IN_APP, EMAIL), True),
    ("forwarded", _("转来意见建议"), _("转来意见建议：%(title)s"), None, {}, (IN_APP, EMAIL), True),
    ("assigned", _("交办待签收"), _("交办提案%(number)s，请签收"), TITLE, {}, (IN_APP, EMAIL, SMS), True),
    ("assigned_to_proposer", _("提案已交办"), _("您的提案%(number)s已交办"), TITLE, {}, (IN_APP, EMAIL), True),
    ("key_lead", _("牵头督办重点提案"), _("您牵头督办重点提案%(number)s"), TITLE, {}, (IN_APP, EMAIL), True),
    ("extension_requested", _("延期申请"), _("%(dept)s申请延期答复"), None, {}, (IN_APP, EMAIL), True),
    ("extension_decided", _("延期申请结果"), _("延期申请已%(r)s"), None, {"approved": True}, (IN_APP, EMAIL), True),
    ("reassign_requested", _("调整申请"), _("%(dept)s申请调整提案%(number)s"), None, {}, (IN_APP, EMAIL), True),
    ("reassign_decided", _("调整申请结果"), _("调整申请已%(result)s"), None, {"approved": False}, (IN_APP, EMAIL), True),
    ("co_opinion", _("会办意见"), _("%(dept)s已送会办意见"), TITLE, {}, (IN_APP,), True),
    ("reply_signoff", _("答复函待签发"), _("答复函待签发：%(reply_title)s"), "", {"reply_title": "关于社区养老服务的答复"}, (IN_APP, EMAIL), True),
    ("reply_returned", _("答复函退回"), _("答复函被退回修改"), None, {}, (IN_APP, EMAIL), True),
    ("reply_review_failed", _("督办审核未通过"), _("答复函督办审核未通过，请修改"), None, {}, (IN_APP, EMAIL), True),
    ("replied", _("提案已答复"), _("提案%(number)s已答复，请评价"), TITLE, {}, (IN_APP, EMAIL, SMS), True),
    ("rated", _("委员评价"), _("提案%(number)s已评价：%(r)s"), None, {"rating": "dissatisfied"}, (IN_APP,), True),
    ("rehandle", _("不满意重办"), _("提案%(number)s委员不满意，请重新办理"), None, {}, (IN_APP, EMAIL, SMS), True),
    ("closed", _("提案办结"), _("提案%(number)s已办结"), None, {}, (IN_APP, EMAIL), True),
]


def register() -> None:
    for code, label, title, body, sample, channels, has_url in KINDS:
        register_kind(
            f"proposal.{code}", label=label, title=title, body=body, values=_values, url=_url if has_url else None,
            channels=channels, sample={**SAMPLE, **sample}, app="proposals", group=_("提案"),
        )
