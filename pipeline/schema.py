"""JSON Schemas for the edition file, chapter files and the data dictionary.

The schemas are the documentation: every property has a description, and
``whitepaper schema`` writes them to ``docs/schema/`` (a test keeps those
files in step with this module).
"""
from __future__ import annotations

from .wording import LISTS, WORDING

CHART_KINDS = ["pie", "bar", "grouped_bar", "stacked_bar", "barh", "timeline", "line"]
TABLE_VIEWS = ["city_matrix"]
EXCERPT_CHAPTER = ["full", "city", "none"]
EXCERPT_BLOCK = ["always", "city", "never"]

_text = {"type": "string", "minLength": 1}
_where = {
    "type": "object",
    "description": "Row filter: column name → a value or a list of values.",
    "additionalProperties": {"type": ["string", "integer", "number", "array"]},
}
_id = {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]*$",
       "description": "Unique id (lower-case, digits, -)."}
_note = {"anyOf": [_text, {"type": "array", "minItems": 1, "items": _text}],
         "description": "注： under the 资料来源 line, in the caption's style; a list gives numbered notes "
                        "(1. 2.). May use {{ }} templates."}
_width = {"type": "string", "pattern": r"^[0-9]+(\.[0-9]+)?(mm|%)$",
          "description": "Printed width: millimetres ('60mm') or a share of the text width ('50%')."}
_excerpt_block = {
    "enum": EXCERPT_BLOCK,
    "description": "In a per-city excerpt: 'always' keep, 'never' drop, 'city' keep only what concerns the "
                   "city (a paragraph that names it; a table filtered to its rows; a chart with it highlighted). "
                   "Default: the chapter's setting.",
}

FIGURE = {
    "type": "object",
    "description": "A chart drawn from one data table.",
    "required": ["id", "title", "chart", "table", "x"],
    "additionalProperties": False,
    "properties": {
        "id": _id,
        "title": {**_text, "description": "Caption after 图 N-M; may use {{ }} templates."},
        "chart": {"enum": CHART_KINDS, "description": "Chart type."},
        "table": {**_text, "description": "A table declared in data/tables.yaml."},
        "where": _where,
        "x": {**_text, "description": "Category column."},
        "y": {**_text, "description": "Value column, or 'count' (the default) to count rows per category."},
        "series": {"type": "string", "description": "Column whose values split the data into series."},
        "label": {"type": "string", "description": "Text column shown beside each point (timeline)."},
        "labels": {"type": "object", "additionalProperties": {"type": "string"},
                   "description": "Display names for category/series values."},
        "unit": {"type": "string", "description": "Unit shown on the value axis (default: the value column's)."},
        "total": {"anyOf": [_where, _text],
                  "description": "The stated total, shown instead of the sum of the parts (pie centre, stacked "
                                 "bar totals): a row filter of the row holding it (a 合计 row), or the name of a "
                                 "total column. Default: a row whose part column says total or 合计."},
        "source": {"type": "string", "description": "资料来源 line under the figure."},
        "note": _note,
        "excerpt": _excerpt_block,
    },
}

IMAGE = {
    "type": "object",
    "description": "A picture from a file (PNG, JPEG or SVG), numbered 图 N-M with the charts and listed in 图目录.",
    "required": ["id", "file", "title"],
    "additionalProperties": False,
    "properties": {
        "id": _id,
        "file": {"type": "string", "pattern": r"^[^\\]+\.(png|PNG|jpe?g|JPE?G|svg|SVG)$",
                 "description": "The image file, relative to the project folder (e.g. images/flow.png)."},
        "title": {**_text, "description": "Caption after 图 N-M; may use {{ }} templates."},
        "width": {**_width, "description": _width["description"] + " Default: the image's own size "
                                                                    "(its DPI, else 96 dpi), at most the text width."},
        "source": {"type": "string", "description": "资料来源 line under the image."},
        "note": _note,
        "excerpt": _excerpt_block,
    },
}

