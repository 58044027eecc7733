"""Page layout rules on real builds: 续表 with repeated header rows, headings kept with
their text (R9), figures kept with their captions."""
from __future__ import annotations

import pymupdf
import yaml

from pipeline.build import Options, build


def _append_blocks(root, chapter_file, blocks):
    path = root / "chapters" / chapter_file
    chapter = yaml.safe_load(path.read_text(encoding="utf-8"))
    chapter["blocks"].extend(blocks)
    path.write_text(yaml.safe_dump(chapter, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_long_table_continues_with_xubiao_caption_and_repeated_header(project):
    rows = ["order,title,doc_number,year"] + [f"{i},第 {i} 号测试政策,测试【{2000 + i % 9}】{i} 号,{2000 + i % 9}"
                                                for i in range(1, 91)]
    (project / "data" / "long_policies.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    tables = yaml.safe_load((project / "data" / "tables.yaml").read_text(encoding="utf-8"))
    tables["resources"].append({"name": "long_policies", "path": "long_policies.csv", "schema": {
        "fields": [{"name": "order", "type": "integer"}, {"name": "title", "type": "string"},
                   {"name": "doc_number", "type": "string"}, {"name": "year", "type": "integer"}],
        "primaryKey": ["order"]}})
    (project / "data" / "tables.yaml").write_text(yaml.safe_dump(tables, allow_unicode=True, sort_keys=False),
                                                  encoding="utf-8")
    _append_blocks(project, "10-alliance.yaml", [{"table": {
        "id": "long-table", "title": "很长的政策表", "table": "long_policies",
        "columns": {"title": "政策名称", "doc_number": "文号", "year": "年份"}, "unit": None}}])
    result = build(Options(project=project))
    with pymupdf.open(result.pdf) as doc:
        pages = [p.get_text() for p in doc]
    first = next(i for i, t in enumerate(pages) if "表 10-1\u3000很长的政策表" in t and "第 1 号测试政策" in t)
    continued = [i for i, t in enumerate(pages) if "续表 10-1" in t]
    assert continued and continued[0] == first + 1
    for i in continued:
        # the header row is repeated under the 续表 caption, above the first continued row
        text = pages[i]
        assert text.index("续表 10-1") < text.index("政策名称") < text.index("测试政策")
    # every row printed exactly once, in order
    body = "".join(pages[first:continued[-1] + 1])
    positions = [body.index(f"第 {i} 号测试政策") for i in range(1, 91)]
    assert positions == sorted(positions)


def test_headings_are_never_last_on_a_page(project):
    long_paragraph = "软件与信息服务外包产业的发展需要人才、市场与政策的共同支撑。" * 9
    blocks = []
    for i in range(14):
        blocks.append({"heading": {"title": f"测试小节 {i + 1}"}})
        blocks.append({"paragraph": long_paragraph})
    _append_blocks(project, "03-enterprises.yaml", blocks)
    result = build(Options(project=project))
    checked = 0
    with pymupdf.open(result.pdf) as doc:
        for page in doc:
            lines = []
            for block in page.get_text("dict", clip=pymupdf.Rect(0, 75, 595, 842 - 60))["blocks"]:
                for line in block.get("lines", []):
                    span = line["spans"][0]
                    lines.append((line["bbox"][3], span["font"], span["size"], span["text"]))
            if not lines:
                continue
            lowest = max(lines)
            is_heading = "Sans" in lowest[1] and "Bold" in lowest[1]
            assert not is_heading, f"page {page.get_label()} ends with heading {lowest[3]!r}"
            checked += 1
        toc = [t for _, t, _ in doc.get_toc()]
    assert checked > 10
    assert "（十四）测试小节 14" in toc  # sections are in the outline, numbered （一）…


def test_every_figure_sits_above_its_caption_on_the_same_page(edition_pdf):
    captions = 0
    for page in edition_pdf:
        for block in page.get_text("dict")["blocks"]:
            for line in block.get("lines", []):
                text = "".join(s["text"] for s in line["spans"])
                if text.startswith("图 ") and "\u3000" in text and "资料来源" in page.get_text():
                    drawings = [d["rect"] for d in page.get_drawings() if d["rect"].y1 <= line["bbox"][1] + 1]
                    assert drawings, f"no chart above {text!r} on page {page.get_label()}"
                    captions += 1
    assert captions >= 5
