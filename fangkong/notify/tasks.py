"""Background sending (django-tasks, database backend: `fangkong db_worker`)."""

from django_tasks import task


@task()
def deliver(delivery_id: int) -> str:
    from .services import delivery_attempt

    delivery = delivery_attempt(delivery_id)
    return delivery.status if delivery is not None else "not due"
