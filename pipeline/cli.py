"""The ``whitepaper`` command: parse options, call :mod:`pipeline.build`, report.

Exit codes: 0 success, 1 content error (chapters, data, fonts), 2 usage error.
"""
from __future__ import annotations

import json
import logging
import sys
import time
import unicodedata
from pathlib import Path

import click

from . import __version__
from .model import ContentError, UsageError

EXIT_CONTENT = 1
EXIT_USAGE = 2

project_option = click.option(
    "--project", "-p", type=click.Path(exists=True, file_okay=False, path_type=Path), default=Path("."),
    show_default=True,
    help="Project folder holding chapters/, data/ and fonts/.")


def _report(error: ContentError) -> None:
    count = len(error.problems)
    for problem in error.problems:
        click.echo(f"error: {problem}", err=True)
    click.echo(f"{count} problem{'s' if count != 1 else ''} found; nothing was written.", err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="whitepaper")
@click.option("-v", "--verbose", is_flag=True, help="Log each stage.")
def cli(verbose: bool) -> None:
    """Build Chinese PDF whitepapers from YAML chapters and CSV data."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s: %(message)s")


@cli.command()
@project_option
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="PDF to write (default: output/whitepaper-<year>.pdf, or output/cities/<id>.pdf with --city).")
@click.option("--city", "cities", multiple=True, metavar="CITY",
              help="Build CITY's excerpt (an id such as dalian or a name such as 大连) to output/cities/<id>.pdf; "
                   "repeatable.")
@click.option("--all-cities", is_flag=True, help="Build the excerpt of every city in data/cities.csv.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=1, show_default=True,
              help="Worker processes for city excerpts.")
@click.option("--shard", metavar="I/N",
              help="Build only shard I of N of the cities (sorted ids dealt round robin), for a CI matrix.")
@click.option("--json", "as_json", is_flag=True,
              help="Print a machine-readable result on stdout: per PDF its path, pages, sha256, ok/errors.")
@click.option("--force", is_flag=True, help="Build even when nothing changed since the last build.")
def build(project: Path, output: Path | None, cities: tuple[str, ...], all_cities: bool, jobs: int,
          shard: str | None, as_json: bool, force: bool) -> None:
    """Build the full edition PDF, or per-city excerpts, into output/."""
    start = time.perf_counter()
    if not force and not all_cities and len(cities) <= 1 and shard is None and not as_json:
        # before importing the pipeline: a no-op build is this check and nothing else
        from .freshness import up_to_date

        fresh = up_to_date(project, project / "output" / ".cache", output, cities[0] if cities else None)
        if fresh is not None:
            click.echo(f"{fresh.pdf} is up to date ({fresh.pages} pages; nothing changed since it was built, "
                       f"--force rebuilds)")
            return
    from .build import Options, build as build_edition

    try:
        if output is not None and str(output) in ("", "."):
            raise UsageError("-o/--output: give the PDF's file name (the path is empty)")
        if cities and all_cities:
            raise UsageError("use --city or --all-cities, not both")
        if not cities and not all_cities:
            if shard is not None:
                raise UsageError("--shard splits city builds: add --all-cities (or --city)")
            results = [build_edition(Options(project=project, output=output))]
            outcomes = None
        elif len(cities) == 1 and shard is None:
            results = [build_edition(Options(project=project, output=output, city=cities[0]))]
            outcomes = None
        else:
            outcomes = _build_cities(project, output, list(cities) or None, jobs, shard)
            results = [o.result for o in outcomes if o.ok]
    except ContentError as e:
        if as_json:
            _echo_json(False, [], [str(p) for p in e.problems])
        _report(e)
        sys.exit(EXIT_CONTENT)
    except UsageError as e:
        if as_json:
            _echo_json(False, [], [str(e)])
        click.echo(f"error: {e}", err=True)
        sys.exit(EXIT_USAGE)
    elapsed = time.perf_counter() - start
    if outcomes is None:
        result = results[0]
        if as_json:
            _echo_json(True, [_pdf_json(result.pdf, result, ())])
        else:
            click.echo(f"wrote {result.pdf} ({result.pages} pages, {result.charts_rendered} charts drawn, "
                       f"{result.charts_cached} cached) in {elapsed:.1f} s")
        return
    failed = [o for o in outcomes if not o.ok]
    if as_json:
        _echo_json(not failed, [_pdf_json(o.pdf, o.result, o.errors, o.city) for o in outcomes])
    else:
        for o in outcomes:
            if o.ok:
                click.echo(f"wrote {o.pdf} ({o.result.pages} pages)")
    for o in failed:
        for message in o.errors:
            click.echo(f"error: {o.city}: {message}", err=True)
    drawn = sum(r.charts_rendered for r in results)
    cached = sum(r.charts_cached for r in results)
    summary = (f"{len(outcomes)} city excerpt{'s' if len(outcomes) != 1 else ''}: {len(results)} built, "
               f"{len(failed)} failed{' (' + ', '.join(o.city for o in failed) + ')' if failed else ''}; "
               f"{drawn} charts drawn, {cached} cached; {elapsed:.1f} s")
    click.echo(summary, err=as_json or bool(failed))
    if failed:
        sys.exit(EXIT_CONTENT)


def _build_cities(project: Path, output: Path | None, cities: list[str] | None, jobs: int, shard: str | None):
    from tqdm import tqdm

    from .batch import build_cities
    from .build import Options
    from .cities import parse_shard

    bar = None

    def start(ids: list[str]) -> None:
        nonlocal bar
        # on stderr, and only on a terminal: CI logs and --json output stay clean
        bar = tqdm(total=len(ids), desc="cities", unit="city", file=sys.stderr, disable=None, leave=False)

    def done(outcome) -> None:
        bar.set_postfix_str(outcome.city if outcome.ok else f"{outcome.city} FAILED", refresh=False)
        bar.update(1)

    try:
        return build_cities(Options(project=project, output=output), cities, jobs=jobs,
                            shard=parse_shard(shard) if shard is not None else None, on_start=start, on_done=done)
    finally:
        if bar is not None:
            bar.close()


def _pdf_json(path: Path, result, errors, city: str | None = None) -> dict:
    ok = result is not None and not errors
    return {"path": str(path), "city": result.city if result else city, "ok": ok,
            "pages": result.pages if result else None, "sha256": result.sha256 if result else None,
            "inputs": result.inputs if result else None,
            "charts_rendered": result.charts_rendered if result else 0,
            "charts_cached": result.charts_cached if result else 0, "errors": list(errors)}


def _echo_json(ok: bool, pdfs: list[dict], errors: list[str] | None = None) -> None:
    click.echo(json.dumps({"ok": ok, "pdfs": pdfs, "errors": errors or []}, ensure_ascii=False, indent=2))


@cli.command()
@project_option
@click.option("--json", "as_json", is_flag=True, help="Print the cities as JSON.")
def cities(project: Path, as_json: bool) -> None:
    """List the cities of data/cities.csv and the national designations each holds."""
    from .build import Options, list_cities

    try:
        profiles = list_cities(Options(project=project))
    except ContentError as e:
        _report(e)
        sys.exit(EXIT_CONTENT)
    if as_json:
        click.echo(json.dumps([{"id": p.id, "name": p.name, "designations": [
            {"id": d.type_id, "name": d.type_name, "rank": d.rank, "count": d.count, "site": d.site or None,
             "target_market": d.target_market or None} for d in p.designations]} for p in profiles],
            ensure_ascii=False, indent=2))
        return
    id_width = max((len(p.id) for p in profiles), default=2)
    name_width = max((_display_width(p.name) for p in profiles), default=4)
    for p in profiles:
        held = "、".join(d.type_name + (f"（{d.site or d.target_market}）" if d.site or d.target_market else "")
                        for d in p.designations) or "—"
        click.echo(f"{p.id:<{id_width}}  {p.name}{' ' * (name_width - _display_width(p.name))}  {held}")
    click.echo(f"{len(profiles)} cities; build one with: whitepaper build --city <id or name>", err=True)


def _display_width(text: str) -> int:
    """Terminal columns: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


