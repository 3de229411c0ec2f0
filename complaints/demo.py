"""Demo organisation for complaints: the 12345 hotline centre and its dispatcher.
(Demo complaints come with the complaint flow, issue 8.)"""
from .roles import ComplaintDepartmentKind, ComplaintRole

DEPARTMENTS = [
    ("hotline", "广元市朝天区12345政务服务便民热线中心", "12345热线中心", ComplaintDepartmentKind.HOTLINE_CENTRE, "示例联系人", "12345", ""),
]
ACCOUNTS = [
    ("dispatcher1", "示例派单员", [("hotline", ComplaintRole.DISPATCHER)], False),
]


def load(*, users: dict, departments: dict) -> None:
    """No demo complaints yet."""
