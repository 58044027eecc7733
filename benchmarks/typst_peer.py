#!/usr/bin/env python3
"""The peer pipeline we time our build against: matplotlib charts to SVG, text set by Typst.

    python benchmarks/typst_peer.py prepare --project . --out /tmp/peer   # once, not timed
    python benchmarks/typst_peer.py run /tmp/peer                         # the timed process

``prepare`` resolves the project with our own pipeline (``pipeline.build.check``:
the chapters' text with every number filled in, the tables' cells and each
figure's ChartSpec) and writes it out as ``main.typ`` (Typst markup: cover,
copyright page, 目录, 图目录, 表目录, chapters with headings, paragraphs, figures
and tables, running header and page numbers) and ``charts.json`` (the specs).

``run`` is what a matplotlib + Typst toolchain does for the same document: import
matplotlib, draw the six charts to SVG (with ``pipeline.charts``, so they are
the same charts in the same house style, written with matplotlib's SVG backend: nothing cached),
then compile ``main.typ`` with the Python ``typst`` package and the project's
own fonts (``fonts/*.ttf``, system fonts ignored) to ``peer.pdf``.  It does not
load, validate or resolve YAML and CSV — it is handed that work done — so it is
a slightly generous baseline.

Needs the bench extra: ``pip install -e '.[bench]'``.
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import fields, is_dataclass
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


# ---------------------------------------------------------------- prepare (not timed)


def typst_string(text: str) -> str:
    """A Typst string literal: shown as plain text, no markup is interpreted inside it."""
    return json.dumps(text, ensure_ascii=False)


def runs_markup(runs) -> str:
    out = []
    for run in runs:
        piece = typst_string(run.text)
        if run.sup:
            piece = f"super({piece})"
        if run.sub:
            piece = f"sub({piece})"
        if run.italic:
            piece = f"emph({piece})"
        if run.bold:
            piece = f"strong({piece})"
        if run.link:
            piece = f"link({typst_string(run.link)}, {piece})"
        out.append(f"#{piece}")
    return "".join(out)


PREAMBLE = """\
#let serif = "Noto Serif CJK SC"
#let sans = "Noto Sans CJK SC"
#set document(title: TITLE, keywords: KEYWORDS)
#set text(font: serif, size: 10.5pt, lang: "zh", region: "cn")
#set par(justify: true, first-line-indent: (amount: 2em, all: true), leading: 0.9em, spacing: 0.9em)
#set page(paper: "a4", margin: (x: 71.9pt, top: 28mm, bottom: 24mm))
#show heading: set text(font: sans)
#show heading.where(level: 1): it => { pagebreak(weak: true); v(1em); align(center, text(size: 16pt, it)); v(1em) }
#show heading.where(level: 2): set text(size: 12pt)
#show heading.where(level: 3): set text(size: 10.5pt)
#set heading(numbering: none)
#show figure.caption: set text(font: sans, size: 9.5pt)
#set figure.caption(separator: [#h(1em)])
#show figure.where(kind: table): set figure.caption(position: top)
#show figure: set block(breakable: true)
#set table(stroke: 0.5pt, inset: 4pt)
#show table.cell: set text(size: 9pt)
#show table.cell: set par(first-line-indent: 0em, justify: false)
"""


def generate(project_root: Path) -> tuple[str, list[dict]]:
    """Typst source and the charts' specs (one dict per figure) for the resolved full edition."""
    sys.path.insert(0, str(ROOT))
    from pipeline.build import Options, check
    from pipeline.model import Figure, Heading, Paragraph, TableBlock

    _, document = check(Options(project=project_root))
    ed = document.edition
    lines = [PREAMBLE.replace("TITLE", typst_string(ed.title))
             .replace("KEYWORDS", "(" + ", ".join(typst_string(k) for k in ed.keywords) + ",)")]
    # cover and copyright page: no running header
    lines.append("#page(header: none, footer: none)[")
    lines.append(f"  #text(font: sans, size: 11pt)[#{typst_string(ed.guidance + '　指导')}]")
    lines.append("  #v(6cm)")
    for part in ed.cover_title or (ed.title,):
        lines.append(f"  #align(center, text(font: sans, weight: \"bold\", size: 26pt)[#{typst_string(part)}])")
    lines.append("  #v(1fr)")
    for name in (ed.publisher, *ed.co_publishers):
        lines.append(f"  #align(center, text(size: 12pt)[#{typst_string(name)}])")
    lines.append(f"  #align(center, text(size: 12pt)[#{typst_string(str(ed.year))}])")
    lines.append("]")
    lines.append(f"#page(header: none, footer: none)[#v(1fr)#text(size: 9pt)[#{typst_string(ed.copyright)}]]")
    # running header and page numbers from here on
    lines.append(f"#set page(header: align(center, text(font: sans, size: 9pt)[#{typst_string(ed.short_title)}]),"
                 " numbering: \"1\")")
    lines.append("#outline(title: [目录], depth: 2)")
    lines.append("#outline(title: [图目录], target: figure.where(kind: image))")
    lines.append("#outline(title: [表目录], target: figure.where(kind: table))")
    specs: list[dict] = []
    for chapter in document.chapters:
        lines.append(f"#heading(level: 1)[#{typst_string(chapter.label + chapter.title)}]")
        for block in chapter.blocks:
            if isinstance(block, Paragraph):
                lines.append(runs_markup(block.runs) + "\n")
            elif isinstance(block, Heading):
                lines.append(f"#heading(level: {block.level})[#{typst_string(block.number + block.title)}]")
            elif isinstance(block, Figure):
                specs.append({"id": block.id, "spec": to_json(block.chart)})
                lines.append(
                    f"#figure(image(\"charts/{block.id}.svg\", width: sizes.at({typst_string(block.id)}) * 1pt),"
                    f" supplement: [图], numbering: _ => {typst_string(block.number)},"
                    f" caption: [#{typst_string(block.title)}])")
                if block.source:
                    lines.append(f"#text(size: 9pt, fill: luma(90))[#{typst_string('资料来源：' + block.source)}]\n")
            elif isinstance(block, TableBlock):
                cells = ", ".join(f"[#strong({typst_string(h)})]" for h in block.header)
                for row in block.rows:
                    cells += ", " + ", ".join(f"[#{typst_string(c)}]" for c in row)
                unit = f"#align(right, text(size: 9pt)[#{typst_string('单位：' + block.unit)}])" if block.unit else ""
                lines.append(
                    f"#figure(kind: table, supplement: [表], numbering: _ => {typst_string(block.number)},"
                    f" caption: [#{typst_string(block.title)}])[{unit}#table(columns: {len(block.header)}, {cells})]")
                if block.source:
                    lines.append(f"#text(size: 9pt, fill: luma(90))[#{typst_string('资料来源：' + block.source)}]\n")
    # chart widths come from the run (the drawn SVGs' sizes)
    lines.insert(1, '#let sizes = json("charts/sizes.json")')
    return "\n".join(lines) + "\n", specs


