"""`{% assignments_and_certificates %}`: the learner's training assignments and certificates,
for any portal page (/lms/courses), from training's selector."""

from __future__ import annotations

from django import template

from smoothlms.training.selectors import list_my_assignments_and_certificates

register = template.Library()


@register.inclusion_tag("portal/_assignments_and_certificates.html", takes_context=True)
def assignments_and_certificates(context) -> dict:
    user = context["request"].user
    return {"training": list_my_assignments_and_certificates(user) if user.is_authenticated else None}
