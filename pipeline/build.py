"""Run the stages in order: load → validate → resolve → charts → typeset → write.

Nothing reaches ``output/`` until every chapter is loaded, validated and
resolved and the whole PDF has been typeset in memory; the PDF is then written
to a temporary file beside the target and renamed over it, so a failed or
killed build leaves the previous PDF untouched.
"""
from __future__ import annotations

import calendar
import hashlib
import logging
import os
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from . import freshness, manifest
from .files import check_output_file, explain, forget_temp, make_temp
from .model import BuildResult, CityProfile, ContentError, Project, ResolvedDocument, UsageError

# The stages are imported where they are used: a cold build starts its chart worker before it
# pays for importing them (see build()), and `check`, `diff` and `cities` import only their own.

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Options:
    project: Path = Path(".")
    output: str | Path | None = None   # -o as typed; default: <project>/output/whitepaper-<year>.pdf
    cache_dir: Path | None = None    # default: <project>/output/.cache
    city: str | None = None          # build this city's excerpt (an id or a name from the declared cities table)
    edition: str | None = None       # a project of several editions: this year's (default: the newest)


def output_dir(project_root: Path) -> Path:
    return Path(project_root) / "output"


def checked_output_dir(project_root: Path) -> Path:
    """``<project>/output``, refusing one that leads outside the project (a symbolic link, say one
    committed to a repository), since caches, the manifest and PDFs are written there."""
    root = Path(project_root).resolve()
    out = root / "output"
    real = out.resolve()
    if real != out and not real.is_relative_to(root):
        raise UsageError(f"{out}: leads outside the project (a symbolic link to {real}); "
                         "remove the link, or write the PDF elsewhere with -o FILE")
    if os.path.lexists(out) and not out.is_dir():
        raise UsageError(f"{out}: is a file, not a folder; move it away (builds write their results into output/)")
    return out


def default_target(project_root: Path, *parts: str) -> Path:
    """A PDF under ``output/``; refused if it would land anywhere else once links are followed."""
    out = checked_output_dir(project_root)
    target = out.joinpath(*parts)
    if not target.parent.resolve().is_relative_to(out.resolve()):
        raise UsageError(f"{target}: leads outside {out}; remove the symbolic link in the way")
    for folder in [*reversed(target.parent.parents), target.parent]:
        if folder.is_relative_to(out) and os.path.lexists(folder) and not folder.is_dir():
            raise UsageError(f"{folder}: is a file, not a folder; move it away (builds write their results there)")
    return target


def check_writable(folder: Path) -> None:
    """Create (if need be) and write a probe file in ``folder``: a read-only, full or blocked folder is
    one UsageError (exit 2) before a batch starts, not the same error for every city."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = make_temp(folder / ".probe")
        try:
            os.write(fd, b"x")
        finally:
            os.close(fd)
            os.unlink(tmp)
            forget_temp(tmp)
    except OSError as e:
        raise UsageError(explain(e, folder)) from None


def edition_parts(project: Project) -> tuple[str, ...]:
    """The folders under output/ of an edition's PDFs: none, or (<year>,) in a project of several editions."""
    return (str(project.edition_key),) if project.edition_key else ()


def edition_dir(project: Project) -> Path:
    """Where an edition's PDFs go: output/, or output/<year>/ in a project of several editions."""
    return output_dir(project.root).joinpath(*edition_parts(project))


def editions(options: Options) -> list[str]:
    """The years of a project of several editions, oldest first; [None] for a single-edition project."""
    from .load import list_editions

    years = list_editions(Path(options.project))
    return [str(y) for y in years] or [None]


def cache_dir(options: Options) -> Path:
    return options.cache_dir or output_dir(options.project) / ".cache"


# The latest date a PDF can carry (9999-12-31T23:59:59Z); beyond it dates overflow.
MAX_EPOCH = 253402300799


