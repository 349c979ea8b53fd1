"""Sample course content: two small courses' chapters and lessons, and a minimal SCORM package
(1.2 or 2004) made here, a page whose script talks to the SCORM API. The demo loader calls
`build_sample_content`; the tests play the same packages."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

from django.core.files.uploadedfile import SimpleUploadedFile

from smoothlms.catalog.models import Course, Lesson, LessonKind, ScormVersion
from smoothlms.learning import services
from smoothlms.people.models import User

MANIFEST_12 = """<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="{ident}" version="1.0"
    xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"
    xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>
  <organizations default="org">
    <organization identifier="org"><title>{title}</title>
      <item identifier="item1" identifierref="sco1"><title>{title}</title></item>
    </organization>
  </organizations>
  <resources>
    <resource identifier="sco1" type="webcontent" adlcp:scormtype="sco" href="content/index.html">
      <file href="content/index.html"/>
    </resource>
  </resources>
</manifest>
"""

MANIFEST_2004 = """<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="{ident}" version="1.0"
    xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"
    xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3">
  <metadata><schema>ADL SCORM</schema><schemaversion>2004 4th Edition</schemaversion></metadata>
  <organizations default="org">
    <organization identifier="org"><title>{title}</title>
      <item identifier="item1" identifierref="sco1"><title>{title}</title></item>
    </organization>
  </organizations>
  <resources>
    <resource identifier="sco1" type="webcontent" adlcp:scormType="sco" href="content/index.html">
      <file href="content/index.html"/>
    </resource>
  </resources>
</manifest>
"""

# The page counts its visits in cmi.suspend_data, keeps the last section in the location, and
# reports completion with the "I have finished" button.
PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<link rel="stylesheet" href="style.css"></head>
<body>
<main>
  <h1>{title}</h1>
  <p>{intro}</p>
  <p id="visits" data-visits="0">Connecting to the LMS…</p>
  <p id="status"></p>
  <button type="button" id="finish">I have finished</button>
</main>
<script src="sco.js" data-version="{version}"></script>
</body></html>
"""

SCRIPT = """(function () {
  var version = document.currentScript.getAttribute("data-version");
  function find(name) {
    var win = window;
    for (var i = 0; i < 10 && win; i++) {
      if (win[name]) return win[name];
      if (win === win.parent) break;
      win = win.parent;
    }
    return window.opener && window.opener[name] ? window.opener[name] : null;
  }
  var api12 = version === "1.2" ? find("API") : null;
  var api04 = version === "2004" ? find("API_1484_11") : null;
  function call(name12, name04) {
    var args = Array.prototype.slice.call(arguments, 2);
    if (api12) return api12[name12].apply(api12, args);
    if (api04) return api04[name04].apply(api04, args);
    return "";
  }
  var visitsEl = document.getElementById("visits");
  var statusEl = document.getElementById("status");
  if (!api12 && !api04) { visitsEl.textContent = "No LMS found."; return; }
  call("LMSInitialize", "Initialize", "");
  var saved = call("LMSGetValue", "GetValue", "cmi.suspend_data") || "";
  var match = /visits=(\\d+)/.exec(saved);
  var visits = (match ? parseInt(match[1], 10) : 0) + 1;
  visitsEl.textContent = "Visit " + visits;
  visitsEl.setAttribute("data-visits", String(visits));
  call("LMSSetValue", "SetValue", "cmi.suspend_data", "visits=" + visits);
  call("LMSSetValue", "SetValue", version === "1.2" ? "cmi.core.lesson_location" : "cmi.location", "page-1");
  if (version === "1.2") {
    var status = call("LMSGetValue", "GetValue", "cmi.core.lesson_status");
    if (status === "not attempted" || !status) call("LMSSetValue", "SetValue", "cmi.core.lesson_status", "incomplete");
  }
  call("LMSCommit", "Commit", "");
  statusEl.textContent = "Status: " + (version === "1.2" ? call("LMSGetValue", "GetValue", "cmi.core.lesson_status")
                                                           : call("LMSGetValue", "GetValue", "cmi.completion_status"));
  document.getElementById("finish").addEventListener("click", function () {
    if (version === "1.2") {
      call("LMSSetValue", "SetValue", "cmi.core.lesson_status", "completed");
      call("LMSSetValue", "SetValue", "cmi.core.score.raw", "100");
      call("LMSSetValue", "SetValue", "cmi.core.exit", "suspend");
    } else {
      call("LMSSetValue", "SetValue", "cmi.completion_status", "completed");
      call("LMSSetValue", "SetValue", "cmi.success_status", "passed");
      call("LMSSetValue", "SetValue", "cmi.score.scaled", "1");
      call("LMSSetValue", "SetValue", "cmi.exit", "suspend");
    }
    call("LMSCommit", "Commit", "");
    call("LMSFinish", "Terminate", "");
    statusEl.textContent = "Status: completed";
    statusEl.setAttribute("data-finished", "true");
  });
})();
"""

