"""The cohort page's assessments: each active member's status in each of the cohort's quizzes and
assignments (one inclusion tag, so the cohort admin needs no change to show it)."""

from __future__ import annotations

from django import template

from smoothlms.assessments.selectors import Status, can_read_submissions, list_batch_assessment_status
from smoothlms.people.roles import Role

register = template.Library()


@register.filter
def get_item(mapping: dict, key: str):
    return mapping.get(key, key)


@register.inclusion_tag("desk/assessments/_batch_status.html", takes_context=True)
def batch_assessment_status(context, batch) -> dict:
    user = context["request"].user
    assessments, rows = list_batch_assessment_status(batch=batch)
    show_members = can_read_submissions(user)  # names only to the roles that read rosters
    return {
        "batch": batch,
        "assessments": assessments,
        "rows": rows if show_members else [],
        "show_members": show_members,
        "labels": Status.LABELS,
        "can_manage": user.has_role(Role.MODERATOR, Role.SYSTEM_MANAGER),
    }
