"""SCORM package uploads: good packages extract; hostile ones are refused with their reason and
write nothing outside the lesson's folder (nor change the lesson)."""

from __future__ import annotations

import io
import os
import stat
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from smoothlms.catalog.models import Lesson, LessonKind, ScormVersion
from smoothlms.learning import scorm, services
from smoothlms.learning.errors import NotAScormLesson, ScormPackageInvalid
from smoothlms.learning.samples import scorm_package_files, scorm_package_upload, zip_bytes
from smoothlms.learning.tests.factories import LessonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def lesson():
    return LessonFactory(kind=LessonKind.SCORM, position=1)


def upload(data: bytes, name: str = "package.zip") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/zip")


def everything_under(root: Path) -> set[str]:
    return {str(path.relative_to(root)) for path in root.rglob("*")} if root.exists() else set()


def lesson_dir(lesson: Lesson) -> Path:
    return scorm.package_dir(course_name=lesson.chapter.course.name, lesson_id=lesson.pk)


@pytest.mark.parametrize("version", [ScormVersion.SCORM_12, ScormVersion.SCORM_2004])
def test_a_package_is_extracted_with_its_version_and_launch_file(lesson, version, settings):
    saved = services.attach_scorm_package(lesson=lesson, upload=scorm_package_upload(version=version), actor=None)
    saved.refresh_from_db()
    assert (saved.scorm_version, saved.scorm_launch) == (version, "content/index.html")
    folder = lesson_dir(lesson)
    assert (folder / "content" / "index.html").is_file() and (folder / "imsmanifest.xml").is_file()
    # Nothing else is left beside it: no staging folder, no copy of the upload.
    assert everything_under(folder.parent) == {str(lesson.pk)} | {f"{lesson.pk}/{p}" for p in everything_under(folder)}


def test_a_new_package_replaces_the_old_files(lesson):
    services.attach_scorm_package(lesson=lesson, upload=scorm_package_upload(), actor=None)
    files = scorm_package_files()
    files.pop("content/style.css")
    files["content/extra.html"] = b"<p>new</p>"
    services.attach_scorm_package(lesson=lesson, upload=upload(zip_bytes(files)), actor=None)
    assert not (lesson_dir(lesson) / "content" / "style.css").exists()
    assert (lesson_dir(lesson) / "content" / "extra.html").read_bytes() == b"<p>new</p>"


def test_the_launch_file_follows_the_default_organisation_and_xml_base(lesson):
    files = scorm_package_files()
    files["imsmanifest.xml"] = b"""<?xml version="1.0"?>
<manifest identifier="m" xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"
          xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <organizations default="b">
    <organization identifier="a"><item identifier="i1" identifierref="r1"/></organization>
    <organization identifier="b"><item identifier="i2" identifierref="r2" parameters="?start=1"/></organization>
  </organizations>
  <resources xml:base="content/">
    <resource identifier="r1" adlcp:scormtype="sco" href="style.css"/>
    <resource identifier="r2" adlcp:scormtype="sco" href="index.html"/>
  </resources>
</manifest>"""
    saved = services.attach_scorm_package(lesson=lesson, upload=upload(zip_bytes(files)), actor=None)
    assert saved.scorm_launch == "content/index.html?start=1"
    assert saved.scorm_version == ScormVersion.SCORM_12


