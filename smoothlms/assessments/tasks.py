"""Background tasks of assessments: thin, they call delivery. Safe to run twice (delivery claims
the row before sending)."""

from __future__ import annotations

from django_tasks import task


@task()
def send_assignment_result(submission_id: int) -> str:
    from smoothlms.assessments.delivery import deliver_assignment_result

    return deliver_assignment_result(submission_id=submission_id)
