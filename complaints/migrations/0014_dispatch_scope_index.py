"""A department's dispatches with their complaint in one covering index (complaints.selectors._scope).
The new index first, then the (department, status) one it replaces."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('complaints', '0013_dashboard_open_case_index'),
        ('workflow', '0030_viewflow_task_step_created_index'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name='dispatch',
            index=models.Index(fields=['department', 'status', 'complaint'], name='dispatch_dept_scope_idx'),
        ),
        migrations.RemoveIndex(
            model_name='dispatch',
            name='complaints__departm_f5f52a_idx',
        ),
    ]