def document_epoch(edition_year: int, edition_month: int | None) -> int:
    """SOURCE_DATE_EPOCH when set (reproducible builds), else the edition's own date — never "now".

    A malformed SOURCE_DATE_EPOCH is a usage error, as the reproducible-builds
    specification asks: silently falling back to another date would be a lie.
    """
    env = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if env:
        if not (env.isascii() and env.isdigit()) or int(env) > MAX_EPOCH:
            shown = env if len(env) <= 40 else env[:40] + "…"
            raise UsageError(f"SOURCE_DATE_EPOCH={shown}: expected whole seconds since 1970-01-01 UTC, "
                             f"at most {MAX_EPOCH} (the end of 9999); fix or unset it")
        return int(env)
    return calendar.timegm((edition_year, edition_month or 1, 1, 0, 0, 0))


def check(options: Options, early_charts: bool = False) -> tuple[Project, ResolvedDocument]:
    """Load, validate and resolve (rules and glyphs included); render nothing. Raises ContentError.
    With ``early_charts``, the resolved document's charts go to the chart worker, if a cold build
    started one, before the glyph check (the worker draws while this process checks and lays out)."""
    from .load import load_project
    from .resolve import resolve_document
    from .validate import validate_project

    project = load_project(options.project, options.edition)
    problems = validate_project(project)
    if problems:
        raise ContentError(problems)
    ed = project.edition.data
    document = resolve_document(project, document_epoch(ed["year"], ed.get("month")), cache_dir=cache_dir(options))
    if early_charts:
        from .charts import send_charts_early

        send_charts_early([f.chart for f in document.figures()], project.fonts["sans"], project.fonts["sans-bold"],
                          cache_dir(options) / "charts")
    _check_glyphs(project, document, options)
    return project, document


def check_all(options: Options) -> list[tuple[str | None, ResolvedDocument, int]]:
    """What ``whitepaper check`` does: :func:`check_edition` for every edition (or ``options.edition``), and
    that no number is typed into the text instead of coming from data/. Raises ContentError with every
    problem of every edition; returns (year, document, pages) per edition."""
    from .validate import literal_numbers

    years = [options.edition] if options.edition is not None else editions(options)
    problems: set = set()
    checked = []
    for year in years:
        try:
            project, document, pages = check_edition(replace(options, edition=year))
        except ContentError as e:
            problems.update(e.problems)   # shared chapters: a mistake is reported once, not once per edition
            continue
        problems.update(literal_numbers(project))
        checked.append((year, document, pages))
    if problems:
        raise ContentError(sorted(problems))
    return checked


def check_edition(options: Options) -> tuple[Project, ResolvedDocument, int]:
    """Everything ``build`` runs short of writing: check, then draw the charts (into the cache, where
    the build will find them) and typeset the whole PDF in memory; returns the page count too.
    So ``check`` ok means ``build`` works (for the full edition)."""
    project, document = check(options)
    figures = document.figures()
    try:
        checked_output_dir(options.project)   # not one leading out of the project, nor a file
        images, _ = draw_charts(project, figures, options)
        return project, document, _typeset_nowhere(project, document, figures, images)
    except (OSError, UsageError):
        # a cache we may not write to (read-only output/): check draws into a folder of its own
        with tempfile.TemporaryDirectory(prefix="whitepaper-check-") as tmp:
            images, _ = draw_charts(project, figures, replace(options, cache_dir=Path(tmp)))
            return project, document, _typeset_nowhere(project, document, figures, images)


def _typeset_nowhere(project: Project, document: ResolvedDocument, figures: list, images: list) -> int:
    from .typeset import typeset_document

    return typeset_document(document, {f.id: img for f, img in zip(figures, images)}, project.fonts, _Discard())


class _Discard:
    """A file that forgets what is written to it: check typesets, but writes nothing."""

    def write(self, data: bytes) -> int:
        return len(data)


def _check_glyphs(project: Project, document: ResolvedDocument, options: Options) -> None:
    from .typeset import font_coverage
    from .validate import glyph_problems

    problems = glyph_problems(document, font_coverage(project.fonts, cache_dir(options)), project.root)
    if problems:
        raise ContentError(problems)


