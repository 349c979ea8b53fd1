"""The quiz submission print format as PDF (fpdf2: pure Python, installs from wheels), and a ZIP of
many of them streamed with flat memory.

Text that Windows-1252 can hold is set in the PDF core font Helvetica (nothing to embed: a 20-question
PDF renders in about 15 ms); any other text (names or answers in other scripts) switches that
document to the DejaVu Sans shipped in fonts/, embedded as a subset. DejaVu covers Latin, Greek,
Cyrillic, Armenian, Georgian, Hebrew and Arabic letters, among others, but not CJK: a character it has
no glyph for is printed as its code point, e.g. [U+5B89], so nothing the learner typed is lost.
"""

from __future__ import annotations

import datetime as dt
import logging
import zipfile
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path

from django.utils import timezone
from django.utils.text import slugify
from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from smoothlms.assessments.models import QuizSubmission
from smoothlms.assessments.selectors import PrintedAnswer, SubmissionPrint, iterate_submission_prints

FONTS = Path(__file__).resolve().parent / "fonts"
CORE_ENCODING = "windows-1252"
INK, MUTED, RIGHT, WRONG = (20, 24, 31), (95, 102, 115), (22, 120, 60), (170, 40, 40)
# fontTools logs every subsetting step at INFO: a line per glyph table for each PDF.
logging.getLogger("fontTools").setLevel(logging.WARNING)


