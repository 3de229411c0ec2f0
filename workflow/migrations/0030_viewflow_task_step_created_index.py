"""An index on viewflow's task table by step and creation time (issue 9).

The dashboard counts the tasks of one step created in a period (e.g. the proposal
departments' sign-for tasks: 签收及时率) for the days its stored daily figures do not
cover yet (today). With only the single-column `created` index, PostgreSQL at 18
million tasks estimated today's rows badly and walked every proposal task of the
scope instead (140 ms); with (flow_task, created) it reads the step's rows of the
period directly (0.1 ms). docs/performance.md, "the dashboard at 1,000,000 complaints".
"""
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("workflow", "0029_daily_figure_scope"),
    ]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS wf_task_step_created_idx ON viewflow_task (flow_task, created)",
            reverse_sql="DROP INDEX IF EXISTS wf_task_step_created_idx",
        ),
    ]