def build(options: Options) -> BuildResult:
    """The full edition, or with ``options.city`` that city's excerpt; recorded in output/manifest.json."""
    from .charts import release_worker

    if options.output is not None:
        check_output_file(options.output, options.project)   # before any work: an empty name, a device …
    checked_output_dir(options.project)
    try:
        _warm_up_charts(options)   # inside: a stop (SIGTERM) during it must still release the worker
        project, document = check(options, early_charts=options.city is None)
        output = None
        if options.output is not None:
            output = check_output_file(options.output, project.root, tuple(manifest.input_files(project)))
        if options.city is not None:
            result = CityBuilder(options, project).build(options.city, output)
        else:
            target = output or default_target(project.root, *edition_parts(project),
                                              f"whitepaper-{document.edition.year}.pdf")
            result = render_pdf(project, document, Path(target), options)
    finally:
        release_worker()   # started by _warm_up_charts even when the build fails before drawing
    manifest.record(output_dir(project.root), [result])
    # what the next `build` of the same command compares against to say "up to date"
    freshness.record(project.root, cache_dir(options), options.output, options.city, result.pdf, result.pages,
                     result.sha256, manifest.input_files(project), options.edition)
    return result


def _warm_up_charts(options: Options) -> None:
    """With an empty chart cache, start the chart worker first: it imports matplotlib while this
    process loads, checks and resolves the project (pipeline/charts/cache.py warm_up)."""
    from .charts import keep_matplotlib_config_in, warm_up
    from .load import FONT_FILES

    keep_matplotlib_config_in(cache_dir(options) / "matplotlib")   # before matplotlib is imported anywhere
    fonts = Path(options.project) / "fonts"
    warm_up(cache_dir(options) / "charts", fonts / FONT_FILES["sans"], fonts / FONT_FILES["sans-bold"])


def city_pdf(project: Project, city_id: str) -> Path:
    return edition_dir(project) / "cities" / f"{city_id}.pdf"


def list_cities(options: Options) -> list[CityProfile]:
    """The cities of the table data/tables.yaml declares (cities:) with the designations each holds (loads and validates; renders nothing)."""
    from .cities import city_profiles
    from .load import load_project
    from .validate import validate_project

    checked_output_dir(options.project)
    project = load_project(options.project, options.edition)
    problems = validate_project(project)
    if problems:
        raise ContentError(problems)
    return list(city_profiles(project).values())


