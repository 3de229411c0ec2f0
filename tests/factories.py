"""Factories and helpers shared by every test module.

- `at(2019, 3, 1, 9)`: travel to that time in China (UTC+8) and stand still.
- `DepartmentFactory`, `UserFactory(roles=[(department, Role.HANDLER)])`.
- `role_user(Role.HANDLER, department)`: the person holding a role (the
  fixtures of tests/conftest.py create one per role).
- `sign_in_verified(client, user)`: signed in as if the second factor had been
  passed (administrators need it: workflow.second_factor); the `login` fixture
  does it for whoever needs it.

The proposals' own factories (a proposal in each state, driven through the
real services) are in tests/proposals/factories.py.
"""
import datetime as dt

import factory
import time_machine

from workflow import services
from workflow.models import Department, User
from proposals.roles import Role

TZ = dt.timezone(dt.timedelta(hours=8))  # China Standard Time, no summer time


def at(*args, tick: bool = False) -> time_machine.travel:
    """`with at(2019, 3, 1, 9):` the clock reads 09:00 on 1 March 2019 in China (and stands still)."""
    return time_machine.travel(dt.datetime(*args, tzinfo=TZ), tick=tick)


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"dept-{n}")
    name = factory.Sequence(lambda n: f"测试单位{n}")
    short_name = factory.Sequence(lambda n: f"单位{n}")
    kind = Department.Kind.GOVERNMENT
    doc_number_prefix = "测函"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"测试用户{n}")
    password = factory.PostGenerationMethodCall("set_password", "pw-123456")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        """roles=[(department, Role.HANDLER), ...]"""
        self.save()
        for department, role in extracted or []:
            services.membership_grant(actor=None, user=self, department=department, role=role)


def user_with_role(role: str, department: Department | None = None, **kwargs) -> User:
    department = department or DepartmentFactory()
    return UserFactory(roles=[(department, role)], **kwargs)


def role_user(role: str, department: Department | None = None) -> User:
    """The (first) active person holding `role` (in `department`): factories act as
    the people the fixtures made, one per role."""
    # One filter() call: the role and the department must be on the same membership.
    membership = {"memberships__role": role, "memberships__is_active": True}
    if department is not None:
        membership["memberships__department"] = department
    people = User.objects.filter(is_active=True, **membership).distinct()
    user = people.order_by("pk").first()
    if user is None:
        where = f" in {department}" if department is not None else ""
        raise LookupError(f"nobody holds the role {role!r}{where}: ask for the fixture that makes them (tests/conftest.py)")
    return user


def sign_in_verified(client, user):
    """`client` signed in as `user` with the second factor passed: a confirmed authenticator
    (made when missing) recorded in the session, as django-otp does after a right code."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="测试", confirmed=True)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


__all__ = ["sign_in_verified", "TZ", "at", "DepartmentFactory", "UserFactory", "user_with_role", "role_user", "Role"]


def race(*jobs, timeout: float = 120):
    """Run the jobs at the same moment in threads with their own database connections
    (the PostgreSQL concurrency tests); [("ok", result) or ("error", exception)] in order."""
    import threading

    from django.db import connections

    barrier = threading.Barrier(len(jobs))
    results = [None] * len(jobs)

    def runner(i, job):
        try:
            barrier.wait()
            results[i] = ("ok", job())
        except Exception as exc:  # collected and asserted by the test
            results[i] = ("error", exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=runner, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    return results
