"""The certificate PDF: A4 landscape, drawn with fpdf2 (pure Python), with a QR code (segno) of the
public verify URL. Knows nothing of the database: it renders a CertificateDocument, so the worker
and the benchmark's library-only baseline render exactly the same thing."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import segno
from fpdf import FPDF

from smoothlms.training.dates import human_date

FONTS = Path(__file__).resolve().parent / "fonts"
FONT = "DejaVu"  # bundled (Latin, Greek, Cyrillic): names outside latin-1 print as they are
WIDTH, HEIGHT = 297, 210  # mm
INK = (33, 37, 41)
ACCENT = (47, 84, 150)
MUTED = (108, 117, 125)


@dataclass(frozen=True)
class CertificateDocument:
    name: str  # the certificate number
    title: str
    body: str  # already rendered: it names the holder and the course
    holder_name: str
    subject_title: str  # the course's (or cohort's) title
    issue_date: object  # dt.date
    expiry_date: object  # dt.date | None
    verify_url: str
    signatory_name: str = ""
    signatory_title: str = ""
    logo: bytes | None = None


def qr_png(text: str) -> bytes:
    """A QR code of `text` as a PNG (black on white, 4-module quiet zone)."""
    buffer = io.BytesIO()
    segno.make(text, error="m").save(buffer, kind="png", scale=8, border=4)
    return buffer.getvalue()


def render_certificate(doc: CertificateDocument) -> bytes:
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(25, 20, 25)
    pdf.set_title(f"{doc.title}: {doc.holder_name}")
    pdf.set_subject(doc.subject_title)
    pdf.set_creator("Smooth LMS")
    pdf.add_font(FONT, "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font(FONT, "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.add_page()
    _frame(pdf)
    top = 30
    if doc.logo:
        pdf.image(io.BytesIO(doc.logo), x=WIDTH / 2 - 30, y=top - 8, w=60, h=22, keep_aspect_ratio=True)
        top += 20
    pdf.set_text_color(*ACCENT)
    pdf.set_font(FONT, "B", 30)
    pdf.set_xy(25, top + 6)
    pdf.cell(WIDTH - 50, 14, doc.title, align="C")
    pdf.set_text_color(*INK)
    pdf.set_font(FONT, "B", 24)
    pdf.set_xy(25, top + 32)
    pdf.cell(WIDTH - 50, 12, doc.holder_name, align="C")
    pdf.set_draw_color(*ACCENT)
    pdf.line(WIDTH / 2 - 60, top + 46, WIDTH / 2 + 60, top + 46)
    pdf.set_font(FONT, "", 14)
    pdf.set_xy(40, top + 52)
    pdf.multi_cell(WIDTH - 80, 7.5, doc.body, align="C")
    _dates(pdf, doc, y=max(pdf.get_y() + 8, top + 80))
    _signatory(pdf, doc)
    _qr(pdf, doc)
    return bytes(pdf.output())


def _frame(pdf: FPDF) -> None:
    pdf.set_draw_color(*ACCENT)
    pdf.set_line_width(1.2)
    pdf.rect(10, 10, WIDTH - 20, HEIGHT - 20)
    pdf.set_line_width(0.3)
    pdf.rect(13, 13, WIDTH - 26, HEIGHT - 26)


def _dates(pdf: FPDF, doc: CertificateDocument, *, y: float) -> None:
    issued = f"Issued {human_date(doc.issue_date)}"
    valid = f"Valid until {human_date(doc.expiry_date)}" if doc.expiry_date else "No expiry"
    pdf.set_font(FONT, "", 12)
    pdf.set_text_color(*INK)
    pdf.set_xy(25, y)
    pdf.cell(WIDTH - 50, 7, f"{issued}   ·   {valid}", align="C")


def _signatory(pdf: FPDF, doc: CertificateDocument) -> None:
    if not (doc.signatory_name or doc.signatory_title):
        return
    x, y = 30, HEIGHT - 52
    pdf.set_draw_color(*INK)
    pdf.set_line_width(0.3)
    pdf.line(x, y, x + 80, y)
    pdf.set_text_color(*INK)
    pdf.set_font(FONT, "B", 12)
    pdf.set_xy(x, y + 2)
    pdf.cell(80, 6, doc.signatory_name)
    pdf.set_font(FONT, "", 10)
    pdf.set_text_color(*MUTED)
    pdf.set_xy(x, y + 8)
    pdf.cell(80, 5, doc.signatory_title)


def _qr(pdf: FPDF, doc: CertificateDocument) -> None:
    size = 34
    x, y = WIDTH - 30 - size, HEIGHT - 28 - size
    pdf.image(io.BytesIO(qr_png(doc.verify_url)), x=x, y=y, w=size, h=size)
    pdf.set_font(FONT, "", 8)
    pdf.set_text_color(*MUTED)
    pdf.set_xy(x - 60, y + size + 1)
    pdf.cell(size + 60, 4, f"Certificate {doc.name}", align="R")
    pdf.set_xy(x - 60, y + size + 5)
    pdf.cell(size + 60, 4, f"Verify: {doc.verify_url}", align="R")