@cache
def _covered() -> frozenset[int]:
    """The code points both shipped fonts have glyphs for."""
    fonts = [TTFont(FONTS / name, lazy=True) for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf")]
    return frozenset.intersection(*(frozenset(font.getBestCmap()) for font in fonts))


def _printable(text: str) -> str:
    covered = _covered()
    return "".join(char if ord(char) in covered or char in "\n\t" else f"[U+{ord(char):04X}]" for char in text)


def _fits_core_font(texts: Iterable[str]) -> bool:
    try:
        for text in texts:
            text.encode(CORE_ENCODING)
    except UnicodeEncodeError:
        return False
    return True


def _texts(data: SubmissionPrint) -> Iterator[str]:
    yield from (data.learner, data.email, data.hr_id, data.quiz, data.course, data.cohort, data.recorded_answers)
    for answer in data.answers:
        yield from (answer.question, answer.answer, answer.correct)
        yield from (text for text, _, _ in answer.options)


class SubmissionPDF(FPDF):
    def __init__(self, data: SubmissionPrint, generated_at: dt.datetime) -> None:
        super().__init__(format="A4")
        self.data, self.generated_at = data, generated_at
        if _fits_core_font(_texts(data)):
            self.core_fonts_encoding = CORE_ENCODING
            self.family = "Helvetica"
        else:
            self.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
            self.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
            self.family = "DejaVu"
        self.set_margins(18, 16, 18)
        self.set_auto_page_break(True, margin=18)
        self.set_title(f"Quiz submission {data.reference}: {data.quiz}")
        self.set_author("Smooth LMS")
        self.set_creation_date(generated_at)

    def normalize_text(self, text: str) -> str:
        return _printable(text) if self.is_ttf_font else super().normalize_text(text)

    def style(self, size: float, *, bold: bool = False, color: tuple[int, int, int] = INK) -> None:
        self.set_font(self.family, "B" if bold else "", size)
        self.set_text_color(*color)

    def footer(self) -> None:
        self.set_y(-12)
        self.style(7.5, color=MUTED)
        self.cell(
            0,
            5,
            f"{self.data.reference} · {self.data.quiz} · attempt {self.data.attempt} · page {self.page_no()} of {{nb}}",
            align="C",
        )

    def line_text(self, text: str, *, height: float = 5.2, indent: float = 0) -> None:
        self.set_x(self.l_margin + indent)
        self.multi_cell(self.epw - indent, height, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _header(pdf: SubmissionPDF) -> None:
    data = pdf.data
    pdf.style(16, bold=True)
    pdf.line_text(f"Quiz submission {data.reference}", height=8)
    pdf.style(9, color=MUTED)
    pdf.line_text(f"Generated {pdf.generated_at:%Y-%m-%d %H:%M} UTC by Smooth LMS. The record cannot be changed.")
    pdf.ln(3)
    rows = [
        ("Learner", f"{data.learner} <{data.email}>"),
        ("HR id", data.hr_id),
        ("Quiz", data.quiz),
        ("Course", data.course),
        ("Cohort", data.cohort),
        ("Attempt", str(data.attempt)),
        ("Started", data.started_at or "-"),
        ("Submitted", data.submitted_at),
        ("Score", f"{data.score} ({data.percentage}; passing {data.passing})"),
        ("Result", data.result),
        ("Record", data.source),
    ]
    for label, value in rows:
        pdf.style(9.5, bold=True)
        pdf.cell(28, 5.6, label)
        pdf.style(9.5, color=RIGHT if value == "Passed" else WRONG if value == "Not passed" else INK)
        pdf.multi_cell(pdf.epw - 28, 5.6, value, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    pdf.set_draw_color(200, 204, 210)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
    pdf.ln(3)


def _question(pdf: SubmissionPDF, answer: PrintedAnswer) -> None:
    if pdf.will_page_break(24):
        pdf.add_page()
    pdf.style(10.5, bold=True)
    pdf.line_text(f"{answer.number}. {answer.question}", height=5.6)
    pdf.style(8.5, color=MUTED)
    pdf.line_text(answer.kind, height=4.6)
    for text, chosen, correct in answer.options:
        pdf.style(9.5, color=RIGHT if correct else INK)
        marks = f"[{'x' if chosen else ' '}] {text}" + ("   (correct)" if correct else "")
        pdf.line_text(marks, indent=4)
    pdf.style(9.5, bold=True, color=RIGHT if answer.right else WRONG)
    pdf.line_text(f"Learner's answer: {answer.answer}", indent=4)
    pdf.style(9.5)
    pdf.line_text(f"Correct answer: {answer.correct}", indent=4)
    pdf.line_text(f"Marks: {answer.marks}", indent=4)
    pdf.ln(2.5)


def render_submission_pdf(data: SubmissionPrint, *, generated_at: dt.datetime | None = None) -> bytes:
    """The print format of one submission: who, HR id, quiz, course, cohort, attempt, when (with the
    zone), then every question with the options as shown (the learner's marked [x]), the learner's
    answer, the correct answer and the marks."""
    pdf = SubmissionPDF(data, (generated_at or timezone.now()).astimezone(dt.UTC))
    pdf.alias_nb_pages()
    pdf.add_page()
    _header(pdf)
    for answer in data.answers:
        _question(pdf, answer)
    if data.recorded_answers:
        pdf.style(10.5, bold=True)
        pdf.line_text("Answers as recorded in the desk")
        pdf.style(9)
        pdf.line_text(data.recorded_answers)
    if not data.answers and not data.recorded_answers:
        pdf.style(9.5, color=MUTED)
        pdf.line_text("No question-level answers were recorded for this submission.")
    return bytes(pdf.output())


def pdf_filename(submission: QuizSubmission, data: SubmissionPrint) -> str:
    who = slugify(data.hr_id if data.hr_id != "-" else data.email.split("@")[0]) or f"user-{submission.member_id}"
    return f"{who}-{slugify(data.quiz)[:60] or 'quiz'}-attempt-{data.attempt}-{submission.name}.pdf"


class _Sink:
    """A write-only file for zipfile that keeps only what was written since the last drain: the ZIP
    leaves as it is made. Not seekable, so zipfile writes each entry's sizes after its data."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.offset = 0

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        self.offset += len(data)
        return len(data)

    def tell(self) -> int:
        return self.offset

    def seekable(self) -> bool:
        return False

    def flush(self) -> None:
        pass

    def drain(self) -> bytes:
        data = b"".join(self.parts)
        self.parts.clear()
        return data


def stream_zip(entries: Iterable[tuple[str, bytes]]) -> Iterator[bytes]:
    """A ZIP of `entries` (name, content), yielded a piece at a time: one entry in memory at once.
    PDFs are compressed already, so entries are stored, not deflated again."""
    sink = _Sink()
    names: set[str] = set()
    with zipfile.ZipFile(sink, mode="w", compression=zipfile.ZIP_STORED) as archive:  # type: ignore[arg-type]
        for name, content in entries:
            unique, number = name, 2
            while unique in names:
                unique, number = f"{name.removesuffix('.pdf')}-{number}.pdf", number + 1
            names.add(unique)
            info = zipfile.ZipInfo(unique, date_time=timezone.now().timetuple()[:6])
            archive.writestr(info, content)
            yield sink.drain()
    yield sink.drain()


def submissions_zip(queryset) -> Iterator[bytes]:
    """The PDFs of the submissions in `queryset` as one streamed ZIP (selectors read them a chunk at
    a time), for a cohort's bulk export."""
    generated_at = timezone.now()
    return stream_zip(
        (pdf_filename(submission, data), render_submission_pdf(data, generated_at=generated_at))
        for submission, data in iterate_submission_prints(queryset)
    )
