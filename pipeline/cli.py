"""The ``whitepaper`` command: parse options, call :mod:`pipeline.build`, report.

Exit codes: 0 success, 1 content error (chapters, data, fonts), 2 usage or
environment error (an option, a path, a full disk, a read-only folder), 130/143
stopped by SIGINT/SIGTERM.  Every command runs inside one error net
(:func:`_error_net`): whatever goes wrong is one ``error:`` line, never a
traceback, and every message has its control characters escaped, so text from
data or arguments cannot drive the terminal.
"""
from __future__ import annotations

import functools
import io
import json
import logging
import os
import re
import signal
import sys
import time
import traceback
import unicodedata
from pathlib import Path

import click

from . import __version__, stopping
from .files import check_output_file, explain, remove_own_temps
from .model import ContentError, UsageError
from .stopping import Terminated

EXIT_CONTENT = 1
EXIT_USAGE = 2
EXIT_SIGNAL = 128   # + the signal number, as shells report it

log = logging.getLogger(__name__)

# C0/C1 controls (ESC starts terminal sequences, CR overwrites a line, NL forges one) and the
# bidirectional overrides that make a terminal show text in another order than it is.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_UNSAFE_IN_JSON = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")   # json escapes C0


def escape_controls(text: str, keep_newlines: bool = False) -> str:
    """ESC becomes the four characters ``\\x1b``: shown, not obeyed (tabs kept; newlines too if asked)."""
    def one(m: re.Match) -> str:
        ch = m.group()
        if ch == "\t" or (keep_newlines and ch == "\n"):
            return ch
        return f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}"
    return _UNSAFE.sub(one, str(text))


def _say(text: str, err: bool = True) -> None:
    click.echo(escape_controls(text), err=err)


def _stdout_to_devnull() -> None:
    """Point standard output at /dev/null: Python's last flush of what is still buffered for a closed
    pipe would fail in turn, with a message on stderr."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def _exit_now(code: int) -> None:
    """Leave at once after a stop (SIGINT/SIGTERM): the cleanup has run, and the interpreter's exit
    would join worker-pool threads, which can wait for ever on a pool whose workers were killed."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)


class _CleanFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return escape_controls(super().format(record), keep_newlines=True)


project_option = click.option(
    "--project", "-p", type=click.Path(exists=True, file_okay=False, path_type=Path), default=Path("."),
    show_default=True,
    help="Project folder holding chapters/, data/ and fonts/.")


def _report(error: ContentError) -> None:
    count = len(error.problems)
    for problem in error.problems:
        _say(f"error: {problem}")
    _say(f"{count} problem{'s' if count != 1 else ''} found; nothing was written.")


def _error_net(json_errors: bool = False):
    """Run a command so that every failure is one readable line and an exit code.

    ContentError → exit 1; UsageError and any OS error (no space, permission
    denied, a folder where a file should be …) → exit 2; SIGINT/SIGTERM → the
    temp file is removed on the way out, exit 130/143.  Anything else is a bug:
    one line saying so (the traceback goes to the log, shown with -v), exit 1.
    With ``json_errors`` and --json, the errors are also printed as the JSON result.
    """
    def wrap(command):
        @functools.wraps(command)
        def run(*args, **kwargs):
            as_json = json_errors and kwargs.get("as_json")
            try:
                try:
                    result = command(*args, **kwargs)
                except (Exception, SystemExit):
                    if stopping.received() is None:
                        raise
                    result = None   # library code caught the stop's exception and raised another: still a stop
                if stopping.received() is not None:   # ... or swallowed it and went on
                    stopping.raise_stop(stopping.received())
                return result
            except ContentError as e:
                if as_json:
                    _echo_json(False, [], [str(p) for p in e.problems])
                _report(e)
                sys.exit(EXIT_CONTENT)
            except UsageError as e:
                message = str(e)
                code = EXIT_USAGE
            except BrokenPipeError:
                # `whitepaper cities | head`: the reader of our output had what it wanted and closed the pipe
                # (the only pipes we write to); no complaint, and the code a shell gives for SIGPIPE
                _stdout_to_devnull()
                sys.exit(EXIT_SIGNAL + signal.SIGPIPE)
            except OSError as e:
                message = explain(e, action="failed")
                code = EXIT_USAGE
            except KeyboardInterrupt as e:
                remove_own_temps()
                signum = stopping.received() or (signal.SIGTERM if isinstance(e, Terminated) else signal.SIGINT)
                message = f"stopped by {signal.Signals(signum).name}; no half-written file was left (a PDF being written keeps its previous version)"
                code = EXIT_SIGNAL + signum
            except Exception as e:
                log.info("internal error:\n%s", traceback.format_exc())
                detail = " ".join(str(e).split())
                message = (f"internal error (a bug in whitepaper, please report it){': ' + detail if detail else ''}; "
                           "run with -v to see where")
                code = EXIT_CONTENT
            if as_json:
                _echo_json(False, [], [message])
            _say(f"error: {message}")
            if code > EXIT_SIGNAL:
                _exit_now(code)
            sys.exit(code)
        return run
    return wrap


