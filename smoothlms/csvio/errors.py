"""File-level refusals of an import: the whole file is unusable and nothing is written."""

from __future__ import annotations

from smoothlms.core.errors import Invalid


class FileUnusable(Invalid):
    code = "file_unusable"
    message = "The file cannot be imported."


class EmptyFile(FileUnusable):
    code = "empty_file"
    message = "The file is empty: it has no header row."


class NotUtf8(FileUnusable):
    code = "file_not_utf8"
    message = (
        "The file is not UTF-8 text: byte {byte} on line {line} is not valid UTF-8 (the file was "
        'probably saved as Windows-1252 or Latin-1). Save it as "CSV UTF-8" and import it again.'
    )


class UnsupportedFile(FileUnusable):
    code = "unsupported_file"
    message = "{detail} Use a CSV file (UTF-8) or an Excel workbook (.xlsx)."


class UnreadableFile(FileUnusable):
    code = "file_unreadable"
    message = "The file could not be read: {detail}"


class FileTooLarge(FileUnusable):
    code = "file_too_large"
    message = "The file is {size_mb} MB; imports take at most {limit_mb} MB. Split it into smaller files."


class MissingColumn(FileUnusable):
    code = "missing_column"
    message = "The file has no {column} column: add a header named {names}.{hint}"


class DuplicateColumn(FileUnusable):
    code = "duplicate_column"
    message = "The file has the {column} column twice (headers {headers}): keep one."


class TooLargeToRead(FileUnusable):
    """Past one of the reading caps (rows, cells, header width, unpacked size): refused before the
    file can use much memory or time. The code stays `file_unusable` (CONTRACT.md section 10)."""

    message = "The file cannot be imported: {detail} Split it into smaller files, or remove the extra cells."
