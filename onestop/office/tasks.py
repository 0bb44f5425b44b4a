from celery import shared_task


@shared_task
def remind_deadlines() -> int:
    """Celery beat's daily deadline reminder (onestop/office/reminders.py)."""
    from onestop.office.reminders import remind_deadlines as remind

    return remind()
