"""SCORM 1.2 and 2004 packages: checking an uploaded zip and extracting it under the media root,
and reading the runtime's CMI values (completion, score, what to restore on the next launch).

A package is refused (ScormPackageInvalid, naming the reason) unless it is a zip of at most
SCORM_MAX_MB, with no absolute or `..` paths, no links or special files, no encrypted entries, an
`imsmanifest.xml` at its root whose resources name a launch file that is in the package, and an
uncompressed size within SCORM_MAX_UNCOMPRESSED_MB and SCORM_MAX_RATIO times the zip's size (zip
bombs). The upload is copied to disk in chunks and read from there; it is extracted into a fresh
folder beside the destination, which replaces the destination only once every file is written, so a
refused or broken package leaves the lesson's previous files as they were and nothing elsewhere.
"""

from __future__ import annotations

import re
import shutil
import stat
import uuid
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path, PurePosixPath
from typing import IO, Any
from xml.etree import ElementTree

from django.conf import settings

from smoothlms.catalog.models import ScormVersion
from smoothlms.learning.errors import ScormDataInvalid, ScormPackageInvalid

MB = 1024 * 1024
MANIFEST = "imsmanifest.xml"
MANIFEST_MAX_BYTES = 10 * MB
CHUNK = 1024 * 1024
# Below this uncompressed size the ratio is not checked: small text files compress very well.
RATIO_FLOOR = 10 * MB
XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:")


@dataclass(frozen=True)
class Package:
    version: str  # ScormVersion value
    launch: str  # relative path inside the package, with the query the manifest gives, if any
    files: int
    size: int  # uncompressed bytes


def package_root() -> Path:
    return Path(settings.MEDIA_ROOT) / "scorm"


def package_dir(*, course_name: str, lesson_id: int) -> Path:
    return package_root() / course_name / str(lesson_id)


def _refuse(reason: str) -> ScormPackageInvalid:
    return ScormPackageInvalid(reason=reason)


# Installing ----------------------------------------------------------------------------------