LIST = {
    "type": "object",
    "description": "A list; each item is set like a paragraph, with a hanging indent under its mark.",
    "required": ["items"],
    "additionalProperties": False,
    "properties": {
        "style": {"enum": ["bullet", "number", "paren"],
                  "description": "bullet (•, the default), number (1. 2. …) or paren (（1）（2）…)."},
        "items": {"type": "array", "minItems": 1, "items": _text,
                  "description": "The items: text with inline markup and {{ }} templates, like a paragraph."},
        "excerpt": _excerpt_block,
    },
}

TABLE = {
    "type": "object",
    "description": "A table typeset from one data table.",
    "required": ["id", "title", "table", "columns"],
    "additionalProperties": False,
    "properties": {
        "id": _id,
        "title": {**_text, "description": "Caption after 表 N-M; may use {{ }} templates."},
        "table": {**_text, "description": "A table declared in data/tables.yaml."},
        "view": {"enum": TABLE_VIEWS, "description": "A reshaping: city_matrix = one row per city, one column per designation."},
        "columns": {"type": "object", "additionalProperties": {"type": "string"}, "minProperties": 1,
                    "description": "Columns to show, in order: column → header text."},
        "computed": {"type": "object", "description": "Columns computed from others (also listed in columns): "
                                                       "{share_of: col} each row's share of the total (the 合计 row, "
                                                       "or the sum), {growth_of: col} growth over the previous row.",
                     "additionalProperties": {"oneOf": [
                         {"type": "object", "required": ["share_of"], "additionalProperties": False,
                          "properties": {"share_of": _text}},
                         {"type": "object", "required": ["growth_of"], "additionalProperties": False,
                          "properties": {"growth_of": _text}}]}},
        "labels": {"type": "object", "additionalProperties": {"type": "string"},
                   "description": "Display names for cell values (default: total → 合计)."},
        "where": _where,
        "unit": {"type": ["string", "null"], "description": "单位 line above the table."},
        "source": {"type": "string", "description": "资料来源 line under the table."},
        "note": _note,
        "excerpt": _excerpt_block,
    },
}

PARAGRAPH_OBJECT = {
    "type": "object",
    "required": ["text"],
    "additionalProperties": False,
    "properties": {"text": _text, "excerpt": _excerpt_block},
}

HEADING = {
    "type": "object",
    "required": ["title"],
    "additionalProperties": False,
    "properties": {"title": _text, "level": {"enum": [2, 3], "description": "2 → （一）, 3 → 1."},
                   "id": _id, "excerpt": _excerpt_block},
}

BLOCK = {
    "type": "object",
    "description": "Exactly one of paragraph, heading, list, figure, image, table.",
    "minProperties": 1,
    "maxProperties": 1,
    "additionalProperties": False,
    "properties": {
        "paragraph": {"anyOf": [_text, PARAGRAPH_OBJECT],
                      "description": "Body text (a Jinja2 template); allowed markup: <b> <i> <sup> <sub> <a href>; "
                                     "ref('id') and footnote('…') in templates."},
        "heading": HEADING,
        "list": LIST,
        "figure": FIGURE,
        "image": IMAGE,
        "table": TABLE,
    },
}

CHAPTER = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Chapter",
    "type": "object",
    "required": ["number", "title", "blocks"],
    "additionalProperties": False,
    "properties": {
        "number": {"type": "integer", "minimum": 0, "maximum": 99,
                   "description": "0 for the preface (前言); 1, 2, … print as 一、二、…"},
        "title": _text,
        "id": {**_id, "description": "Id for ref('id'), which prints the chapter's number (第二章)."},
        "excerpt_refs": {"enum": ["plain", "error"],
                         "description": "In a per-city excerpt, a ref() to a block the excerpt leaves out: 'plain' "
                                        "(default) prints the full edition's number without a link, 'error' "
                                        "stops the build."},
        "excerpt": {"enum": EXCERPT_CHAPTER,
                    "description": "In a per-city excerpt: 'full' keeps the chapter (national context), 'city' keeps "
                                   "only blocks about the city, 'none' drops it. Default 'city'."},
        "blocks": {"type": "array", "minItems": 1, "items": BLOCK},
    },
}

