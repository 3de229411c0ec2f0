"""Default beat schedules, stored through django-celery-beat so that
administrators can see and change them in the admin. Created when missing."""
from django_celery_beat.models import CrontabSchedule, PeriodicTask

DEFAULT_SCHEDULES = [
    # name, task, crontab (minute, hour, day_of_week, day_of_month, month_of_year)
    ("检查下一年度工作日历", "workflow.calendar_check_next_year", ("0", "8", "*", "*", "11,12")),
    ("督办巡检：期限预警、催办与违诺", "workflow.supervision_sweep", ("*/15", "*", "*", "*", "*")),
    ("发送到期的邮件和短信（免打扰结束、重试）", "workflow.outbound_flush", ("*", "*", "*", "*", "*")),
    # (the name kept: existing installations find their row by it; the task now drafts and submits)
    ("每月1日发布上月通报", "workflow.report_monthly", ("0", "8", "*", "1", "*")),
    # every day: the task itself skips days off (workflow.workdays), make-up working days included
    ("工作日8:30发布前一工作日排名", "workflow.report_daily", ("30", "8", "*", "*", "*")),
    # the dashboard's daily figures: after midnight (yesterday becomes a finished day), then the days changed since
    ("督办看板每日指标预汇总", "workflow.daily_figures_refresh", ("5,20,35,50", "*", "*", "*", "*")),
    ("重新排队未开始或中断的批量文书", "workflow.document_batch_flush", ("*/5", "*", "*", "*", "*")),
    ("重新排队未开始或中断的Excel导出，清理过期文件", "workflow.export_job_flush", ("*/5", "*", "*", "*", "*")),
]


def ensure_default_schedules(time_zone: str) -> None:
    for name, task, (minute, hour, dow, dom, moy) in DEFAULT_SCHEDULES:
        if PeriodicTask.objects.filter(name=name).exists():
            continue  # never overwrite what an administrator changed
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute=minute, hour=hour, day_of_week=dow, day_of_month=dom, month_of_year=moy, timezone=time_zone
        )
        PeriodicTask.objects.create(name=name, task=task, crontab=crontab)