class CityBuilder:
    """Builds per-city excerpts from a project that has been through :func:`check` (loaded, validated,
    its edition resolved with the consistency rules and its glyphs checked).

    A batch worker makes one (its pool initializer), so the project, the data,
    the fonts' glyph coverage and the registered fonts are loaded once per
    process, not once per city.

    Excerpts number their characters as the first city's excerpt does (its
    glyph plan, pipeline/typeset/glyphplan.py), so they share font subsets and
    the lines and charts they print alike.  The plan is a function of the
    inputs: it comes from the first city's build, or when another city is asked
    for, from a layout of the first city with its charts' boxes (never waiting
    for a chart), and is kept in ``output/.cache/glyphs`` for the next build.
    """

    def __init__(self, options: Options, project: Project):
        from .cities import city_profiles
        from .typeset import font_coverage

        self.options = options
        self.project = project
        ed = project.edition.data
        self.epoch = document_epoch(ed["year"], ed.get("month"))
        self.coverage = font_coverage(project.fonts, cache_dir(options))  # registers the fonts: once per worker
        self.reference = next(iter(city_profiles(project)), None)   # whose excerpt the plan comes from
        self._plan = _UNKNOWN
        self._documents: dict[str, ResolvedDocument] = {}   # resolved ahead of their build (prepare)

    def load_fonts(self) -> None:
        """Register the PDF fonts now (a worker does this once, before its first city)."""
        from .typeset import register_fonts

        register_fonts(self.project.fonts)

    def build(self, city: str, output: Path | None = None) -> BuildResult:
        """Resolve, check glyphs and typeset one city's excerpt to output/cities/<id>.pdf (or ``output``)."""
        from .cities import find_city

        city_id = find_city(self.project, city)
        document = self._document(city_id)
        target = Path(output) if output else default_target(self.project.root, *edition_parts(self.project),
                                                            "cities", f"{city_id}.pdf")
        if city_id == self.reference:
            return render_pdf(self.project, document, target, self.options, keep_plan=self._keep_plan)
        return render_pdf(self.project, document, target, self.options, glyphs=self.glyph_plan())

    def _document(self, city_id: str) -> ResolvedDocument:
        from .resolve import resolve_document
        from .validate import glyph_problems

        known = self._documents.pop(city_id, None)
        if known is not None:
            return known
        # the rules were checked with the edition, on the same data (see the class's docstring)
        document = resolve_document(self.project, self.epoch, city_id, rules=False,
                                    cache_dir=cache_dir(self.options))
        problems = glyph_problems(document, self.coverage, self.project.root)
        if problems:
            raise ContentError(problems)
        return document

    def prepare(self, city_ids: list[str]) -> list[ResolvedDocument]:
        """Resolve and check these cities' excerpts now, kept for their builds (a batch does this while
        its charts are drawn).  A city with a mistake is left to its build, which reports it."""
        out = []
        for city_id in city_ids:
            try:
                document = self._document(city_id)
            except (ContentError, UsageError):
                continue
            self._documents[city_id] = document
            out.append(document)
        return out

    def prepared(self) -> dict[str, ResolvedDocument]:
        return dict(self._documents)

    def glyph_plan(self):
        """The plan excerpts other than the first city's number their characters by (None when that
        city's excerpt cannot be built: each excerpt then numbers its own)."""
        if self._plan is _UNKNOWN and not self.plan_stored():
            from .charts import chart_boxes
            from .typeset import glyph_plan_of

            try:
                document = self._document(self.reference)
            except (ContentError, UsageError):
                self._plan = None   # the first city reports its own mistake when it is built
            else:
                # laid out with its charts' boxes: the plan is taken before charts are drawn
                figures = document.figures()
                boxes = dict(zip((f.id for f in figures), chart_boxes([f.chart for f in figures])))
                self._keep_plan(glyph_plan_of(document, boxes, self.project.fonts))
        return self._plan

    def plan_stored(self) -> bool:
        """Whether the plan is known here or in the cache (taken from there if so)."""
        if self._plan is _UNKNOWN:
            from .typeset.glyphplan import loads_plan

            data = self._plan_store().get(self._plan_entry())
            plan = loads_plan(data) if data is not None else None
            if plan is not None:
                self._plan = plan
        return self._plan is not _UNKNOWN

    def adopt(self, plan, documents: dict[str, ResolvedDocument]) -> None:
        """The plan and the resolved excerpts a batch's parent made (a worker takes them rather than
        making them again)."""
        self._plan = plan
        self._documents.update(documents)

    def _keep_plan(self, plan) -> None:
        self._plan = plan
        self._plan_store().put(self._plan_entry(), plan.dumps())

    def _plan_store(self):
        from .cachestore import open_store

        return open_store(cache_dir(self.options), "glyphs")

    def _plan_entry(self) -> str:
        from .freshness import code_fingerprint

        # the first city's excerpt is a function of the inputs (files, tools, date) and of this code
        inputs = manifest.inputs_hash(self.project, self.reference, self.epoch, cache_dir(self.options) / "fonts")
        return f"plan-{hashlib.sha256(f'{inputs}:{code_fingerprint()}'.encode()).hexdigest()[:32]}.json"


_UNKNOWN = object()   # a CityBuilder's glyph plan not looked for yet


def render_pdf(project: Project, document: ResolvedDocument, target: Path, options: Options,
               glyphs=None, keep_plan=None) -> BuildResult:
    """Typeset ``document`` to ``target`` (atomically) with its charts; ``glyphs``/``keep_plan``: see
    :func:`pipeline.typeset.typeset_document`."""
    with atomic_output(target) as out:
        hashed = _HashingWriter(out)
        pages, drawn = _typeset(project, document, hashed, options, glyphs, keep_plan)
    figures = len(document.figures())
    city = document.city_profile.id if document.city_profile is not None else None
    result = BuildResult(pdf=target, pages=pages, charts_rendered=drawn, charts_cached=figures - drawn)
    return replace(result, city=city, sha256=hashed.hexdigest(), edition=project.edition_key or None,
                   inputs=manifest.inputs_hash(project, city, document.epoch, cache_dir(options) / "fonts"))