class _Group(click.Group):
    """Click's own messages (unknown option …) are escaped too, and Ctrl-C is exit 130, not 1."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            code = super().main(args, prog_name, complete_var, False, **extra)
        except click.ClickException as e:
            shown = io.StringIO()
            e.show(file=shown)
            click.echo(escape_controls(shown.getvalue().rstrip("\n"), keep_newlines=True), err=True)
            sys.exit(e.exit_code)
        except (click.exceptions.Abort, KeyboardInterrupt) as e:
            remove_own_temps()
            signum = stopping.received() or (signal.SIGTERM if isinstance(e, Terminated) else signal.SIGINT)
            _say(f"error: stopped by {signal.Signals(signum).name}")
            _exit_now(EXIT_SIGNAL + signum)
        sys.exit(code if isinstance(code, int) else 0)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="whitepaper")
@click.option("-v", "--verbose", is_flag=True, help="Log each stage.")
def cli(verbose: bool) -> None:
    """Build Chinese PDF whitepapers from YAML chapters and CSV data."""
    handler = logging.StreamHandler()
    handler.setFormatter(_CleanFormatter("%(levelname)s: %(message)s"))
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, handlers=[handler])


@cli.command()
@project_option
@click.option("--output", "-o", metavar="FILE",
              help="PDF to write (default: output/whitepaper-<year>.pdf, or output/cities/<id>.pdf with --city).")
@click.option("--city", "cities", multiple=True, metavar="CITY",
              help="Build CITY's excerpt (an id such as dalian or a name such as 大连) to output/cities/<id>.pdf; "
                   "repeatable.")
@click.option("--all-cities", is_flag=True, help="Build the excerpt of every city (the cities table of data/tables.yaml).")
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
@_error_net(json_errors=True)
def build(project: Path, output: str | None, cities: tuple[str, ...], all_cities: bool, jobs: int,
          shard: str | None, as_json: bool, force: bool, edition: str | None, all_editions: bool) -> None:
    """Build the full edition PDF, or per-city excerpts, into output/."""
    start = time.perf_counter()
    # -o stays the string typed: Path('') would silently become '.' (build refuses an empty name)
    if output is not None:
        check_output_file(output, project)   # before the up-to-date answer too: -o '' is not the default
    if not force and not all_cities and len(cities) <= 1 and shard is None and not as_json and not all_editions:
        # before importing the pipeline: a no-op build is this check and nothing else
        from .freshness import up_to_date

        fresh = up_to_date(project, project / "output" / ".cache", output, cities[0] if cities else None, edition)
        if fresh is not None:
            _say(f"{fresh.pdf} is up to date ({fresh.pages} pages; nothing changed since it was built, "
                 f"--force rebuilds)", err=False)
            return
    from .build import Options, build as build_edition, editions as list_editions

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
    elapsed = time.perf_counter() - start
    if outcomes is None:
        if as_json:
            _echo_json(True, [_pdf_json(result.pdf, result, ()) for result in results])
        else:
            for result in results:
                _say(f"wrote {result.pdf} ({result.pages} pages, {result.charts_rendered} charts drawn, "
                     f"{result.charts_cached} cached) in {elapsed:.1f} s", err=False)
        return
    failed = [o for o in outcomes if not o.ok]
    if as_json:
        _echo_json(not failed, [_pdf_json(o.pdf, o.result, o.errors, o.city) for o in outcomes])
    else:
        for o in outcomes:
            if o.ok:
                _say(f"wrote {o.pdf} ({o.result.pages} pages)", err=False)
    for o in failed:
        for message in o.errors:
            _say(f"error: {o.city}: {message}")
    drawn = sum(r.charts_rendered for r in results)
    cached = sum(r.charts_cached for r in results)
    summary = (f"{len(outcomes)} city excerpt{'s' if len(outcomes) != 1 else ''}: {len(results)} built, "
               f"{len(failed)} failed{' (' + ', '.join(o.city for o in failed) + ')' if failed else ''}; "
               f"{drawn} charts drawn, {cached} cached; {elapsed:.1f} s")
    _say(summary, err=as_json or bool(failed))
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
        # no monitor thread: it would outlive the batch and cost the fast exit (_leave_without_teardown)
        tqdm.monitor_interval = 0
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
    click.echo(_json_text({"ok": ok, "pdfs": pdfs, "errors": errors or []}))


def _json_text(data) -> str:
    """JSON escapes C0 controls itself; DEL, C1 and bidi overrides become \\u escapes too."""
    return _UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(data, ensure_ascii=False, indent=2))


edition_option = click.option(
    "--edition", metavar="YEAR", help="In a project of several editions: this edition (default: the newest).")


@cli.command()
@project_option
@click.option("--json", "as_json", is_flag=True, help="Print the cities as JSON.")
@edition_option
@_error_net()
def cities(project: Path, as_json: bool, edition: str | None) -> None:
    """List the cities (the cities table of data/tables.yaml) and the designations each holds."""
    from .build import Options, list_cities

    profiles = list_cities(Options(project=project, edition=edition))
    if as_json:
        click.echo(_json_text([{"id": p.id, "name": p.name, "designations": [
            {"id": d.type_id, "name": d.type_name, "rank": d.rank, "count": d.count, "site": d.site or None,
             "target_market": d.target_market or None} for d in p.designations]} for p in profiles]))
        return
    id_width = max((len(p.id) for p in profiles), default=2)
    name_width = max((_display_width(p.name) for p in profiles), default=4)
    for p in profiles:
        held = "、".join(d.type_name + (f"（{d.site or d.target_market}）" if d.site or d.target_market else "")
                        for d in p.designations) or "—"
        _say(f"{p.id:<{id_width}}  {p.name}{' ' * (name_width - _display_width(p.name))}  {held}", err=False)
    _say(f"{len(profiles)} cities; build one with: whitepaper build --city <id or name>")


def _display_width(text: str) -> int:
    """Terminal columns: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


