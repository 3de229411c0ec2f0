from django.conf import settings
from django.utils.functional import SimpleLazyObject

from .selectors import notification_unread_count, user_roles


def roles(request):
    """What every page's header needs, computed only when a page shows it."""
    user = getattr(request, "user", None)
    signed_in = user is not None and user.is_authenticated

    def menu():
        from .navigation import menu_for

        return menu_for(user=user, roles=user_roles(user=user) if signed_in else set(), path=request.path)

    def counts():
        from .inbox import nav_counts

        return nav_counts(user=user) if signed_in else {}

    return {
        "user_roles": user_roles(user=user) if user is not None else set(),
        "platform_name": settings.PLATFORM_NAME,
        "unread_notifications": (lambda: notification_unread_count(user=user)) if user is not None else 0,
        "nav_menu": SimpleLazyObject(menu),
        "nav_counts": SimpleLazyObject(counts),
    }
