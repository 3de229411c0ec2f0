from django.conf import settings

from .selectors import notification_unread_count, user_roles


def roles(request):
    user = getattr(request, "user", None)
    return {
        "user_roles": user_roles(user=user) if user is not None else set(),
        "platform_name": settings.PLATFORM_NAME,
        "unread_notifications": (lambda: notification_unread_count(user=user)) if user is not None else 0,
    }