EDITION = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Edition",
    "type": "object",
    "required": ["title", "short_title", "year", "publisher", "chapters"],
    "additionalProperties": False,
    "properties": {
        "title": {**_text, "description": "Full title on the cover and in the PDF metadata."},
        "short_title": {**_text, "description": "Running header text."},
        "subtitle": {"type": "string"},
        "cover_title": {"type": "array", "minItems": 1, "items": _text,
                        "description": "The title as it breaks on the cover, one item a line "
                                       "(default: broken by the line breaker)."},
        "kinsoku": {"enum": ["basic", "strict"],
                    "description": "Line-breaking prohibitions (clreq): 'basic' (default), or 'strict', "
                                   "which also keeps — ⸺ … ⋯ from starting a line."},
        "chapter_start": {"enum": ["run-on", "new page", "odd page"],
                          "description": "Where a chapter of the body starts: 'run-on' (default: below the previous "
                                         "chapter, with space above its heading), 'new page', or 'odd page' "
                                         "(a right-hand page, for print)."},
        "note_position": {"enum": ["below", "above"],
                          "description": "The 注： lines of figures, images and tables: under the 资料来源 line "
                                         "(default) or above it."},
        "footnote_numbering": {"enum": ["page", "chapter"],
                               "description": "Footnote marks ①②… restart on every page (default) or chapter."},
        "logo": {"type": "object", "required": ["file"], "additionalProperties": False,
                 "description": "A logo on the cover, above the publishers.",
                 "properties": {"file": {"type": "string", "pattern": r"^[^\\]+\.(png|PNG|jpe?g|JPE?G|svg|SVG)$",
                                         "description": "Image file relative to the project folder."},
                                "width": {**_width, "description": "Printed width (default 30mm)."}}},
        "wording": {"type": "object", "additionalProperties": False,
                    "description": "The words of the cover, copyright page, front-matter titles and city excerpt "
                                   "pages (templates, like chapter text); each key is optional.",
                    "properties": {key: {"type": "string", "description": about}
                                   for key, (_, about) in WORDING.items()}},
        "lists": {"type": "array", "uniqueItems": True, "items": {"enum": list(LISTS)},
                  "description": "Which lists the front matter has, in order (default: contents, figures, tables)."},
        "year": {"type": "integer", "minimum": 1900, "maximum": 2200, "description": "Edition year."},
        "periods": {"type": "object", "minProperties": 1,
                    "propertyNames": {"pattern": "^[a-z][a-z0-9_]*$"},
                    "additionalProperties": {"type": "integer", "minimum": 1900, "maximum": 2200},
                    "description": "The edition's named periods, name → year (base: 2007, forecast: 2010). "
                                   "Chapters select data by name (where: {year: base}, q('market', year='base'), "
                                   "year: base..forecast for every year between) and print {{ base_year }}; "
                                   "without it, the table data/tables.yaml names as periods: (name, year) is read."},
        "month": {"type": ["integer", "null"], "minimum": 1, "maximum": 12,
                  "description": "Publication month, or null when unknown."},
        "publisher": _text,
        "co_publishers": {"type": "array", "items": _text},
        "guidance": {"type": "string", "description": "The body under whose guidance (指导) it is published."},
        "keywords": {"type": "array", "items": _text},
        "copyright": {"type": "string"},
        "chapters": {"type": "array", "minItems": 1, "items": {"type": "string", "pattern": r"^[^/\\]+\.ya?ml$"},
                     "description": "Chapter files in chapters/, in order."},
    },
}

FIELD_TYPES = ["string", "integer", "number"]

_name = {"type": "string", "pattern": r"^[a-z0-9][a-z0-9_.-]*$",
         "description": "Lower-case letters, digits, _ . - (the Frictionless name rule)."}
_field_names = {"type": "array", "minItems": 1, "items": _text}

