"""An approval that changes a figure a client was already told about queues a correction.

``clients.approval`` writes an ``ApprovalLog`` row in the approval's transaction; the correction is
queued in that same transaction. (``sync.ingest.apply_batch`` writes its logs in bulk, without
signals: there, ``queue_summary`` — called with ``send_summary`` — sends the correction.)
"""

from django.db.models.signals import post_save
from django.dispatch import receiver

from clients.models import ApprovalLog


@receiver(post_save, sender=ApprovalLog, dispatch_uid="messaging_corrections_after_approval")
def queue_corrections_after_approval(sender, instance: ApprovalLog, created: bool, raw: bool = False, **kwargs):
    if not created or raw:
        return
    from clients.messaging.models import SENT_STATUSES, Message
    from clients.messaging.services import SUMMARY_PURPOSES, queue_corrections

    told = Message.objects.filter(company_id=instance.company_id, purpose__in=SUMMARY_PURPOSES,
                                  status__in=SENT_STATUSES)
    if instance.period is not None:
        told = told.filter(period=instance.period)
    periods = sorted(set(told.values_list("period", flat=True)))
    for period in periods:
        queue_corrections(instance.company, period)
