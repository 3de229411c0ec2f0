"""simple-history's `Model.history` descriptor builds a new manager class on
every access (Manager.from_queryset: a type() and an inspect.getmembers of
the queryset class), and every historical row written reads it once: about
half a millisecond per saved case row (issue 11, the intake's profile). The
class is the same every time, so each descriptor builds it once."""
from __future__ import annotations

from simple_history.manager import HistoryDescriptor


class CachedHistoryDescriptor(HistoryDescriptor):
    def __get__(self, instance, owner):
        manager_class = self.__dict__.get("_manager_class")
        if manager_class is None:
            manager_class = self._manager_class = self.manager_class.from_queryset(self.queryset_class)
        return manager_class(self.model, instance)


def cache_history_managers() -> int:
    """Swap the descriptor of every model with history (called once, from AppConfig.ready)."""
    from django.apps import apps

    swapped = 0
    for model in apps.get_models():
        name = getattr(model._meta, "simple_history_manager_attribute", None)
        descriptor = model.__dict__.get(name) if name else None
        if type(descriptor) is HistoryDescriptor:
            descriptor.__class__ = CachedHistoryDescriptor
            swapped += 1
    return swapped