def prepare(project_root: Path, out: Path) -> None:
    source, specs = generate(project_root)
    out.mkdir(parents=True, exist_ok=True)
    (out / "main.typ").write_text(source, encoding="utf-8")
    (out / "charts.json").write_text(json.dumps({"fonts": str(project_root.resolve() / "fonts"), "charts": specs},
                                                ensure_ascii=False, indent=1), encoding="utf-8")


# ---------------------------------------------------------------- run (the timed process)


def run(work: Path, show_times: bool = False) -> None:
    import shutil
    import time

    start = time.perf_counter()

    sys.path.insert(0, str(ROOT))
    from pipeline.charts.cache import chart_size
    from pipeline.charts.draw import draw_svg

    job = json.loads((work / "charts.json").read_text(encoding="utf-8"))
    fonts = Path(job["fonts"])
    charts = work / "charts"
    shutil.rmtree(charts, ignore_errors=True)   # cold: every chart drawn by matplotlib
    charts.mkdir()
    sizes = {}
    for chart in job["charts"]:
        spec = from_json(chart["spec"])
        (charts / f"{chart['id']}.svg").write_bytes(
            draw_svg(spec, fonts / "NotoSansSC-Regular.ttf", fonts / "NotoSansSC-Bold.ttf", chart_size(spec)))
        sizes[chart["id"]] = chart_size(spec)[0]
    (charts / "sizes.json").write_text(json.dumps(sizes), encoding="utf-8")

    charts_done = time.perf_counter()
    import typst

    typst.compile(str(work / "main.typ"), output=str(work / "peer.pdf"), root=str(work),
                  font_paths=[str(fonts)], ignore_system_fonts=True)
    if show_times:
        print(f"import matplotlib + draw {len(job['charts'])} charts: {charts_done - start:.3f} s; "
              f"typst compile: {time.perf_counter() - charts_done:.3f} s", file=sys.stderr)


def to_json(value):
    """A ChartSpec (or anything in it) as JSON: dataclasses named, tuples as lists, Decimals as strings."""
    if is_dataclass(value):
        cls = type(value)
        return {"dataclass": f"{cls.__module__}:{cls.__qualname__}",
                "fields": {f.name: to_json(getattr(value, f.name)) for f in fields(value)}}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if isinstance(value, Decimal):
        return {"decimal": str(value)}
    return value


def from_json(value):
    """The inverse of to_json; only dataclasses of our own pipeline package are made."""
    if isinstance(value, list):
        return tuple(from_json(v) for v in value)
    if isinstance(value, dict) and "decimal" in value:
        return Decimal(value["decimal"])
    if isinstance(value, dict) and "dataclass" in value:
        import importlib

        module, name = value["dataclass"].split(":")
        if module.split(".")[0] != "pipeline":
            raise ValueError(f"not a pipeline dataclass: {value['dataclass']}")
        cls = getattr(importlib.import_module(module), name)
        return cls(**{k: from_json(v) for k, v in value["fields"].items()})
    return value


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("prepare", help="resolve the project and write main.typ + charts.json (not timed)")
    p.add_argument("--project", type=Path, default=Path("."))
    p.add_argument("--out", type=Path, required=True)
    r = sub.add_parser("run", help="draw the charts and compile main.typ to peer.pdf (the timed process)")
    r.add_argument("work", type=Path)
    r.add_argument("--times", action="store_true", help="print how long the charts and the compile took")
    args = parser.parse_args()
    if args.command == "prepare":
        prepare(args.project, args.out)
    else:
        run(args.work, args.times)
    return 0


if __name__ == "__main__":
    sys.exit(main())
