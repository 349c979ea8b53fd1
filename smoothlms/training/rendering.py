"""Certificate PDFs: rendered once by the worker after the certificate commits, kept in the default
file storage, rendered again only when the stored file is missing (another machine's disk, a
restored database without its media)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from smoothlms.catalog.certificate_text import render_certificate_text
from smoothlms.catalog.models import LMSSettings
from smoothlms.training.dates import human_date
from smoothlms.training.models import Certificate
from smoothlms.training.pdf import CertificateDocument, render_certificate

log = logging.getLogger(__name__)


def verify_url(name: str) -> str:
    """The public check of a certificate (CONTRACT.md section 13), printed and in the QR code."""
    return f"{settings.SITE_URL}/verify/{name}"


def holder_name(certificate: Certificate) -> str:
    """The name printed and shown publicly: the user's full name, never their email."""
    return certificate.member.full_name.strip() or "Name not recorded"


def subject_title(certificate: Certificate) -> str:
    return certificate.course.title if certificate.course_id else certificate.batch.title


def _logo(lms: LMSSettings) -> bytes | None:
    if not lms.certificate_logo:
        return None
    try:
        with lms.certificate_logo.open("rb") as handle:
            return handle.read()
    except OSError:  # the upload is gone from this machine's storage: print without it
        log.warning("certificate logo %s is missing from storage", lms.certificate_logo.name)
        return None


def certificate_document(certificate: Certificate, lms: LMSSettings, *, logo: bytes | None) -> CertificateDocument:
    holder, title = holder_name(certificate), subject_title(certificate)
    body = render_certificate_text(
        lms.certificate_body,
        {
            "member_name": holder,
            "course_title": title,
            "batch_title": certificate.batch.title if certificate.batch_id else "",
            "issue_date": human_date(certificate.issue_date),
            "expiry_date": human_date(certificate.expiry_date),
            "certificate_name": certificate.name,
        },
    )
    return CertificateDocument(
        name=certificate.name,
        title=lms.certificate_title,
        body=body,
        holder_name=holder,
        subject_title=title,
        issue_date=certificate.issue_date,
        expiry_date=certificate.expiry_date,
        verify_url=verify_url(certificate.name),
        signatory_name=lms.certificate_signatory_name,
        signatory_title=lms.certificate_signatory_title,
        logo=logo,
    )


def _has_stored_pdf(certificate: Certificate) -> bool:
    return bool(certificate.pdf) and default_storage.exists(certificate.pdf.name)


def _store(certificate: Certificate, content: bytes) -> None:
    """Save the file, then point the row at it only if nobody else did meanwhile (two workers, or a
    download racing the worker): the loser removes its copy."""
    previous = certificate.pdf.name or ""
    stored = default_storage.save(
        certificate.pdf.field.generate_filename(certificate, f"{certificate.name}.pdf"), ContentFile(content)
    )
    now = timezone.now()
    if Certificate.objects.filter(pk=certificate.pk, pdf=previous).update(pdf=stored, pdf_rendered_at=now):
        certificate.pdf.name, certificate.pdf_rendered_at = stored, now
    else:
        default_storage.delete(stored)
        certificate.refresh_from_db(fields=["pdf", "pdf_rendered_at"])


def render_certificate_pdfs(*, certificate_ids: Sequence[int]) -> int:
    """Render and store the PDF of each certificate that has none yet (safe to run twice: stored
    ones are skipped). Returns how many were rendered."""
    lms = LMSSettings.load()
    logo = _logo(lms)
    rendered = 0
    for certificate in (
        Certificate.objects.filter(pk__in=list(certificate_ids))
        .select_related("member", "course", "batch")
        .order_by("pk")
    ):
        if _has_stored_pdf(certificate):
            continue
        _store(certificate, render_certificate(certificate_document(certificate, lms, logo=logo)))
        rendered += 1
    return rendered


def get_certificate_pdf(*, certificate: Certificate) -> bytes:
    """The certificate's PDF: the stored file, or rendered (and stored) now when it is missing."""
    if _has_stored_pdf(certificate):
        with default_storage.open(certificate.pdf.name, "rb") as handle:
            return handle.read()
    lms = LMSSettings.load()
    content = render_certificate(certificate_document(certificate, lms, logo=_logo(lms)))
    _store(certificate, content)
    return content


def discard_certificate_pdfs(*, member_id: int) -> int:
    """Drop the stored PDFs of a member's certificates (for a purge: they print the person's name);
    the certificates stay and render again, anonymised, when next downloaded."""
    certificates = list(Certificate.objects.filter(member_id=member_id).exclude(pdf=""))
    for certificate in certificates:
        default_storage.delete(certificate.pdf.name)
    return Certificate.objects.filter(pk__in=[c.pk for c in certificates]).update(pdf="", pdf_rendered_at=None)