def _zip_with(entries: list[tuple[zipfile.ZipInfo | str, bytes]], *, base: dict[str, bytes] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in (base if base is not None else scorm_package_files()).items():
            archive.writestr(name, data)
        for info, data in entries:
            archive.writestr(info, data)
    return buffer.getvalue()


def _symlink(name: str, target: str) -> tuple[zipfile.ZipInfo, bytes]:
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info, target.encode()


def _bomb(settings) -> bytes:
    settings.SCORM_MAX_UNCOMPRESSED_MB = 5
    return _zip_with([("content/padding.bin", b"\0" * (6 * 1024 * 1024))])  # ~6 KB that expands to 6 MB


HOSTILE = {
    "zip-slip": (lambda s: _zip_with([("../../escaped.html", b"pwned")]), "points outside the package (..)"),
    "zip-slip-nested": (lambda s: _zip_with([("content/../../../escaped.html", b"pwned")]), "points outside"),
    "absolute-path": (lambda s: _zip_with([("/tmp/escaped.html", b"pwned")]), "is an absolute path"),
    "windows-drive": (lambda s: _zip_with([("C:\\escaped.html", b"pwned")]), "is an absolute path"),
    "symlink": (lambda s: _zip_with([_symlink("content/link", "/etc/passwd")]), "is a symbolic link"),
    "no-manifest": (lambda s: zip_bytes({"content/index.html": b"<p>hi</p>"}), "there is no imsmanifest.xml"),
    "zip-bomb": (_bomb, "it expands to 6 MB; at most 5 MB"),
    "not-a-zip": (lambda s: b"%PDF-1.4 not a zip at all", "it is not a zip archive"),
    "launch-missing": (
        lambda s: zip_bytes({"imsmanifest.xml": scorm_package_files()["imsmanifest.xml"]}),
        "the launch file content/index.html",
    ),
    "entities": (
        lambda s: zip_bytes(
            {
                **scorm_package_files(),
                "imsmanifest.xml": b'<?xml version="1.0"?><!DOCTYPE m [<!ENTITY a "aaaa">]><manifest/>',
            }
        ),
        "declares a DTD or entities",
    ),
    "broken-xml": (
        lambda s: zip_bytes({**scorm_package_files(), "imsmanifest.xml": b"<manifest><oops>"}),
        "is not well-formed XML",
    ),
    "no-resources": (
        lambda s: zip_bytes({**scorm_package_files(), "imsmanifest.xml": b"<manifest/>"}),
        "names no launch file",
    ),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_packages_are_refused_with_their_reason_and_write_nothing(lesson, settings, tmp_path, case):
    make, reason = HOSTILE[case]
    data = make(settings)
    watched = tmp_path  # MEDIA_ROOT is below it (conftest): an escape would land in here
    before = everything_under(watched)
    with pytest.raises(ScormPackageInvalid) as refused:
        services.attach_scorm_package(lesson=lesson, upload=upload(data), actor=None)
    assert refused.value.code == "scorm_package_invalid"
    assert reason in refused.value.user_message(), refused.value.user_message()
    assert refused.value.user_message().startswith("This SCORM package cannot be used: ")
    after = everything_under(watched)
    created = {path for path in after - before if not Path(watched / path).is_dir()}
    assert created == set(), created
    assert not Path("/tmp/escaped.html").exists()
    lesson.refresh_from_db()
    assert (lesson.scorm_launch, lesson.scorm_version) == ("", "")


def test_a_refused_package_keeps_the_previous_one(lesson):
    services.attach_scorm_package(lesson=lesson, upload=scorm_package_upload(), actor=None)
    with pytest.raises(ScormPackageInvalid):
        services.attach_scorm_package(lesson=lesson, upload=upload(_zip_with([("../x", b"")])), actor=None)
    lesson.refresh_from_db()
    assert lesson.scorm_launch == "content/index.html"
    assert (lesson_dir(lesson) / "content" / "index.html").is_file()


def test_a_package_over_the_size_cap_is_refused_while_it_is_copied(lesson, settings):
    settings.SCORM_MAX_MB = 1
    big = _zip_with([], base={**scorm_package_files(), "content/video.bin": os.urandom(2 * 1024 * 1024)})
    with pytest.raises(ScormPackageInvalid) as refused:
        services.attach_scorm_package(lesson=lesson, upload=upload(big), actor=None)
    assert "larger than 1 MB (the SCORM_MAX_MB setting)" in refused.value.user_message()
    assert everything_under(lesson_dir(lesson).parent) == set()


def test_a_highly_compressible_package_past_the_ratio_is_refused(lesson, settings):
    settings.SCORM_MAX_RATIO = 50
    data = _zip_with([("content/padding.bin", b"\0" * (20 * 1024 * 1024))])
    with pytest.raises(ScormPackageInvalid) as refused:
        services.attach_scorm_package(lesson=lesson, upload=upload(data), actor=None)
    assert "times its size; at most 50 times" in refused.value.user_message()


def test_a_header_that_lies_about_sizes_cannot_write_more(lesson, settings):
    """A zip bomb whose headers claim a tiny size: extraction stops at the declared size (zipfile
    checks the CRC) instead of writing what the data really holds."""
    settings.SCORM_MAX_UNCOMPRESSED_MB = 5
    data = bytearray(_zip_with([("content/padding.bin", b"\0" * (6 * 1024 * 1024))]))
    # Patch the declared uncompressed size of padding.bin (local header and central directory) to 10 bytes.
    name = b"content/padding.bin"
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = 0
        while (index := data.find(signature, start)) != -1:
            name_at = index + (30 if signature == b"PK\x03\x04" else 46)
            if data[name_at : name_at + len(name)] == name:
                data[index + offset : index + offset + 4] = (10).to_bytes(4, "little")
            start = index + 4
    with pytest.raises(ScormPackageInvalid) as refused:
        services.attach_scorm_package(lesson=lesson, upload=upload(bytes(data)), actor=None)
    assert "damaged" in refused.value.user_message() or "expands" in refused.value.user_message()
    assert everything_under(lesson_dir(lesson).parent) == set()


def test_only_scorm_lessons_take_a_package(db):
    text = LessonFactory(kind=LessonKind.TEXT, position=1)
    with pytest.raises(NotAScormLesson):
        services.attach_scorm_package(lesson=text, upload=scorm_package_upload(), actor=None)
    assert everything_under(scorm.package_root()) == set()