def _typeset(project: Project, document: ResolvedDocument, out, options: Options, glyphs=None,
             keep_plan=None) -> tuple[int, int]:
    """Lay ``document`` out into ``out`` while the charts not in the cache are drawn; returns the page
    count and how many charts were drawn."""
    from .charts import ChartError, keep_matplotlib_config_in, start_charts
    from .typeset import typeset_document

    figures = document.figures()
    keep_matplotlib_config_in(cache_dir(options) / "matplotlib")   # before a worker imports matplotlib
    try:
        # charts not in the cache are drawn by a worker process while the document is laid out
        with start_charts([f.chart for f in figures], project.fonts["sans"], project.fonts["sans-bold"],
                          cache_dir(options) / "charts") as charts:
            by_id = {f.id: img for f, img in zip(figures, charts.images)}
            log.info("charts: %d drawn, %d from cache", charts.drawn, len(figures) - charts.drawn)
            pages = typeset_document(document, by_id, project.fonts, out, cache_dir(options), glyphs=glyphs,
                                     keep_plan=keep_plan)
            return pages, charts.drawn
    except ChartError as e:
        raise _chart_problem(figures, e) from None


def draw_charts(project: Project, figures: list, options: Options):
    """Every figure's chart as a drawing in the cache (drawn or found there); a chart matplotlib cannot
    draw is a content error at its figure's chapter file:line."""
    from .charts import ChartError, keep_matplotlib_config_in, render_charts

    keep_matplotlib_config_in(cache_dir(options) / "matplotlib")
    try:
        return render_charts([f.chart for f in figures], project.fonts["sans"], project.fonts["sans-bold"],
                             cache_dir(options) / "charts")
    except ChartError as e:
        raise _chart_problem(figures, e) from None


def _chart_problem(figures: list, e: Exception) -> ContentError:
    """A chart matplotlib cannot draw, as a content error at its figure's chapter file:line."""
    from .model import Problem, SourcePos

    figure = next((f for f in figures if f.chart == e.spec or f.chart == replace(e.spec, highlight=f.chart.highlight)),
                  None)
    where = figure.pos if figure is not None else None
    number = f"图 {figure.number}" if figure is not None else "a chart"
    return ContentError([Problem(where or SourcePos("chapters"), "figure", f"{number} cannot be drawn: {e}")])


class _HashingWriter:
    """A write-only file that hashes what passes through (the manifest's sha256 without reading back)."""

    def __init__(self, out):
        self.out = out
        self.hash = hashlib.sha256()

    def write(self, data: bytes) -> int:
        self.hash.update(data)
        return self.out.write(data)

    def hexdigest(self) -> str:
        return self.hash.hexdigest()


class atomic_output:
    """Write to a hidden temp file in the target's folder; rename over the target only on success.

    The temp file is ``.<target>.whitepaper-<random>.tmp``; any OS error on the
    way (no space left, a read-only folder, a file where a folder should be) is
    a UsageError naming the target, and the previous file stays as it was.
    """

    def __init__(self, target: Path):
        self.target = Path(target)
        self.tmp = None

    def __enter__(self):
        try:
            self.target.parent.mkdir(parents=True, exist_ok=True)
            fd, self.tmp = make_temp(self.target)   # registered: an interrupted CLI removes it
        except OSError as e:
            raise UsageError(explain(e, self.target)) from None
        self.file = _CheckedWriter(os.fdopen(fd, "wb"), self.target)
        return self.file

    def __exit__(self, exc_type, exc, tb):
        try:
            if exc_type is None:
                self.file.out.flush()
                os.fsync(self.file.out.fileno())
            self.file.out.close()
            if exc_type is None:
                umask = os.umask(0)
                os.umask(umask)
                os.chmod(self.tmp, 0o666 & ~umask)  # the temp file is 0600; a PDF is for sharing
                os.replace(self.tmp, self.target)
        except OSError as e:
            if exc_type is None:
                raise UsageError(explain(e, self.target)) from None
        finally:
            if os.path.lexists(self.tmp):
                os.unlink(self.tmp)
            forget_temp(self.tmp)
        return False


