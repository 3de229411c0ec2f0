import factory

from workflow import services
from workflow.models import Department, User
from proposals.roles import Role


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


__all__ = ["DepartmentFactory", "UserFactory", "user_with_role", "Role"]
