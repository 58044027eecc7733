#!/usr/bin/env python3
"""Time a build whose chapter holds one long table (N generated rows), against a baseline tree.

    python benchmarks/bench_long_table.py                         # 10 250 500 1000 2000 rows, 3 runs each
    python benchmarks/bench_long_table.py --rows 2000 --baseline /path/to/old/checkout --runs 3 --record
    python benchmarks/bench_long_table.py --rows 2000 --baseline OLD --content OLD   # OLD's chapters and data

Each run is a fresh `python -m pipeline.cli build` process on a private copy of the project
with output/ kept (charts come from the cache, so the time is the table's).  With
``--baseline DIR`` the same builds run with DIR's ``pipeline`` package too, alternating
run by run, so both see the same machine load.  Target (issue 13): time proportional to
the rows; 2 000 rows in a few seconds.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_build import ROOT, copy_project, machine  # noqa: E402

TABLE_DECL = """
  - name: long_list
    path: long_list.csv
    description: generated rows for the long-table benchmark
    schema:
      fields:
        - {name: id, type: string}
        - {name: name, type: string}
        - {name: city, type: string}
        - {name: value, type: number}
      primaryKey: [id]
"""
TABLE_BLOCK = """
  - table:
      id: long-list
      title: 生成的长表
      table: long_list
      columns: {id: 编号, name: 名称, city: 所在地, value: 数值}
      unit: 万元
      source: 基准测试生成的数据
"""


def long_table_project(rows: int, dest: Path, content: Path | None = None) -> Path:
    if content is None:
        root = copy_project(dest)
    else:   # the chapters and data of another checkout (one both trees can build)
        for name in ("chapters", "data"):
            shutil.copytree(content / name, dest / name)
        (dest / "fonts").symlink_to(ROOT / "fonts")
        root = dest
    lines = ["id,name,city,value"] + [
        f"r{i:05d},第 {i} 家软件与信息服务外包企业（示例）,城市{i % 37},{(i * 7919) % 100000 / 10}"
        for i in range(rows)]
    (root / "data" / "long_list.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    tables = root / "data" / "tables.yaml"
    text = tables.read_text(encoding="utf-8")
    assert "\nresources:\n" in text, "data/tables.yaml: no resources: list to add the table to"
    tables.write_text(text.replace("\nresources:\n", "\nresources:" + TABLE_DECL, 1), encoding="utf-8")
    chapter = root / "chapters" / "08-platforms.yaml"
    chapter.write_text(chapter.read_text(encoding="utf-8").rstrip("\n") + TABLE_BLOCK, encoding="utf-8")
    return root


def build_seconds(tree: Path, project: Path) -> float:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    start = time.perf_counter()
    # cwd: the project, so `python -m` finds the tree's pipeline through PYTHONPATH and not the current folder
    proc = subprocess.run([sys.executable, "-m", "pipeline.cli", "build", "--project", str(project)],
                          env=env, capture_output=True, text=True, cwd=project)
    seconds = time.perf_counter() - start
    if proc.returncode:
        raise SystemExit(f"build failed with {tree}:\n{proc.stdout}{proc.stderr}")
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[10, 250, 500, 1000, 2000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--baseline", type=Path, help="a checkout whose pipeline/ is the baseline")
    parser.add_argument("--content", type=Path,
                        help="take chapters/ and data/ from this checkout (when the baseline cannot build ours)")
    parser.add_argument("--record", action="store_true", help="append the results to benchmarks/RESULTS.md")
    args = parser.parse_args()
    header = "| date | rows | this tree (median) | baseline (median) | baseline / this | runs | machine |"
    lines = [header, "|---|---|---|---|---|---|---|"]
    for rows in args.rows:
        with tempfile.TemporaryDirectory() as tmp:
            project = long_table_project(rows, Path(tmp) / "project", args.content)
            build_seconds(ROOT, project)   # untimed: fills the chart cache and the OS file cache
            ours, base = [], []
            for _ in range(args.runs):
                ours.append(build_seconds(ROOT, project))
                if args.baseline:
                    base.append(build_seconds(args.baseline, project))
        mine = statistics.median(ours)
        if base:
            theirs = statistics.median(base)
            cells = f"{theirs:.2f} s | {theirs / mine:.1f} ×"
        else:
            cells = "— | —"
        lines.append(f"| {time.strftime('%Y-%m-%d')} | {rows} | {mine:.2f} s | {cells} | "
                     f"{args.runs} | {machine()} |")
        print(lines[-1], flush=True)
    print("\n".join(lines))
    if args.record:
        with open(ROOT / "benchmarks" / "RESULTS.md", "a", encoding="utf-8") as f:
            f.write("\n" + "\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
