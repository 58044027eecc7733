"""The ``whitepaper`` command: parse options, call :mod:`pipeline.build`, report.

Exit codes: 0 success, 1 content error (chapters, data, fonts), 2 usage error.
"""
from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

import click

from . import __version__
from .build import Options, build as build_edition, check as check_project
from .model import ContentError, UsageError

EXIT_CONTENT = 1
EXIT_USAGE = 2

project_option = click.option(
    "--project", "-p", type=click.Path(file_okay=False, path_type=Path), default=Path("."), show_default=True,
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
              help="PDF to write (default: output/whitepaper-<year>.pdf).")
def build(project: Path, output: Path | None) -> None:
    """Build the full edition PDF into output/."""
    start = time.perf_counter()
    try:
        result = build_edition(Options(project=project, output=output))
    except ContentError as e:
        _report(e)
        sys.exit(EXIT_CONTENT)
    except UsageError as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(EXIT_USAGE)
    click.echo(f"wrote {result.pdf} ({result.pages} pages, {result.charts_rendered} charts drawn, "
               f"{result.charts_cached} cached) in {time.perf_counter() - start:.1f} s")


@cli.command()
@project_option
def check(project: Path) -> None:
    """Validate chapters, data, consistency rules and fonts; render nothing."""
    try:
        _, document = check_project(Options(project=project))
    except ContentError as e:
        _report(e)
        sys.exit(EXIT_CONTENT)
    figures, tables = len(document.figures()), len(document.tables())
    click.echo(f"ok: {len(document.chapters)} chapters, {figures} figures, {tables} tables")


def main() -> None:
    cli(prog_name="whitepaper")


if __name__ == "__main__":
    main()