@cli.command()
@project_option
@click.option("--edition", metavar="YEAR",
              help="In a project of several editions: check only this one (default: every edition).")
@_error_net()
def check(project: Path, edition: str | None) -> None:
    """Validate every edition's chapters, data, rules and fonts, draw the charts and lay out the PDF (write
    no PDF); and report every number typed into the text instead of coming from data/."""
    from .build import Options, check_all

    checked = check_all(Options(project=project, edition=edition))
    for year, document, pages in checked:
        figures, tables = len(document.listed_figures()), len(document.tables())
        label = f"edition {year}: " if year else ""
        click.echo(f"ok: {label}{len(document.chapters)} chapters, {figures} figures, {tables} tables, {pages} pages")


@cli.command("new-edition")
@project_option
@click.argument("year", type=click.IntRange(1900, 2200))
@click.option("--from", "source", metavar="YEAR", help="The edition to start from (default: the newest).")
@_error_net()
def new_edition(project: Path, year: int, source: str | None) -> None:
    """Start edition YEAR: editions/YEAR.yaml, a copy of the newest edition with its year and every period
    moved on by as many years. Review it, add the new years' data, then run check."""
    from .build import Options, new_edition as start_edition

    target = start_edition(Options(project=project), year, source)
    _say(f"wrote {target}; review its title, periods and copyright, then run: whitepaper check")


