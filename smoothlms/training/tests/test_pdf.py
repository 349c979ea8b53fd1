"""The certificate PDF, read back as an auditor's tools would: its text (pypdf) and its QR code
(zxing-cpp), which must lead to the public verify page."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import zxingcpp
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image
from pypdf import PdfReader

from smoothlms.catalog.models import LMSSettings
from smoothlms.people.tests.factories import UserFactory
from smoothlms.training.models import Certificate
from smoothlms.training.rendering import get_certificate_pdf, render_certificate_pdfs
from smoothlms.training.services import issue_certificate
from smoothlms.training.tests.factories import certificate_course, complete

pytestmark = pytest.mark.django_db


def text_of(pdf: bytes) -> str:
    return " ".join(PdfReader(io.BytesIO(pdf)).pages[0].extract_text().split())


def qr_codes_of(pdf: bytes) -> list[str]:
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    found = []
    for image in page.images:
        picture = image.image.convert("L")
        # A quiet zone around the symbol, as a printed page has.
        framed = Image.new("L", (picture.width + 80, picture.height + 80), 255)
        framed.paste(picture, (40, 40))
        found += [code.text for code in zxingcpp.read_barcodes(framed)]
    return found


@pytest.fixture
def issued(settings):
    settings.SITE_URL = "https://lms.example.com"
    lms = LMSSettings.load()
    lms.certificate_title = "Certificate of Training"
    lms.certificate_body = "{{ member_name }} completed {{ course_title }} ({{ certificate_name }})."
    lms.certificate_signatory_name = "Asha Rao"
    lms.certificate_signatory_title = "Head of Learning"
    lms.save()
    member = UserFactory(full_name="Zoë Łukasiewicz", email="zoe@example.com")
    course = certificate_course(title="Fire Safety", validity_months=12)
    complete(member, course)
    return issue_certificate(member=member, course=course, actor=None, on=dt.date(2028, 2, 29))


def test_the_worker_renders_the_pdf_after_commit(django_capture_on_commit_callbacks, settings):
    member, course = UserFactory(full_name="Ada Lovelace"), certificate_course()
    complete(member, course)
    with django_capture_on_commit_callbacks(execute=True):
        certificate = issue_certificate(member=member, course=course, actor=None)
    certificate.refresh_from_db()
    assert certificate.pdf.name.endswith(".pdf") and certificate.pdf_rendered_at is not None
    with certificate.pdf.open("rb") as handle:
        assert handle.read().startswith(b"%PDF")


def test_pdf_names_the_holder_course_dates_and_number(issued):
    text = text_of(get_certificate_pdf(certificate=issued))
    assert "Certificate of Training" in text
    assert "Zoë Łukasiewicz completed Fire Safety" in text
    assert "Issued 29 February 2028" in text and "Valid until 28 February 2029" in text
    assert f"Certificate {issued.name}" in text and "Asha Rao" in text and "Head of Learning" in text
    assert "zoe@example.com" not in text


def test_pdf_qr_code_decodes_to_the_verify_url(issued):
    assert qr_codes_of(get_certificate_pdf(certificate=issued)) == [f"https://lms.example.com/verify/{issued.name}"]


def test_pdf_prints_the_logo_of_lms_settings(issued):
    buffer = io.BytesIO()
    Image.new("RGB", (120, 40), (47, 84, 150)).save(buffer, format="PNG")
    lms = LMSSettings.load()
    lms.certificate_logo = SimpleUploadedFile("logo.png", buffer.getvalue(), content_type="image/png")
    lms.save()
    pdf = get_certificate_pdf(certificate=issued)
    sizes = sorted(image.image.size for image in PdfReader(io.BytesIO(pdf)).pages[0].images)
    assert (120, 40) in sizes and len(sizes) == 2  # the logo and the QR code


def test_rendering_twice_keeps_the_first_file(issued):
    assert render_certificate_pdfs(certificate_ids=[issued.pk]) == 1
    stored = Certificate.objects.get(pk=issued.pk).pdf.name
    assert render_certificate_pdfs(certificate_ids=[issued.pk]) == 0
    assert Certificate.objects.get(pk=issued.pk).pdf.name == stored


def test_a_missing_file_is_rendered_again_on_download(issued):
    render_certificate_pdfs(certificate_ids=[issued.pk])
    issued.refresh_from_db()
    issued.pdf.storage.delete(issued.pdf.name)
    assert get_certificate_pdf(certificate=issued).startswith(b"%PDF")
    issued.refresh_from_db()
    assert issued.pdf.storage.exists(issued.pdf.name)


def test_a_certificate_without_expiry_says_so(settings):
    member, course = UserFactory(full_name="Grace Hopper"), certificate_course(validity_months=None)
    complete(member, course)
    certificate = issue_certificate(member=member, course=course, actor=None, on=timezone.localdate())
    assert "No expiry" in text_of(get_certificate_pdf(certificate=certificate))


def test_certificate_text_of_lms_settings_is_checked_when_saved():
    lms = LMSSettings.load()
    lms.certificate_body = "{{ member_nam }} completed {{ course_title }}"
    with pytest.raises(ValidationError) as refused:
        lms.full_clean()
    assert "member_nam" in str(refused.value)
    lms.certificate_body = "{% if %}"
    with pytest.raises(ValidationError):
        lms.full_clean()


def test_a_purge_drops_the_stored_pdf_and_the_next_one_names_nobody(issued, django_capture_on_commit_callbacks):
    from smoothlms.people.retention import purge_user

    render_certificate_pdfs(certificate_ids=[issued.pk])
    issued.refresh_from_db()
    stored = issued.pdf.name
    with django_capture_on_commit_callbacks(execute=True):
        purge_user(user=issued.member, actor=None, confirm=True)
    issued.refresh_from_db()
    assert issued.pdf.name == "" and not default_storage.exists(stored)
    assert Certificate.objects.filter(pk=issued.pk).exists()  # the evidence stays
    text = text_of(get_certificate_pdf(certificate=issued))
    assert "Łukasiewicz" not in text and "zoe@example.com" not in text and issued.name in text
