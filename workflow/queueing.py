"""Queueing a Celery task after a commit, for the background jobs (document
batches and their chunks, Excel exports): a broker that is down is logged,
never a server error after the commit; each job's flush task (workflow.tasks,
every few minutes) finds the job without progress and queues it again."""
import logging

logger = logging.getLogger(__name__)


def delay_or_log(task, *args) -> None:
    try:
        task.delay(*args)
    except Exception:  # kombu's connection errors differ by transport
        logger.exception("%s%r: could not queue, the flush will retry", task.name, args)
