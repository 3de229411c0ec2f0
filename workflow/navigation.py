"""What each role can do from its home page.

Apps add entries to NAVIGATION; an entry whose URL name does not resolve
(the page is not built yet) is left out, so the home page never links to a 404.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from .models import Role


@dataclass(frozen=True)
class NavEntry:
    url_name: str
    label: str
    roles: frozenset[str]
    description: str = ""


ALL_ROLES = frozenset(r.value for r in Role)

NAVIGATION: list[NavEntry] = [
    NavEntry("home", _("我的待办"), ALL_ROLES, _("分派给我的任务和可以领取的任务")),
    NavEntry("proposals:new", _("撰写提案"), frozenset({Role.MEMBER}), _("起草、联名、提交提案")),
    NavEntry("proposals:list", _("提案列表"), frozenset({Role.MEMBER, Role.PROPOSAL_OFFICE, Role.HANDLER, Role.DEPT_LEADER, Role.SUPERVISOR, Role.KEY_LEADER}), _("按届次、类别、状态筛选")),
    NavEntry("complaints:list", _("投诉工单"), frozenset({Role.DISPATCHER, Role.HANDLER, Role.DEPT_LEADER, Role.SUPERVISOR}), _("派单、签收、办理、回访")),
    NavEntry("proposals:supervision", _("重点与逾期提案"), frozenset({Role.SUPERVISOR, Role.KEY_LEADER, Role.PROPOSAL_OFFICE}), _("重点提案和逾期未办的提案")),
    NavEntry("supervision:dashboard", _("督办看板"), frozenset({Role.SUPERVISOR, Role.KEY_LEADER, Role.PROPOSAL_OFFICE}), _("预警、逾期、部门排名")),
    NavEntry("proposals:public", _("公开的提案答复"), ALL_ROLES, _("已公开的提案及答复")),
    NavEntry("departments", _("单位通讯录"), ALL_ROLES, _("各单位联系人和电话")),
    NavEntry("api-docs", _("接口文档"), ALL_ROLES, _("REST API（OpenAPI）")),
    NavEntry("admin:index", _("系统管理"), frozenset({Role.ADMIN}), _("单位、人员、角色、工作日历、办理时限")),
]


def entries_for(roles: set[str]) -> list[dict]:
    result = []
    for entry in NAVIGATION:
        if not (entry.roles & roles):
            continue
        try:
            url = reverse(entry.url_name)
        except NoReverseMatch:
            continue
        result.append({"url": url, "label": entry.label, "description": entry.description, "url_name": entry.url_name})
    return result
