"""A publication, not a print-out (issue 10): punctuation pairs, page fill, floats, tables and furniture,
measured on the built PDFs of the edition, every city excerpt and the bulletin.

Positions are read back with PyMuPDF; the mark lists and limits come from the typesetting rules
(clreq, GB/T 15834), not from the code under test.
"""
from __future__ import annotations

import pytest

from pdf_lines import pdf_lines

# full-width marks (GB/T 15834): closing marks have their ink in the left half, opening in the right
CLOSING = set("、，。．：；！？”’」』）〕］｝】〗》〉")
OPENING = set("“‘「『（〔［｛【〖《〈")
PAIR_LIMIT = 1.55      # em: two adjacent marks set as a pair take 1½ em (R5), with rounding to spare


def punctuation_pairs(pdf_path) -> list[tuple[float, str, int, str]]:
    """(advance in em, the two marks, page, line text) of every two adjacent full-width marks on a line.

    The pair's advance is the first mark's advance read back from the positions (origin to origin)
    plus the second mark's width: its glyph box, or less when the glyph after it starts sooner
    (a third mark); at a line end a closing mark counts ½ em. Justification may add space after
    the pair like after any character, so that gap is not counted."""
    out = []
    for line in pdf_lines(pdf_path):
        chars = line.visible
        for k in range(len(chars) - 1):
            a, b = chars[k], chars[k + 1]
            if a.c in CLOSING | OPENING and b.c in CLOSING | OPENING:
                if k + 2 < len(chars):
                    second = min(b.x1 - b.x0, chars[k + 2].x0 - b.x0)
                else:
                    second = (0.5 if b.c in CLOSING else 1.0) * b.size
                out.append(((b.x0 - a.x0 + second) / a.size, a.c + b.c, line.page + 1, line.text))
    return out


def _assert_pairs_set_tight(pdf_path, minimum: int):
    pairs = punctuation_pairs(pdf_path)
    assert len(pairs) >= minimum, f"expected at least {minimum} mark pairs in {pdf_path}"
    loose = [f"page {page}: {marks} takes {em:.2f} em in {text!r}" for em, marks, page, text in pairs
             if em > PAIR_LIMIT]
    assert not loose, "\n".join(loose)


def test_punctuation_pairs_in_the_edition_take_one_and_a_half_em(edition):
    # the edition's pairs: 》（ ）、 、《 ）》 ”， ”。 … in body text, tables and the copyright page
    _assert_pairs_set_tight(edition[0].pdf, minimum=15)


def test_punctuation_pairs_on_the_copyright_page(edition_pdf, edition):
    # （CSIP）、中国 on the copyright page is set like body text
    pairs = [p for p in punctuation_pairs(edition[0].pdf) if p[2] == 2]
    assert any(marks == "）、" for _, marks, _, _ in pairs)
    assert all(em <= PAIR_LIMIT for em, *_ in pairs)


def test_punctuation_pairs_in_every_city_excerpt(cities_build):
    _, outcomes = cities_build
    assert len(outcomes) == 20
    for outcome in outcomes.values():
        _assert_pairs_set_tight(outcome.pdf, minimum=3)


def test_punctuation_pairs_in_the_bulletin(bulletin):
    # the bulletin's copyright page has 》中 and ），: one pair at least
    _assert_pairs_set_tight(bulletin[0].pdf, minimum=1)
