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
@click.option("--edition", metavar="YEAR",
              help="In a project of several editions (editions/<year>.yaml): build this one (default: the newest).")
@click.option("--all-editions", is_flag=True, help="Build every edition of editions/, each into output/<year>/.")
def build(project: Path, output: Path | None, cities: tuple[str, ...], all_cities: bool, jobs: int,
          shard: str | None, as_json: bool, force: bool, edition: str | None, all_editions: bool) -> None:
    """Build the full edition PDF, or per-city excerpts, into output/."""
    start = time.perf_counter()
    if not force and not all_cities and len(cities) <= 1 and shard is None and not as_json and not all_editions:
        # before importing the pipeline: a no-op build is this check and nothing else
        from .freshness import up_to_date

        fresh = up_to_date(project, project / "output" / ".cache", output, cities[0] if cities else None, edition)
        if fresh is not None:
            click.echo(f"{fresh.pdf} is up to date ({fresh.pages} pages; nothing changed since it was built, "
                       f"--force rebuilds)")
            return
    from .build import Options, build as build_edition, editions as list_editions

    try:
        if output is not None and str(output) in ("", "."):
            raise UsageError("-o/--output: give the PDF's file name (the path is empty)")
        if cities and all_cities:
            raise UsageError("use --city or --all-cities, not both")
        if edition is not None and all_editions:
            raise UsageError("use --edition or --all-editions, not both")
        if all_editions and output is not None:
            raise UsageError("-o/--output names one PDF; --all-editions writes output/<year>/ for each edition")
        years = list_editions(Options(project=project)) if all_editions else [edition]
        results, outcomes = [], None
        for year in years:
            if not cities and not all_cities:
                if shard is not None:
                    raise UsageError("--shard splits city builds: add --all-cities (or --city)")
                results.append(build_edition(Options(project=project, output=output, edition=year)))
            elif len(cities) == 1 and shard is None:
                results.append(build_edition(Options(project=project, output=output, city=cities[0], edition=year)))
            else:
                outcomes = (outcomes or []) + _build_cities(project, output, list(cities) or None, jobs, shard, year)
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
        if as_json:
            _echo_json(True, [_pdf_json(result.pdf, result, ()) for result in results])
        else:
            for result in results:
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


def _build_cities(project: Path, output: Path | None, cities: list[str] | None, jobs: int, shard: str | None,
                  edition: str | None = None):
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
        return build_cities(Options(project=project, output=output, edition=edition), cities, jobs=jobs,
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


edition_option = click.option(
    "--edition", metavar="YEAR", help="In a project of several editions: this edition (default: the newest).")


@cli.command()
@project_option
@click.option("--json", "as_json", is_flag=True, help="Print the cities as JSON.")
@edition_option
def cities(project: Path, as_json: bool, edition: str | None) -> None:
    """List the cities of data/cities.csv and the national designations each holds."""
    from .build import Options, list_cities

    try:
        profiles = list_cities(Options(project=project, edition=edition))
    except ContentError as e:
        _report(e)
        sys.exit(EXIT_CONTENT)
    except UsageError as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(EXIT_USAGE)
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
@click.option("--edition", metavar="YEAR",
              help="In a project of several editions: check only this one (default: every edition).")
def check(project: Path, edition: str | None) -> None:
    """Validate every edition's chapters, data, rules and fonts, draw the charts and lay out the PDF (write
    no PDF); and report every number typed into the text instead of coming from data/."""
    from .build import Options, check_all

    try:
        checked = check_all(Options(project=project, edition=edition))
    except ContentError as e:
        _report(e)
        sys.exit(EXIT_CONTENT)
    except UsageError as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(EXIT_USAGE)
    for year, document, pages in checked:
        figures, tables = len(document.listed_figures()), len(document.tables())
        label = f"edition {year}: " if year else ""
        click.echo(f"ok: {label}{len(document.chapters)} chapters, {figures} figures, {tables} tables, {pages} pages")


@cli.command("new-edition")
@project_option
@click.argument("year", type=click.IntRange(1900, 2200))
@click.option("--from", "source", metavar="YEAR", help="The edition to start from (default: the newest).")
def new_edition(project: Path, year: int, source: str | None) -> None:
    """Start edition YEAR: editions/YEAR.yaml, a copy of the newest edition with its year and every period
    moved on by as many years. Review it, add the new years' data, then run check."""
    from .build import Options, new_edition as start_edition

    try:
        target = start_edition(Options(project=project), year, source)
    except ContentError as e:
        _report(e)
        sys.exit(EXIT_CONTENT)
    except UsageError as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(EXIT_USAGE)
    click.echo(f"wrote {target}; review its title, periods and copyright, then run: whitepaper check")


@cli.command()
@project_option
@click.argument("old")
@click.argument("new")
@click.option("--json", "as_json", is_flag=True, help="Print the changes as JSON.")
@click.option("--pdf", "pdf", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write NEW as a proof PDF with every changed number highlighted.")
def diff(project: Path, old: str, new: str, as_json: bool, pdf: Path | None) -> None:
    """List every number that differs between OLD and NEW (each an edition year of this project, or
    another project folder), with its sentence; sentences, figures and tables added or removed."""
    from .build import Options, diff as diff_editions

    try:
        result = diff_editions(Options(project=project), old, new)
        if pdf is not None:
            from .build import write_proof

            write_proof(Options(project=project), new, result, pdf)
    except ContentError as e:
        _report(e)
        sys.exit(EXIT_CONTENT)
    except UsageError as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(EXIT_USAGE)
    if as_json:
        click.echo(json.dumps(result.as_json(), ensure_ascii=False, indent=2))
    else:
        for line in _diff_lines(result):
            click.echo(line)
    if pdf is not None:
        click.echo(f"wrote {pdf}", err=True)


def _diff_lines(result) -> list[str]:
    """The terminal table: per place, each changed value old → new, and the sentence it is in."""
    numbers = sum(1 for c in result.changes)
    lines = [f"{result.old} → {result.new}: {numbers} changed number{'s' if numbers != 1 else ''}, "
             f"{len(result.added)} added, {len(result.removed)} removed"]
    width = min(max((_display_width(c.old) for c in result.changes), default=0), 16)
    where = None
    for change in result.changes:
        if change.where != where:
            where = change.where
            lines += ["", where]
            context = None
        if change.context != context:
            context = change.context
            lines.append(f"  「{context}」")
        pad = " " * max(0, width - _display_width(change.old))
        lines.append(f"    {change.old}{pad}  →  {change.new}    {change.bound}")
    for label, items in (("added", result.added), ("removed", result.removed)):
        if items:
            lines += ["", f"{label}:"]
            lines += [f"  {'+' if label == 'added' else '-'} {d.kind} {d.where}: {d.text}" for d in items]
    return lines


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
    """Write the JSON Schemas of the edition files, chapter files and data/tables.yaml."""
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
