"""What each role can do from its home page.

Case apps register their entries (workflow.registry.register_navigation); an
entry whose URL name does not resolve (the page is not built yet) is left
out, so the home page never links to a 404.
"""
from __future__ import annotations

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from . import registry
from .registry import NavEntry
from .roles import EngineRole

__all__ = ["NavEntry", "entries_for", "menu_for", "register_engine_navigation"]


def register_engine_navigation() -> None:
    registry.register_navigation(
        NavEntry("home", _("我的待办"), frozenset(), _("分派给我的任务和本岗位的任务，按期限排序"), order=0, all_roles=True, primary=True),
        NavEntry(
            "supervision-urging", _("催办单"), frozenset({EngineRole.HANDLER, EngineRole.DEPT_LEADER}),
            _("本单位逾期任务的催办单，签收后尽快办理"), order=20, primary=True,
        ),
        NavEntry("departments", _("单位通讯录"), frozenset(), _("各单位联系人和电话"), order=80, all_roles=True),
        NavEntry("exports", _("我的导出"), frozenset(), _("导出的Excel文件：进度和下载"), order=85, all_roles=True),
        NavEntry("api-docs", _("接口文档"), frozenset(), _("REST API（OpenAPI）"), order=90, all_roles=True),
        NavEntry(
            "audit-trail", _("审计记录"), frozenset(), _("登录、权限变更、状态变更、导出和查看个人信息的记录：查询、导出"),
            order=95, permission="workflow.view_securityevent",
        ),
        NavEntry(
            "admin:index", _("系统管理"),
            frozenset({EngineRole.ADMIN, EngineRole.SECURITY_ADMIN, EngineRole.AUDIT_ADMIN}),
            _("按职责：单位、人员、工作日历、办理时限（系统管理员）；角色、账号安全、锁定（安全管理员）；安全事件（审计管理员）"),
            order=99,
        ),
    )


def _visible(entry: NavEntry, roles: set[str], user) -> bool:
    if user is None or not user.is_authenticated:
        return entry.public
    if entry.permission:
        return user.has_perm(entry.permission)
    return bool(entry.all_roles or entry.roles & roles)


def entries_for(roles: set[str], *, user=None) -> list[dict]:
    """The entries for these roles; an entry behind a permission only for a `user` holding it."""
    result = []
    for entry in registry.navigation():
        if entry.permission:
            if user is None or not user.has_perm(entry.permission):
                continue
        elif not (entry.all_roles or entry.roles & roles):
            continue
        try:
            url = reverse(entry.url_name)
        except NoReverseMatch:
            continue
        result.append({"url": url, "label": entry.label, "description": entry.description, "url_name": entry.url_name})
    return result


def menu_for(*, user, roles: set[str], path: str) -> dict:
    """The header's menu: {"primary": [...], "more": [...]}, each item
    {url, label, description, url_name, active}. Signed in: the entries of the
    user's roles, the primary ones in the top bar, the rest (public pages
    included) under 更多; a visitor: the public pages. The current page is the
    entry whose URL is the longest prefix of `path` ("/" only for itself)."""
    signed_in = user is not None and user.is_authenticated
    items = []
    for entry in registry.navigation():
        if not _visible(entry, roles, user):
            continue
        try:
            url = reverse(entry.url_name)
        except NoReverseMatch:
            continue
        items.append({
            "url": url, "label": entry.label, "description": entry.description, "url_name": entry.url_name,
            "primary": entry.primary or not signed_in, "active": False,
        })
    matches = [i for i in items if (path == i["url"] if i["url"] == "/" else path.startswith(i["url"]))]
    if matches:
        max(matches, key=lambda i: len(i["url"]))["active"] = True
    return {"primary": [i for i in items if i["primary"]], "more": [i for i in items if not i["primary"]]}
