"""Lesson content for display: Markdown to sanitised HTML, and how a video URL is embedded.

Markdown is parsed by markdown-it-py (CommonMark, with tables and strikethrough; raw HTML in the
source is not passed through) and the HTML it makes is cleaned by nh3 (the Ammonia sanitiser)
with a fixed list of tags and attributes. No HTML is filtered by hand here."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from urllib.parse import parse_qs, urlsplit

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "del",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "th": {"style"},
    "td": {"style"},
    "code": {"class"},
    "ol": {"start"},
}


@cache
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
        ["table", "strikethrough"]
    )


def render_markdown(source: str) -> str:
    """Safe HTML for `source` (Markdown): safe to mark safe in a template."""
    html = _parser().render(source or "")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        filter_style_properties={"text-align"},
    )


@dataclass(frozen=True)
class VideoEmbed:
    kind: str  # "iframe" (YouTube, Vimeo), "video" (a file the browser plays), "link" (anything else)
    src: str


YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{6,20}$")
VIDEO_FILES = (".mp4", ".webm", ".ogg", ".ogv", ".m4v", ".mov")


def video_embed(url: str) -> VideoEmbed:
    """How the portal shows a video lesson's URL. Only http(s) URLs are embedded."""
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return VideoEmbed("link", "")
    host = parts.netloc.lower().split(":")[0].removeprefix("www.").removeprefix("m.")
    video_id = ""
    if host == "youtu.be":
        video_id = parts.path.strip("/")
    elif host in ("youtube.com", "youtube-nocookie.com"):
        if parts.path == "/watch":
            video_id = (parse_qs(parts.query).get("v") or [""])[0]
        elif parts.path.startswith(("/embed/", "/shorts/", "/live/")):
            video_id = parts.path.split("/")[2]
    if video_id and YOUTUBE_ID.match(video_id):
        return VideoEmbed("iframe", f"https://www.youtube-nocookie.com/embed/{video_id}")
    if host in ("vimeo.com", "player.vimeo.com"):
        number = next((part for part in parts.path.split("/") if part.isdigit()), "")
        if number:
            return VideoEmbed("iframe", f"https://player.vimeo.com/video/{number}")
    if parts.path.lower().endswith(VIDEO_FILES):
        return VideoEmbed("video", url)
    return VideoEmbed("link", url)
