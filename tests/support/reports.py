"""What every HTML report must be: balanced, self-contained, every figure embedded.
"""

from __future__ import annotations

import base64
import io
import re
from html.parser import HTMLParser

from PIL import Image

VOID = {"meta", "img", "br", "hr", "link", "input", "source"}


class Document(HTMLParser):
    """Tags, attributes and text of an HTML document; records unbalanced tags."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.open: list[str] = []
        self.problems: list[str] = []
        self.feed(text)
        self.close()
        if self.open:
            self.problems.append(f"unclosed: {self.open}")

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in VOID:
            self.open.append(tag)

    def handle_endtag(self, tag):
        if not self.open or self.open[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.open[-1:] or 'nothing'}")
        else:
            self.open.pop()

    def handle_data(self, data):
        self.text.append(data)

    def all(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag]


def assert_self_contained(text: str, figures: int) -> Document:
    """Parses as balanced HTML; every figure an embedded PNG; nothing fetched from elsewhere."""
    document = Document(text)
    assert text.startswith("<!DOCTYPE html>") and not document.problems, document.problems
    images = document.all("img")
    assert len(images) == figures
    for attrs in images:
        prefix = "data:image/png;base64,"
        assert attrs["src"].startswith(prefix) and attrs["alt"]
        with Image.open(io.BytesIO(base64.b64decode(attrs["src"][len(prefix):]))) as image:
            assert image.format == "PNG" and image.size[0] == 700
    for forbidden in ("script", "link", "iframe", "object", "embed"):
        assert not document.all(forbidden), f"<{forbidden}> in the report"
    for _, attrs in document.tags:
        for name, value in attrs.items():
            if name in ("src", "href", "srcset", "action", "data"):
                assert value.startswith(("data:", "#")), f"{name}={value!r} points elsewhere"
    assert not re.search(r"https?://", text), "a URL in the report"
    assert "url(" not in text and "@import" not in text
    return document