FIELD = {
    "type": "object",
    "description": "One CSV column (a Frictionless Table Schema field); unit, decimals, scale and percent "
                   "are ours: how the column's numbers print (docs/numbers.md).",
    "required": ["name", "type"],
    "additionalProperties": False,
    "properties": {
        "name": {**_text, "description": "The column's header in the CSV."},
        "type": {"enum": FIELD_TYPES, "description": "Cell type."},
        "format": {"enum": ["default"], "description": "Frictionless format (only 'default')."},
        "title": {"type": "string"},
        "description": {"type": "string"},
        "period": {"type": "boolean",
                   "description": "Our own: this field names the period (year) each row describes, so the table "
                                  "holds many periods; it must be part of the primaryKey. Chapters select it by "
                                  "the edition's period names (year: base); charts put its values in ascending "
                                  "order and read them '2007 年'."},
        "estimates": {"type": "array", "minItems": 1, "items": {"type": "string"},
                      "description": "Our own: the values of this (basis) field that mark a row as an estimate, "
                                     "e.g. [forecast]; charts mark such values '2010 年（预计）', hatched."},
        "constraints": {
            "type": "object",
            "description": "Checked for every row (Frictionless constraints); a string field's enum is also "
                           "the order of its values on a chart axis.",
            "additionalProperties": False,
            "properties": {
                "required": {"type": "boolean", "description": "No empty cell."},
                "unique": {"type": "boolean", "description": "No value twice."},
                "enum": {"type": "array", "minItems": 1, "description": "The only allowed values."},
                "minimum": {"type": "number"},
                "maximum": {"type": "number"},
                "pattern": {"type": "string", "description": "A regular expression the whole cell matches."},
            },
        },
        "unit": {"type": "string", "description": "Ours: the unit printed after the number (default: the "
                                                  "row's 'unit' cell when the table has that column)."},
        "decimals": {"type": "integer", "minimum": 0, "maximum": 6,
                     "description": "Ours: decimals printed, rounded half up (default: as the CSV writes it)."},
        "scale": {"enum": ["万", "亿"], "description": "Ours: print in 万 or 亿 (168700 份 → 16.87 万份)."},
        "percent": {"type": "boolean", "description": "Ours: the value is a percentage, printed 15.0% (no space)."},
    },
}

FOREIGN_KEY = {
    "type": "object",
    "description": "Every value of these fields is a value of the referenced resource's fields.",
    "required": ["fields", "reference"],
    "additionalProperties": False,
    "properties": {
        "fields": _field_names,
        "reference": {
            "type": "object", "required": ["resource", "fields"], "additionalProperties": False,
            "properties": {"resource": {**_text, "description": "Name of another resource."},
                           "fields": _field_names},
        },
    },
}

RESOURCE = {
    "type": "object",
    "description": "One CSV file of data/ (a Frictionless tabular data resource).",
    "required": ["name", "path", "schema"],
    "additionalProperties": False,
    "properties": {
        "name": {**_name, "description": "The table's name, as templates and blocks call it."},
        "path": {"type": "string", "pattern": r"^[^/\\]+\.csv$", "description": "CSV file in data/."},
        "title": {"type": "string"},
        "description": {"type": "string"},
        "profile": {"enum": ["tabular-data-resource"]},
        "format": {"enum": ["csv"]},
        "mediatype": {"enum": ["text/csv"]},
        "encoding": {"enum": ["utf-8", "gb18030", "gbk"]},
        "schema": {
            "type": "object",
            "required": ["fields"],
            "additionalProperties": False,
            "properties": {
                "fields": {"type": "array", "minItems": 1, "items": FIELD},
                "primaryKey": {**_field_names,
                               "description": "Fields whose values identify a row (checked for duplicates)."},
                "foreignKeys": {"type": "array", "items": FOREIGN_KEY},
                "missingValues": {"type": "array", "items": {"type": "string"}},
            },
        },
        "rules": {"type": "array", "items": {
            "type": "object", "required": ["name", "check"], "additionalProperties": False,
            "properties": {"name": _text, "check": {**_text, "description": "A Jinja2 expression that must be true."}},
        }},
    },
}

