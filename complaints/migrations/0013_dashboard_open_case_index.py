"""The dashboard's covering index on the open complaint tasks gains the complaint (issue 9):
its count leaves suspended complaints' tasks out by complaint id, from the index alone.
The new index first, then the one it replaces."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('complaints', '0012_extension_pending_index'),
        ('viewflow', '0015_task_scheduled'),
        ('workflow', '0030_viewflow_task_step_created_index'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='complainttask',
            index=models.Index(condition=models.Q(('is_open', True)), fields=['department', 'deadline', 'is_open', 'task_ptr', 'complaint'], name='complainttask_open_case_idx'),
        ),
        migrations.RemoveIndex(
            model_name='complainttask',
            name='complainttask_open_dept_idx',
        ),
    ]
