"""Background sending (django-tasks, database backend: `fangkong db_worker`)."""

from django_tasks import task


@task()
def deliver(delivery_id: int) -> str:
    from .services import delivery_attempt

    delivery = delivery_attempt(delivery_id)
    return delivery.status if delivery is not None else "not due"


@task()
def deliver_batch(delivery_ids: list[int]) -> int:
    """A few deliveries of one pass, one after the other; returns how many were sent."""
    from .choices import DeliveryStatus
    from .services import delivery_attempt

    sent = 0
    for pk in delivery_ids:
        delivery = delivery_attempt(pk)
        sent += int(delivery is not None and delivery.status == DeliveryStatus.SENT)
    return sent
