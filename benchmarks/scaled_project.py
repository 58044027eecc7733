#!/usr/bin/env python3
"""Make a scaled copy of the shipped project: every chapter's blocks repeated N times, with generated data.

    python benchmarks/scaled_project.py 10 /tmp/scaled10     # then: whitepaper build --project /tmp/scaled10

Copy j (1 … N-1) of a chapter's blocks reads its own generated tables
(``market_r{j}.csv`` …: numbers scaled by 1 + j/100, so every chart is a new
chart and is drawn, not taken from the cache), has its own figure and table
ids, and its captions say which copy they are.  Chapter numbers stay 0–10
(the schema allows 0–99), so ×50 makes chapters 50 times as long rather than
500 chapters.  Consistency rules are kept for the original tables only.
"""
from __future__ import annotations

import csv
import io
import re
import shutil
import sys
from decimal import Decimal
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def make_scaled_project(factor: int, dest: Path) -> Path:
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copytree(ROOT / "chapters", dest / "chapters")
    shutil.copytree(ROOT / "data", dest / "data")
    shutil.copytree(ROOT / "editions", dest / "editions")
    fonts = dest / "fonts"
    if not fonts.exists():
        fonts.symlink_to(ROOT / "fonts", target_is_directory=True)
    if factor <= 1:
        return dest

    tables_path = dest / "data" / "tables.yaml"
    tables_doc = yaml.safe_load(tables_path.read_text(encoding="utf-8"))
    resources = tables_doc["resources"]
    for j in range(1, factor):
        for decl in list(resources):
            if "_r" in decl["name"]:
                continue
            src = dest / "data" / decl["path"]
            new_file = f"{Path(decl['path']).stem}_r{j}.csv"
            columns = {f["name"]: f["type"] for f in decl["schema"]["fields"]}
            _scaled_csv(src, dest / "data" / new_file, columns, Decimal(100 + j) / 100)
            resources.append({k: v for k, v in decl.items() if k != "rules"}
                             | {"name": f"{decl['name']}_r{j}", "path": new_file})
    tables_path.write_text(yaml.safe_dump(tables_doc, allow_unicode=True, sort_keys=False, width=1000),
                           encoding="utf-8")

    names = [r["name"] for r in resources if "_r" not in r["name"]]
    for chapter in sorted((dest / "chapters").glob("[0-9]*.yaml")):
        data = yaml.safe_load(chapter.read_text(encoding="utf-8"))
        if data["number"] == 0:
            continue  # the preface stays one paragraph
        original = data["blocks"]
        blocks = list(original)
        for j in range(1, factor):
            for block in original:
                blocks.append(_copy_block(block, j, names))
        data["blocks"] = blocks
        chapter.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000), encoding="utf-8")
    return dest


def _scaled_csv(src: Path, dst: Path, columns: dict, scale: Decimal) -> None:
    rows = list(csv.DictReader(io.StringIO(src.read_text(encoding="utf-8"))))
    if not rows:
        shutil.copyfile(src, dst)
        return
    for row in rows:
        for col, kind in columns.items():
            if kind == "number" and row.get(col):
                row[col] = str((Decimal(row[col]) * scale).quantize(Decimal("0.1")))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    dst.write_text(out.getvalue(), encoding="utf-8")


def _retable(text: str, j: int, names: list[str]) -> str:
    for name in names:
        text = re.sub(rf"(['\"]){re.escape(name)}\1", rf"\g<1>{name}_r{j}\g<1>", text)
    return text


def _copy_block(block: dict, j: int, names: list[str]) -> dict:
    kind, spec = next(iter(block.items()))
    if kind == "paragraph":
        if isinstance(spec, dict):
            return {kind: spec | {"text": _retable(spec["text"], j, names)}}
        return {kind: _retable(spec, j, names)}
    if kind == "heading":
        return {kind: spec | {"title": f"{spec['title']}（{j}）"}}
    spec = dict(spec)
    spec["id"] = f"{spec['id']}-r{j}"
    spec["title"] = f"{_retable(spec['title'], j, names)}（<lit>{j}</lit>）"   # a copy's number is wording, not data
    spec["table"] = f"{spec['table']}_r{j}"
    return {kind: spec}


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__.splitlines()[2].strip(), file=sys.stderr)
        return 2
    print(make_scaled_project(int(sys.argv[1]), Path(sys.argv[2])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
