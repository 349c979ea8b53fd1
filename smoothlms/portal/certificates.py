"""Certificates on the portal: the PDF for its holder and staff (/lms/certificates/<name>.pdf), and
the public check anyone can open from the QR code (/verify/<name>: the holder's name, the course,
the dates and whether it is valid; never an email or an HR id)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from smoothlms.portal.views import learner_required
from smoothlms.training.errors import CertificateNotFound
from smoothlms.training.rendering import get_certificate_pdf, holder_name, subject_title
from smoothlms.training.selectors import can_download_certificate, get_certificate


@require_safe
@learner_required
@never_cache
def certificate_pdf(request: HttpRequest, name: str) -> HttpResponse:
    """The holder's or a staff member's download. Anyone else gets the same 404 as for an unknown
    number: the page does not say whether a certificate exists."""
    try:
        certificate = get_certificate(name=name)
    except CertificateNotFound:
        raise Http404("No such certificate.") from None
    if not can_download_certificate(user=request.user, certificate=certificate):
        raise Http404("No such certificate.")
    response = HttpResponse(get_certificate_pdf(certificate=certificate), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="certificate-{certificate.name}.pdf"'
    return response


@require_safe
def verify_certificate(request: HttpRequest, name: str) -> HttpResponse:
    try:
        certificate = get_certificate(name=name)
    except CertificateNotFound as error:
        response = render(request, "portal/verify.html", {"missing": error.user_message()}, status=404)
    else:
        response = render(
            request,
            "portal/verify.html",
            {
                "name": certificate.name,
                "holder": holder_name(certificate),
                "subject": subject_title(certificate),
                "batch": certificate.batch.title if certificate.batch_id and certificate.course_id else "",
                "issue_date": certificate.issue_date,
                "expiry_date": certificate.expiry_date,
                "valid": certificate.is_valid_on(timezone.localdate()),
            },
        )
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"
    return response