def install_package(upload: IO[bytes] | Any, *, destination: Path) -> Package:
    """Check `upload` (a file object or Django UploadedFile) and extract it into `destination`."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    token = uuid.uuid4().hex
    archive = destination.parent / f".incoming-{token}.zip"
    staging = destination.parent / f".staging-{destination.name}-{token}"
    try:
        _copy_upload(upload, archive)
        package = _extract(archive, staging)
        _swap(staging, destination)
        return package
    finally:
        archive.unlink(missing_ok=True)
        shutil.rmtree(staging, ignore_errors=True)


def _copy_upload(upload: Any, target: Path) -> None:
    """Write the upload to `target` in chunks, stopping as soon as it passes the size cap."""
    limit = settings.SCORM_MAX_MB * MB
    chunks: Iterable[bytes] = (
        upload.chunks(CHUNK) if hasattr(upload, "chunks") else iter(lambda: upload.read(CHUNK), b"")
    )
    written = 0
    with target.open("wb") as out:
        for chunk in chunks:
            written += len(chunk)
            if written > limit:
                raise _refuse(f"it is larger than {settings.SCORM_MAX_MB} MB (the SCORM_MAX_MB setting).")
            out.write(chunk)
    if written == 0:
        raise _refuse("the file is empty.")


def _extract(archive: Path, staging: Path) -> Package:
    if not zipfile.is_zipfile(archive):
        raise _refuse("it is not a zip archive.")
    try:
        with zipfile.ZipFile(archive) as package:
            entries = _checked_entries(package.infolist(), archive_size=archive.stat().st_size)
            version, launch = _read_manifest(package, entries)
            staging.mkdir()
            size = _write_entries(package, entries, staging)
    except zipfile.BadZipFile as exc:
        raise _refuse(f"the zip archive is damaged ({exc}).") from None
    return Package(
        version=version, launch=launch, files=sum(1 for info in entries.values() if not info.is_dir()), size=size
    )


def safe_member_name(info: zipfile.ZipInfo) -> str:
    """The entry's path inside the package, or a refusal naming why it cannot be extracted."""
    raw = info.filename
    name = raw.replace("\\", "/")
    if name.startswith("/") or WINDOWS_DRIVE.match(name):
        raise _refuse(f"{raw} is an absolute path.")
    parts = [part for part in name.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise _refuse(f"{raw} points outside the package (..).")
    if any("\x00" in part for part in parts):
        raise _refuse(f"{raw!r} has a NUL character in its name.")
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        raise _refuse(f"{raw} is a symbolic link.")
    if stat.S_IFMT(mode) and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        raise _refuse(f"{raw} is not a regular file.")
    if info.flag_bits & 0x1:
        raise _refuse(f"{raw} is encrypted.")
    return "/".join(parts)


def _checked_entries(infos: list[zipfile.ZipInfo], *, archive_size: int) -> dict[str, zipfile.ZipInfo]:
    if len(infos) > settings.SCORM_MAX_FILES:
        raise _refuse(f"it has {len(infos)} entries; at most {settings.SCORM_MAX_FILES} are accepted.")
    entries: dict[str, zipfile.ZipInfo] = {}
    seen: set[str] = set()
    total = 0
    for info in infos:
        name = safe_member_name(info)
        if not name:
            continue
        if name.casefold() in seen and not info.is_dir():
            raise _refuse(f"{info.filename} appears twice.")
        seen.add(name.casefold())
        entries[name] = info
        total += info.file_size
    cap = settings.SCORM_MAX_UNCOMPRESSED_MB * MB
    if total > cap:
        raise _refuse(
            f"it expands to {total // MB} MB; at most {settings.SCORM_MAX_UNCOMPRESSED_MB} MB "
            "are accepted (the SCORM_MAX_UNCOMPRESSED_MB setting)."
        )
    if total > RATIO_FLOOR and total > settings.SCORM_MAX_RATIO * max(archive_size, 1):
        raise _refuse(
            f"it expands {total // max(archive_size, 1)} times its size; at most "
            f"{settings.SCORM_MAX_RATIO} times is accepted (a zip bomb?)."
        )
    return entries


def _write_entries(package: zipfile.ZipFile, entries: dict[str, zipfile.ZipInfo], staging: Path) -> int:
    """Write each entry below `staging`, counting real bytes: a header that understates an entry's
    size does not let it write more (zipfile also stops at the declared size and checks the CRC)."""
    root = staging.resolve()
    cap = settings.SCORM_MAX_UNCOMPRESSED_MB * MB
    written = 0
    for name, info in entries.items():
        target = (root / name).resolve()
        if root not in target.parents:
            raise _refuse(f"{info.filename} points outside the package.")
        if info.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        with package.open(info) as source, target.open("xb") as out:
            while chunk := source.read(CHUNK):
                written += len(chunk)
                if written > cap:
                    raise _refuse(
                        f"it expands past {settings.SCORM_MAX_UNCOMPRESSED_MB} MB "
                        "(the SCORM_MAX_UNCOMPRESSED_MB setting)."
                    )
                out.write(chunk)
    return written


def _swap(staging: Path, destination: Path) -> None:
    """Put the new files in place of the old ones with renames (no half-replaced folder is served)."""
    old = destination.parent / f".old-{destination.name}-{uuid.uuid4().hex}"
    if destination.exists():
        destination.rename(old)
    staging.rename(destination)
    shutil.rmtree(old, ignore_errors=True)


def remove_package(*, destination: Path) -> None:
    shutil.rmtree(destination, ignore_errors=True)


# The manifest ----------------------------------------------------------------------------------


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _attribute(element: ElementTree.Element, name: str) -> str:
    """An attribute by local name, whatever its namespace (adlcp:scormtype, adlcp:scormType)."""
    for key, value in element.attrib.items():
        if _local(key).casefold() == name.casefold():
            return value.strip()
    return ""


def _read_manifest(package: zipfile.ZipFile, entries: dict[str, zipfile.ZipInfo]) -> tuple[str, str]:
    manifest = next((info for name, info in entries.items() if name.casefold() == MANIFEST), None)
    if manifest is None:
        raise _refuse(f"there is no {MANIFEST} at the root of the package.")
    if manifest.file_size > MANIFEST_MAX_BYTES:
        raise _refuse(f"{MANIFEST} is larger than {MANIFEST_MAX_BYTES // MB} MB.")
    raw = package.read(manifest)
    if b"<!DOCTYPE" in raw or b"<!ENTITY" in raw:
        raise _refuse(f"{MANIFEST} declares a DTD or entities, which are not accepted.")
    try:
        root = ElementTree.fromstring(raw)
    except ElementTree.ParseError as exc:
        raise _refuse(f"{MANIFEST} is not well-formed XML ({exc}).") from None
    if _local(root.tag) != "manifest":
        raise _refuse(f"{MANIFEST} is not an IMS manifest (its root element is {_local(root.tag)}).")
    launch = _launch_path(root)
    if not launch:
        raise _refuse(f"{MANIFEST} names no launch file (a resource with an href).")
    path = PurePosixPath(launch.split("?", 1)[0].split("#", 1)[0]).as_posix()
    if path not in entries or entries[path].is_dir():
        raise _refuse(f"the launch file {path} named in {MANIFEST} is not in the package.")
    return _version(root), launch


def _version(root: ElementTree.Element) -> str:
    for element in root.iter():
        if _local(element.tag) == "schemaversion" and element.text:
            text = element.text.strip()
            if "2004" in text or "1.3" in text:
                return ScormVersion.SCORM_2004
            if text == "1.2":
                return ScormVersion.SCORM_12
    namespaces = " ".join(str(key) for element in root.iter() for key in (element.tag, *element.attrib))
    return ScormVersion.SCORM_2004 if "adlcp_v1p3" in namespaces else ScormVersion.SCORM_12


def _joined(*parts: str) -> str:
    """xml:base values and an href joined, as a path relative to the package root."""
    path = ""
    for part in parts:
        if not part:
            continue
        path = part if not path else path.rstrip("/") + "/" + part.lstrip("/")
    if re.match(r"^[a-z][a-z0-9+.-]*:", path, re.IGNORECASE) or path.startswith(("/", "\\")):
        raise _refuse(f"the launch file {path} is not inside the package.")
    parts_out = [p for p in path.replace("\\", "/").split("/") if p not in ("", ".")]
    if ".." in parts_out:
        raise _refuse(f"the launch file {path} points outside the package (..).")
    return "/".join(parts_out)


def _launch_path(root: ElementTree.Element) -> str:
    """The default organisation's first item with a resource that has an href; else the first SCO
    resource with an href; else the first resource with an href."""
    resources_base = ""
    resources: dict[str, tuple[str, str]] = {}  # identifier -> (path, scorm type)
    ordered: list[tuple[str, str]] = []
    for element in root.iter():
        if _local(element.tag) == "resources":
            resources_base = element.get(XML_BASE, "")
        if _local(element.tag) == "resource" and _attribute(element, "href"):
            path = _joined(
                root.get(XML_BASE, ""), resources_base, element.get(XML_BASE, ""), _attribute(element, "href")
            )
            kind = _attribute(element, "scormtype").casefold()
            resources[_attribute(element, "identifier")] = (path, kind)
            ordered.append((path, kind))
    for item in _items_in_order(root):
        reference = _attribute(item, "identifierref")
        if reference in resources:
            return resources[reference][0] + _attribute(item, "parameters")
    for path, kind in ordered:
        if kind == "sco":
            return path
    return ordered[0][0] if ordered else ""


def _items_in_order(root: ElementTree.Element) -> list[ElementTree.Element]:
    organizations = next((el for el in root if _local(el.tag) == "organizations"), None)
    if organizations is None:
        return []
    choices = [el for el in organizations if _local(el.tag) == "organization"]
    default = _attribute(organizations, "default")
    chosen = next((el for el in choices if _attribute(el, "identifier") == default), choices[0] if choices else None)
    if chosen is None:
        return []
    return [el for el in chosen.iter() if _local(el.tag) == "item"]


# Runtime data ---------------------------------------------------------------------------------

MAX_KEYS = 5000
MAX_KEY_LENGTH = 255
MAX_VALUE_LENGTH = 65536
KEY = re.compile(r"^(cmi|adl)\.[A-Za-z0-9_.]+$")

RESTORED = {
    ScormVersion.SCORM_12: (
        "cmi.suspend_data",
        "cmi.core.lesson_location",
        "cmi.core.lesson_status",
        "cmi.core.score.raw",
        "cmi.core.score.min",
        "cmi.core.score.max",
    ),
    ScormVersion.SCORM_2004: (
        "cmi.suspend_data",
        "cmi.location",
        "cmi.completion_status",
        "cmi.success_status",
        "cmi.score.raw",
        "cmi.score.min",
        "cmi.score.max",
        "cmi.score.scaled",
        "cmi.progress_measure",
    ),
}


def clean_runtime_data(cmi: Any) -> dict[str, str]:
    """The committed CMI values as {"cmi.…": text}, or ScormDataInvalid naming what is wrong."""
    if not isinstance(cmi, dict):
        raise ScormDataInvalid(detail="`cmi` must be an object of CMI element names and values.", fields=["cmi"])
    if len(cmi) > MAX_KEYS:
        raise ScormDataInvalid(detail=f"at most {MAX_KEYS} CMI values are accepted.", fields=["cmi"])
    cleaned: dict[str, str] = {}
    for key, value in cmi.items():
        if not isinstance(key, str) or len(key) > MAX_KEY_LENGTH or not KEY.match(key):
            raise ScormDataInvalid(detail=f"{str(key)[:80]!r} is not a CMI element name.", fields=["cmi"])
        if isinstance(value, dict | list) and not value:
            continue  # an empty collection (no interactions yet), as some runtimes send it
        if isinstance(value, dict | list):
            raise ScormDataInvalid(detail=f"{key} must be a text, number or boolean.", fields=["cmi"])
        text = "" if value is None else ("true" if value is True else "false" if value is False else str(value))
        if len(text) > MAX_VALUE_LENGTH or "\x00" in text:
            raise ScormDataInvalid(
                detail=f"{key} is longer than {MAX_VALUE_LENGTH} characters or has NUL.", fields=["cmi"]
            )
        cleaned[key] = text
    return cleaned


def reports_completion(version: str, cmi: dict[str, str]) -> bool:
    """SCORM 1.2: cmi.core.lesson_status completed or passed. 2004: cmi.completion_status
    completed, or cmi.success_status passed."""
    if version == ScormVersion.SCORM_2004:
        return cmi.get("cmi.completion_status") == "completed" or cmi.get("cmi.success_status") == "passed"
    return cmi.get("cmi.core.lesson_status") in ("completed", "passed")


def score_of(version: str, cmi: dict[str, str]) -> Decimal | None:
    """The score as a percentage where the package gives one (2004's scaled score, else the raw one)."""
    candidates = ["cmi.core.score.raw"] if version == ScormVersion.SCORM_12 else ["cmi.score.scaled", "cmi.score.raw"]
    for key in candidates:
        raw = cmi.get(key, "")
        if not raw:
            continue
        try:
            value = Decimal(raw) * (100 if key == "cmi.score.scaled" else 1)
        except InvalidOperation:
            continue
        if value.is_finite() and abs(value) < Decimal("100000"):
            return value.quantize(Decimal("0.01"))
    return None


def launch_values(version: str, saved: dict[str, str], *, learner_id: str, learner_name: str) -> dict[str, str]:
    """What the runtime is loaded with before the package starts: who the learner is and, when the
    learner has been here before, where they were (suspend data, location, status, score)."""
    if version == ScormVersion.SCORM_2004:
        values = {
            "cmi.learner_id": learner_id,
            "cmi.learner_name": learner_name,
            "cmi.entry": "resume" if saved else "ab-initio",
        }
    else:
        values = {
            "cmi.core.student_id": learner_id,
            "cmi.core.student_name": learner_name,
            "cmi.core.entry": "resume" if saved else "ab-initio",
        }
    values.update({key: saved[key] for key in RESTORED[version] if saved.get(key)})
    return values