@cli.command()
@project_option
def check(project: Path) -> None:
    """Validate chapters, data, rules and fonts, draw the charts and lay out the PDF; write no PDF."""
    from .build import Options, check_all

    try:
        _, document, pages = check_all(Options(project=project))
    except ContentError as e:
        _report(e)
        sys.exit(EXIT_CONTENT)
    except UsageError as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(EXIT_USAGE)
    figures, tables = len(document.listed_figures()), len(document.tables())
    click.echo(f"ok: {len(document.chapters)} chapters, {figures} figures, {tables} tables, {pages} pages")


@cli.command()
@project_option
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="PDF to write (default: as for build).")
@click.option("--city", metavar="CITY", help="Preview CITY's excerpt instead of the full edition.")
def watch(project: Path, output: Path | None, city: str | None) -> None:
    """Build, then rebuild on every save of a chapter, data, font, image or edition file (Ctrl-C stops)."""
    from .build import Options
    from .watch import watch as watch_project

    def report(event) -> None:
        what = ", ".join(event.changed) if event.changed else "first build"
        if event.pdf is not None:
            click.echo(f"{event.seconds:.2f} s  wrote {event.pdf} ({event.pages} pages)  [{what}]")
            return
        for problem in event.problems:
            click.echo(f"error: {problem}", err=True)
        click.echo(f"{event.seconds:.2f} s  build failed; the last good PDF is unchanged  [{what}]", err=True)

    click.echo("watching chapters/, data/, fonts/ and images/ (Ctrl-C stops)", err=True)
    try:
        watch_project(Options(project=project, output=output, city=city), report)
    except UsageError as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(EXIT_USAGE)
    except KeyboardInterrupt:
        click.echo("stopped", err=True)


@cli.command()
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("docs/schema"),
              show_default=True, help="Folder to write the .schema.json files into.")
def schema(out_dir: Path) -> None:
    """Write the JSON Schemas of chapters/edition.yaml, chapter files and data/tables.yaml."""
    from .schema import write_schemas

    try:
        written = write_schemas(out_dir)
    except OSError as e:
        click.echo(f"error: cannot write to {out_dir}: {e.strerror or e}", err=True)
        sys.exit(EXIT_USAGE)
    for path in written:
        click.echo(f"wrote {path}")


def main() -> None:
    try:
        cli(prog_name="whitepaper")
    except OSError as e:
        # the last net: a full disk, a file we may not read, … is one line, not a traceback
        where = f"{e.filename}: " if e.filename else ""
        click.echo(f"error: {where}{e.strerror or e}", err=True)
        sys.exit(EXIT_USAGE)


if __name__ == "__main__":
    main()
