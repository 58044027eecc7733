"""The inline markup allowed in paragraphs, parsed into styled text runs."""
from __future__ import annotations

import re
from html.parser import HTMLParser

from ..model import TextRun

# <lit> prints its text unchanged: it marks numbers typed on purpose (a document number, an ordinal, a
# date that is not data), which `whitepaper check` would otherwise report as numbers missing from data/
ALLOWED_TAGS = {"b", "strong", "i", "em", "sup", "sub", "a", "lit"}
ALLOWED_SCHEMES = ("http://", "https://", "mailto:")


class _MarkupError(Exception):
    def __init__(self, message: str, needle: str | None = None):
        super().__init__(message)
        self.needle = needle   # the source text to point at


class _RunParser(HTMLParser):
    """Parse the documented inline whitelist into runs; anything else is an error."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.runs: list[TextRun] = []
        self.stack: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        if tag not in ALLOWED_TAGS:
            raise _MarkupError(f"markup <{tag}> is not allowed; allowed: <b>, <i>, <sup>, <sub>, <a href=\"https://…\">, <lit>",
                               f"<{tag}")
        href = None
        if tag == "a":
            attrs = dict(attrs)
            href = attrs.get("href") or ""
            if not href.startswith(ALLOWED_SCHEMES) and not (href.startswith("#") and len(href) > 1):
                raise _MarkupError(f"link target {href!r} must start with http://, https://, mailto: "
                                   "or # (an id in this document)", href or "<a")
            if set(attrs) - {"href"}:
                raise _MarkupError("<a> takes only href", "<a")
        elif attrs:
            raise _MarkupError(f"<{tag}> takes no attributes", f"<{tag}")
        self.stack.append((tag, href))

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1][0] != tag:
            raise _MarkupError(f"unexpected </{tag}>", f"</{tag}")
        self.stack.pop()

    def handle_data(self, data):
        tags = {t for t, _ in self.stack}
        link = next((h for t, h in reversed(self.stack) if t == "a"), None)
        self.runs.append(TextRun(data, bold=bool(tags & {"b", "strong"}), italic=bool(tags & {"i", "em"}),
                                 sup="sup" in tags, sub="sub" in tags, link=link))

    def handle_comment(self, data):
        raise _MarkupError("comments are not allowed in text")

    def unknown_decl(self, data):
        # <![CDATA[…]]>: HTMLParser would drop its text without a word
        raise _MarkupError("<![CDATA[…]]> sections are not allowed in text; write the text itself "
                           "(&lt; and &amp; for < and &)", "<![")

    def handle_decl(self, decl):
        raise _MarkupError("declarations are not allowed in text")

    def handle_pi(self, data):
        raise _MarkupError("processing instructions are not allowed in text")


# the markers of ref() and footnote() (pipeline.resolve.references) count as Chinese: a folded line
# break beside them is dropped like one between two Chinese characters
_CJK = r"\ue000-\ue006\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f\u201c-\u201d\u2018-\u2019\u2014\u2026"
# Only the white space YAML folding and indentation make: an ideographic space (U+3000) or a
# no-break space in the text is meant, and kept.
_FOLDABLE_SPACE = "[ \t\r\n]"
_SPACE_BETWEEN_CJK = re.compile(rf"(?<=[{_CJK}]){_FOLDABLE_SPACE}+(?=[{_CJK}])")


def normalize_text(text: str) -> str:
    """Collapse white space; drop the spaces YAML folding puts between Chinese characters."""
    text = re.sub(rf"{_FOLDABLE_SPACE}+", " ", text).strip(" ")
    return _SPACE_BETWEEN_CJK.sub("", text)


def parse_runs(text: str) -> tuple[TextRun, ...]:
    parser = _RunParser()
    parser.feed(text)
    parser.close()
    if parser.stack:
        raise _MarkupError(f"<{parser.stack[-1][0]}> is never closed", f"<{parser.stack[-1][0]}")
    merged: list[TextRun] = []
    for run in parser.runs:
        if merged and (merged[-1].bold, merged[-1].italic, merged[-1].sup, merged[-1].sub, merged[-1].link) == \
                (run.bold, run.italic, run.sup, run.sub, run.link):
            merged[-1] = TextRun(merged[-1].text + run.text, run.bold, run.italic, run.sup, run.sub, run.link)
        else:
            merged.append(run)
    return tuple(r for r in merged if r.text)
