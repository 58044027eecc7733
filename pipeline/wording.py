"""The words the pipeline itself puts on pages: cover, copyright page, front-matter titles, excerpt pages.

Every one can be set in the edition file under ``wording:`` (a Jinja2 template, like chapter text,
with ``edition`` and, in a city excerpt, ``city`` and ``designations``, the number the city holds);
the defaults below are today's look, in generic publishing terms: nothing here names a
publication, a year, a genre or a subject.
"""
from __future__ import annotations

WORDING: dict[str, tuple[str, str]] = {
    # key: (default, what it is)
    "cover_guidance": ("{{ edition.guidance }}\u3000指导", "the cover's line naming the guiding body (when there is one)"),
    "title_label": ("书\u3000\u3000名", "copyright page: label of the title"),
    "publisher_label": ("编写单位", "copyright page: label of the publishers"),
    "guidance_label": ("指导单位", "copyright page: label of the guiding body"),
    "edition_label": ("版\u3000\u3000次", "copyright page: label of the edition"),
    "edition_line": ("{{ edition.year }} 年版", "copyright page: the edition"),
    "notice_title": ("版权声明", "copyright page: title over the copyright text"),
    "contents": ("目录", "title of the table of contents"),
    "figures": ("图目录", "title of the list of figures"),
    "tables": ("表目录", "title of the list of tables"),
    "excerpt_tag": ("{{ city }}摘编", "a city excerpt: its name on the cover and in the running head"),
    "profile_title": ("{{ city }}", "a city excerpt: title of the city's profile page"),
    "profile_lead": ("", "a city excerpt: the sentence over the profile table"),
    "profile_lead_none": ("", "a city excerpt: the sentence when the city holds no designation"),
    "profile_table": ("{{ city }}", "a city excerpt: caption of the profile table"),
    "profile_source": ("{{ edition.publisher }}", "a city excerpt: the profile table's source"),
    "excerpt_note": ("", "a city excerpt: the note at the foot of the profile page"),
    "others_key": ("其他", "a city excerpt: the legend key of the grey bars of the other categories in a chart"),
}

LISTS = ("contents", "figures", "tables")