class _CheckedWriter:
    """The temp file's ``write``: an OS error (ENOSPC …) becomes a UsageError naming the target."""

    def __init__(self, out, target: Path):
        self.out = out
        self.target = target

    def write(self, data: bytes) -> int:
        try:
            return self.out.write(data)
        except OSError as e:
            raise UsageError(explain(e, self.target)) from None


def _diff_side(options: Options, side: str) -> tuple[str, Options]:
    """A ``diff`` argument: an edition of this project (its year), or another project folder (its newest
    edition). Anything else is the command line's mistake (exit 2)."""
    from .load import list_editions

    years = [str(y) for y in list_editions(Path(options.project))]
    if side in years:
        return side, replace(options, edition=side, output=None, city=None)
    folder = Path(side)
    if folder.is_dir() and (folder / "chapters").is_dir():
        return side, Options(project=folder)
    known = f"this project's editions are {', '.join(years)}" if years else \
        f"{options.project} has a single edition"
    raise UsageError(f"diff: '{side}' is neither an edition of this project nor a project folder; {known}")


def diff(options: Options, old: str, new: str):
    """Compare two editions (or project folders) number by number; see :mod:`pipeline.diff`."""
    from .diff import compare

    (old_label, old_options), (new_label, new_options) = _diff_side(options, old), _diff_side(options, new)
    old_project, old_document = check(old_options)
    new_project, new_document = check(new_options)
    return compare(old_project, new_project, old_label, new_label, old_document.epoch, new_document.epoch)


def write_proof(options: Options, new: str, changes, target: Path) -> Path:
    """``diff --pdf``: the NEW side typeset with each changed number highlighted, for proof-reading.
    Not recorded in the manifest: it is a proof, not an edition."""
    from .diff import proof_document

    _, side = _diff_side(options, new)
    project, document = check(side)
    target = check_output_file(target, project.root, tuple(manifest.input_files(project)))   # the same refusals as -o
    render_pdf(project, proof_document(document, changes), target, side)
    return target


def new_edition(options: Options, year: int, source: str | None = None) -> Path:
    """``whitepaper new-edition YEAR``: editions/<YEAR>.yaml, a copy of the newest edition (or ``source``)
    with its year set to YEAR and every period moved on by as many years; comments and layout are kept.
    The copy is a start: the editor reviews its title, periods and copyright."""
    from .load import EDITIONS_DIR, list_editions
    root = Path(options.project).resolve()
    editions = list_editions(root)
    if not editions:
        raise UsageError(f"new-edition: {root} has a single edition (chapters/edition.yaml); move it to "
                         f"{EDITIONS_DIR}/<year>.yaml first (see README: Editions)")
    if source is None:
        old_year = max(editions)
    elif str(source).isdigit() and int(source) in editions:
        old_year = int(source)
    else:
        raise UsageError(f"new-edition --from {source}: no such edition; the editions are "
                         f"{', '.join(map(str, editions))}")
    if year in editions:
        raise UsageError(f"new-edition: edition {year} exists already ({editions[year].path})")
    doc = editions[old_year]
    shift = year - old_year
    lines = doc.text.split("\n")
    edits = [(doc.pos(("year",)), year)]
    periods = doc.data.get("periods") if isinstance(doc.data.get("periods"), dict) else {}
    edits += [(doc.pos(("periods", name)), value + shift) for name, value in periods.items()
              if isinstance(value, int)]
    for pos, value in edits:
        line = lines[pos.line - 1]
        start = pos.column - 1
        end = start + len(str(doc.data["year"] if pos == doc.pos(("year",)) else value - shift))
        lines[pos.line - 1] = line[:start] + str(value) + line[end:]
    target = root / EDITIONS_DIR / f"{year}.yaml"
    try:
        with open(target, "x", encoding="utf-8", newline="") as f:   # "x": never over an existing edition
            f.write("\n".join(lines))
    except OSError as e:
        raise UsageError(f"new-edition: cannot write {target}: {e.strerror or e}") from None
    return target