TABLES = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Data dictionary (a Frictionless Data Package)",
    "type": "object",
    "required": ["resources"],
    "additionalProperties": False,
    "properties": {
        "name": _name,
        "title": {"type": "string"},
        "description": {"type": "string"},
        "profile": {"enum": ["tabular-data-package", "data-package"]},
        "version": {"type": "string"},
        "licenses": {"type": "array"},
        "sources": {"type": "array"},
        "percent_decimals": {"type": "integer", "minimum": 0, "maximum": 4,
                             "description": "Decimals of computed shares and growth rates (rounded half up)."},
        "thousands_separator": {"enum": ["", ",", " ", "\u2009"],
                                "description": "House style: put between groups of three digits of numbers "
                                               "of five digits or more (default: none)."},
        "periods": {**_name, "description": "Ours: a project in the single-edition layout names the resource "
                                            "holding its named periods (fields name and year); an edition file's "
                                            "own periods: come first."},
        "cities": {
            "type": "object", "required": ["resource"], "additionalProperties": False,
            "description": "Ours: the resources per-city excerpts (build --city) are made from; a publication "
                           "without this key has no cities.",
            "properties": {
                "resource": {**_name, "description": "One row per city: fields id (names the excerpt's file "
                                                     "output/<year>/cities/<id>.pdf) and name (as the text "
                                                     "writes it)."},
                "designations": {**_name, "description": "Optional: one row per designation a city holds: fields "
                                                         "city and designation (ids), optional order, site, "
                                                         "target_market."},
                "designation_types": {**_name, "description": "Optional: the kinds of designation: fields id and "
                                                              "name, optional count and as_of (YYYY-MM)."},
            },
        },
        "resources": {"type": "array", "minItems": 1, "items": RESOURCE},
    },
}

_MM_LENGTH = {"type": "number", "minimum": 0}
_HEX = {"type": "string", "pattern": "^#[0-9A-Fa-f]{6}$", "description": "a colour as #rrggbb"}
_HEADING_SIZE = {"type": "number", "minimum": 6, "maximum": 40}
THEME = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "whitepaper theme (chapters/theme.yaml): page, margins, type sizes, colours; all optional",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "page_size": {"anyOf": [{"enum": ["A4", "16开"]},
                                {"type": "array", "items": {"type": "number", "minimum": 50, "maximum": 1000},
                                 "minItems": 2, "maxItems": 2}],
                      "description": "A4, 16开 (185 × 260 mm) or [width, height] in mm"},
        "margins": {"type": "object", "additionalProperties": False,
                    "properties": {"top": _MM_LENGTH, "bottom": _MM_LENGTH, "side": _MM_LENGTH},
                    "description": "in mm; side is the least left and right margin (the text width is a "
                                   "whole number of body characters, centred)"},
        "body_size": {"type": "number", "minimum": 6, "maximum": 20, "description": "body text size in pt"},
        "leading": {"type": "number", "minimum": 6, "maximum": 40, "description": "body line distance in pt"},
        "heading_sizes": {"type": "object", "additionalProperties": False,
                          "properties": {"chapter": _HEADING_SIZE, "section": _HEADING_SIZE,
                                         "subsection": _HEADING_SIZE},
                          "description": "in pt: chapter and front-matter titles (16), （一） headings (12), "
                                         "1. headings (11); each no smaller than the next and than the body"},
        "caption_size": {"type": "number", "minimum": 6, "maximum": 16,
                         "description": "图 N-M and 表 N-M captions, in pt (9.5)"},
        "note_size": {"type": "number", "minimum": 6, "maximum": 14,
                      "description": "资料来源 and 注： lines and footnotes, in pt (9); line distances scale with it"},
        "colours": {"type": "object", "additionalProperties": False,
                    "properties": {"accent": _HEX, "grey": _HEX, "rule": _HEX}},
        "palette": {"type": "array", "items": _HEX, "minItems": 2,
                    "description": "chart series colours, at least 15 L* apart in greyscale"},
    },
}

SCHEMAS = {"edition": EDITION, "chapter": CHAPTER, "tables": TABLES, "theme": THEME}


def schema_files() -> dict[str, str]:
    """File name → JSON text of each schema, as ``whitepaper schema`` writes them."""
    import json

    return {f"{name}.schema.json": json.dumps(schema, ensure_ascii=False, indent=2) + "\n"
            for name, schema in SCHEMAS.items()}


def write_schemas(folder) -> list:
    """Write the schemas into ``folder`` (created if needed); returns the paths written."""
    from pathlib import Path

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in schema_files().items():
        path = folder / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