STYLE = """body { font: 16px/1.5 system-ui, sans-serif; margin: 0; background: #f4f7ff; color: #1d2330; }
main { max-width: 640px; margin: 32px auto; background: #fff; border-radius: 12px; padding: 24px 28px;
  box-shadow: 0 2px 10px rgba(0, 0, 0, .08); }
h1 { margin-top: 0; font-size: 1.4rem; }
#visits { font-weight: 600; color: #2456d6; }
button { font: inherit; padding: 10px 18px; border: 0; border-radius: 6px; background: #16794a; color: #fff; }
"""


def scorm_package_files(
    *,
    version: str = ScormVersion.SCORM_12,
    title: str = "Sample SCORM lesson",
    intro: str = "A short interactive lesson.",
) -> dict[str, bytes]:
    """The files of a minimal package: a manifest, a launch page, its script and style sheet."""
    manifest = MANIFEST_2004 if version == ScormVersion.SCORM_2004 else MANIFEST_12
    return {
        "imsmanifest.xml": manifest.format(ident=f"smoothlms-sample-{version}", title=title).encode(),
        "content/index.html": PAGE.format(title=title, intro=intro, version=version).encode(),
        "content/sco.js": SCRIPT.encode(),
        "content/style.css": STYLE.encode(),
    }


def zip_bytes(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def scorm_package_upload(
    *, version: str = ScormVersion.SCORM_12, title: str = "Sample SCORM lesson", name: str = ""
) -> SimpleUploadedFile:
    data = zip_bytes(scorm_package_files(version=version, title=title))
    filename = name or f"sample-scorm-{version.replace('.', '')}.zip"
    return SimpleUploadedFile(filename, data, content_type="application/zip")


# Sample courses ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class LessonSpec:
    title: str
    kind: str
    body: str = ""
    url: str = ""


SAMPLE_OUTLINES: dict[str, list[tuple[str, list[LessonSpec]]]] = {
    "welcome": [
        (
            "Getting started",
            [
                LessonSpec(
                    "How this course works",
                    LessonKind.TEXT,
                    "## Welcome\n\nWork through the lessons **in order**. Each one takes about ten minutes.\n\n"
                    "- Read or watch the lesson\n- Select *Mark as complete*\n- Move on with *Next*\n",
                ),
                LessonSpec(
                    "A word from the team",
                    LessonKind.VIDEO,
                    "Two minutes on why we train together.",
                    "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
                ),
            ],
        ),
        (
            "Working here",
            [
                LessonSpec(
                    "Our tools",
                    LessonKind.TEXT,
                    "| Tool | For |\n|---|---|\n| Mail | Talking to customers |\n| Chat | Talking to us |\n",
                ),
                LessonSpec("Safety walk-through", LessonKind.SCORM, "An interactive lesson: finish it to complete it."),
            ],
        ),
    ],
    "security": [
        (
            "Phishing",
            [
                LessonSpec(
                    "Spotting a phishing email",
                    LessonKind.TEXT,
                    "Look at the **sender**, the **links** and the **urgency**. When in doubt, report it.",
                ),
                LessonSpec(
                    "Report, don't reply",
                    LessonKind.TEXT,
                    "Use the *Report phishing* button in your mail client. Never reply or click.",
                ),
            ],
        ),
        (
            "Passwords",
            [
                LessonSpec("Pass phrases", LessonKind.TEXT, "Four random words beat `P@ssw0rd!` every time."),
                LessonSpec("Password managers", LessonKind.VIDEO, "", "https://vimeo.com/76979871"),
            ],
        ),
    ],
}


def build_sample_content(*, course: Course, outline: str, actor: User | None) -> list[Lesson]:
    """Give `course` the chapters and lessons of SAMPLE_OUTLINES[outline] (`welcome` has a SCORM 1.2
    lesson with a package made here). Returns the lessons in order. For an empty course; call it
    outside a transaction (each step is a service with its own)."""
    lessons = []
    for chapter_title, specs in SAMPLE_OUTLINES[outline]:
        chapter = services.create_chapter(course=course, title=chapter_title, actor=actor)
        for spec in specs:
            lesson = services.create_lesson(
                course=course,
                chapter=chapter,
                title=spec.title,
                kind=spec.kind,
                body=spec.body,
                url=spec.url,
                actor=actor,
            )
            if spec.kind == LessonKind.SCORM:
                lesson = services.attach_scorm_package(
                    lesson=lesson, upload=scorm_package_upload(title=spec.title), actor=actor
                )
            lessons.append(lesson)
    return lessons


def complete_first_lessons(*, member: User, lessons: list[Lesson], count: int, actor: User | None) -> int:
    """Complete the first `count` of `lessons` for `member` (the demo's learners part-way through);
    the member needs course access. Returns the course progress reached."""
    progress = 0
    for lesson in lessons[:count]:
        progress = services.complete_lesson(member=member, lesson=lesson, actor=actor).progress
    return progress
