"""Payments for paid cohorts."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from smoothlms.catalog.models import Batch
from smoothlms.core.audit import record_event
from smoothlms.core.models import EventType
from smoothlms.enrollment.models import Payment, PaymentStatus
from smoothlms.people.models import User


@transaction.atomic(durable=True)
def record_payment(
    *, batch: Batch, member: User, amount: Decimal | int | str, currency: str, reference: str = "", actor: User | None
) -> Payment:
    """Record a received payment for a paid cohort (the desk now, a payment gateway later).
    Side effects: an audit event."""
    payment = Payment.objects.create(
        batch=batch,
        member=member,
        amount=amount,
        currency=currency.upper(),
        reference=reference,
        status=PaymentStatus.RECEIVED,
        received_at=timezone.now(),
        created_by=actor,
    )
    record_event(
        EventType.PAYMENT_RECORDED,
        actor=actor,
        batch=batch,
        member=member,
        after={"amount": str(amount), "currency": payment.currency, "reference": reference},
    )
    return payment


def received_payment(*, batch: Batch, member: User) -> Payment | None:
    """The member's latest received payment for the cohort."""
    return (
        Payment.objects.filter(batch=batch, member=member, status=PaymentStatus.RECEIVED)
        .order_by("-received_at", "-id")
        .first()
    )


def pays_for(payment: Payment | None, *, batch: Batch, member: User) -> bool:
    """Whether `payment` is a received payment of `member` for `batch`."""
    return (
        payment is not None
        and payment.status == PaymentStatus.RECEIVED
        and payment.member_id == member.pk
        and payment.batch_id == batch.pk
    )
