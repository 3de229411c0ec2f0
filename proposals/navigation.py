"""The proposal pages on each role's home page."""
from django.utils.translation import gettext_lazy as _

from workflow import registry
from workflow.registry import NavEntry

from .permissions import SUPERVISION_ROLES
from .roles import Role


def register() -> None:
    registry.register_navigation(
        NavEntry("proposals:new", _("撰写提案"), frozenset({Role.MEMBER}), _("起草、联名、提交提案"), order=10, primary=True),
        NavEntry("proposals:list", _("提案列表"), frozenset({Role.MEMBER, Role.PROPOSAL_OFFICE, Role.HANDLER, Role.DEPT_LEADER, Role.SUPERVISOR, Role.KEY_LEADER}), _("按届次、类别、状态筛选"), order=20, primary=True),
        NavEntry("proposals:supervision", _("重点与逾期提案"), frozenset(SUPERVISION_ROLES), _("重点提案和逾期未办的提案"), order=40, primary=True),
        NavEntry("proposals:public", _("公开的提案答复"), frozenset(), _("已公开的提案及答复"), order=70, all_roles=True, public=True),
    )