@cli.command()
@project_option
@click.argument("old")
@click.argument("new")
@click.option("--json", "as_json", is_flag=True, help="Print the changes as JSON.")
@click.option("--pdf", "pdf", metavar="FILE",
              help="Also write NEW as a proof PDF with every changed number highlighted.")
@_error_net(json_errors=True)
def diff(project: Path, old: str, new: str, as_json: bool, pdf: str | None) -> None:
    """List every number that differs between OLD and NEW (each an edition year of this project, or
    another project folder), with its sentence; sentences, figures and tables added or removed."""
    from .build import Options, diff as diff_editions

    if pdf is not None:
        check_output_file(pdf, project)   # before any work, like build -o
    result = diff_editions(Options(project=project), old, new)
    if pdf is not None:
        from .build import write_proof

        pdf = write_proof(Options(project=project), new, result, pdf)
    if as_json:
        click.echo(_json_text(result.as_json()))
    else:
        for line in _diff_lines(result):
            _say(line, err=False)
    if pdf is not None:
        _say(f"wrote {pdf}")


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
@click.option("--output", "-o", metavar="FILE", help="PDF to write (default: as for build).")
@click.option("--city", metavar="CITY", help="Preview CITY's excerpt instead of the full edition.")
@click.option("--edition", metavar="YEAR",
              help="In a project of several editions (editions/<year>.yaml): watch this one (default: the newest).")
@_error_net()
def watch(project: Path, output: str | None, city: str | None, edition: str | None) -> None:
    """Build, then rebuild on every save of a chapter, data, font, image or edition file (Ctrl-C stops)."""
    from .build import Options
    from .watch import watch as watch_project

    def report(event) -> None:
        what = ", ".join(event.changed) if event.changed else "first build"
        if event.pdf is not None:
            _say(f"{event.seconds:.2f} s  wrote {event.pdf} ({event.pages} pages)  [{what}]", err=False)
            return
        for problem in event.problems:
            _say(f"error: {problem}")
        _say(f"{event.seconds:.2f} s  build failed; the last good PDF is unchanged  [{what}]")

    if output is not None:
        check_output_file(output, project)
    _say("watching chapters/, data/, fonts/ and images/ (Ctrl-C stops)")
    try:
        watch_project(Options(project=project, output=output, city=city, edition=edition), report)
    except KeyboardInterrupt:   # the way to stop watching (SIGTERM too): not an error
        stopping.handled()
        remove_own_temps()
        _say("stopped")


@cli.command()
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("docs/schema"),
              show_default=True, help="Folder to write the .schema.json files into.")
@_error_net()
def schema(out_dir: Path) -> None:
    """Write the JSON Schemas of the edition files, chapter files and data/tables.yaml."""
    from .schema import write_schemas

    try:
        written = write_schemas(out_dir)
    except OSError as e:
        raise UsageError(explain(e, out_dir)) from None
    for path in written:
        _say(f"wrote {path}", err=False)


def main() -> None:
    # SIGTERM (CI cancelling a job, `kill`) is handled like Ctrl-C: temp files are removed, exit 143;
    # both are recorded too, so a stop whose exception library code swallowed still ends as a stop
    stopping.handle_stops()
    try:
        cli(prog_name="whitepaper")
    except SystemExit as e:
        if e.code in (0, None):
            _leave_without_teardown()
        raise


def _leave_without_teardown() -> None:
    """End a successful command without the interpreter's teardown, which frees every object one by
    one (about 20 ms of a warm build: ReportLab, Jinja2, the fonts' 20 000-entry maps).  Only when
    nothing needs it: no other thread, no child process, no profiler or tracer that reports at exit.
    Everything the command wrote is closed by then; the atexit handlers (logging's flush,
    multiprocessing's clean-up of its temp folder) run first, then the streams are flushed."""
    import atexit
    import threading

    multiprocessing = sys.modules.get("multiprocessing")
    if (threading.active_count() > 1 or (multiprocessing is not None and multiprocessing.active_children())
            or sys.getprofile() is not None or sys.gettrace() is not None):
        return
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):   # a closed pipe: the normal exit reports it
        return
    atexit._run_exitfuncs()   # the interpreter's own exit would run them; os._exit does not
    _exit_now(0)


if __name__ == "__main__":
    main()
