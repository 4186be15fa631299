"""The command behind `python -m bench.aggregate` (bench/aggregate.py parses the options and calls
`render_from_options`): one profile's tables folder, rendered from its records.

Pure: reads results/*.json, bench/report/published.yaml and the matrix; never trains, and writes
nothing but the tables folder. A profile with `folder: F` in the matrix (the study profile) reads
results/F/ and writes tables/F/ by default, both committed to git (bench.files.layout). For every
table of the matrix with at least one result it writes tables/table<N>.md and .tex (the table
views of bench/report/views.py: rows from bench/experiment/matrix.yaml, published numbers beside
them, paired gains over `Original` with a 95% interval, a verdict and the verdict adjusted for
its family's multiple comparisons) and the figures table<N>_gains.png and table<N>_curves.png;
then tables/verdicts.md, tables/published_inconsistencies.md, the manifest and report.html.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bench.experiment.matrix import (expand, load_matrix, profile_folder, profile_lambda,
                                     profile_note_with_budgets)
from bench.experiment.spec import config_key
from bench.files.atomic import write_text
from bench.files.layout import (committed_results, default_folders, display_path, remove_unlisted,
                                rendered_here, write_manifest)
from bench.report import figures, html
from bench.report.loading import group_by_config, load_results, seed_histories
from bench.report.published import DEFAULT_PATH, find_inconsistencies, load_published
from bench.report.render import (render_inconsistencies, render_latex, render_latex_detail, render_markdown,
                                 render_verdicts)
from bench.report.seed_plan import profile_planned_seeds
from bench.report.views import (build_table, judge_configurations, standin_datasets, table_stem,
                                tables_with_results, verdict_counts)


class AggregateError(Exception):
    """A reason to render nothing, one line; `status` is the exit status."""

    def __init__(self, message: str, status: int = 2):
        super().__init__(" ".join(str(message).split()))
        self.status = status


def rendered_names(view) -> dict[str, str]:
    """kind -> file name of one table's files in the tables folder."""
    stem = table_stem(view.table)
    return {"md": f"{stem}.md", "tex": f"{stem}.tex", "detail_tex": f"{stem}_detail.tex",
            "gains": f"{stem}_gains.png", "curves": f"{stem}_curves.png"}


def check_tables_folder(folder: Path, profile: str) -> list[str]:
    """The files of this profile's previous render in `folder` (removed after the new one if it
    does not write them again); AggregateError if `folder` holds another profile's tables, so
    that one folder never mixes two profiles (a manifest whose files are all gone holds none)."""
    if folder.exists() and not folder.is_dir():
        raise AggregateError(f"--tables {folder} is not a folder")
    there, files = rendered_here(folder)
    if there is not None and there != profile and files != []:
        raise AggregateError(
            f"{folder} holds the tables of profile {there!r}; rendering profile {profile!r} there "
            f"would mix the two: pass --tables {Path(folder, profile).as_posix()} (or another "
            f"folder), or remove the tables in {folder} first")
    return files if there == profile and files else []


def write_tables(views, inconsistencies, published_path: str, out_dir: Path, profile: str = "",
                 previous=(), also=()) -> tuple[list[Path], list[Path]]:
    """Write every table (Markdown with its detail, LaTeX main and detail, two figures), then
    verdicts.md and published_inconsistencies.md, then the manifest naming the profile and the
    files; then remove the files of `previous` (this profile's last render here) not written
    again. verdicts.md comes after its tables, so a failed write never leaves a new verdict
    list beside old tables. Returns (written, removed)."""
    written = []
    for view in views:
        names = rendered_names(view)
        figures.plot_gains(view, out_dir / names["gains"])
        figures.plot_curves(view, out_dir / names["curves"])
        write_text(out_dir / names["md"], render_markdown(view, {k: names[k] for k in ("gains", "curves")},
                                                          detail_tex=names["detail_tex"]))
        write_text(out_dir / names["tex"], render_latex(view))
        write_text(out_dir / names["detail_tex"], render_latex_detail(view))
        written += [out_dir / names[k] for k in ("md", "tex", "detail_tex", "gains", "curves")]
    write_text(out_dir / "verdicts.md", render_verdicts(views, verdict_counts(views),
                                                        verdict_counts(views, adjusted=True)))
    write_text(out_dir / "published_inconsistencies.md",
               render_inconsistencies(inconsistencies, published_path))
    written += [out_dir / "verdicts.md", out_dir / "published_inconsistencies.md"]
    names = [p.name for p in written] + list(also)     # also: written after this, by the caller
    write_manifest(out_dir, profile, names)
    return written, remove_unlisted(out_dir, previous, names)


def present_profiles(matrix: dict, results: str | None) -> dict[str, tuple[str, int]]:
    """profile -> (its results folder, how many records there match its rows): `results`, or
    each profile's default folder (default_folders)."""
    loaded, present = {}, {}
    for name in matrix["profiles"]:
        folder = results if results is not None else default_folders(None, None, profile_folder(matrix, name))[0]
        if folder not in loaded:
            records = load_results(folder, warn=lambda message: None) if Path(folder).is_dir() else []
            loaded[folder] = [config_key(r["spec"]) for r in records]
        keys = {e.config_key for e in expand(matrix, tables=list(matrix["tables"]), profile=name, seeds=[0])}
        count = sum(key in keys for key in loaded[folder])
        if count:
            present[name] = (folder, count)
    return present


def choose_profile(matrix: dict, results: str | None) -> str:
    """The profile whose results are present; AggregateError naming the choices when none or
    several are."""
    present = present_profiles(matrix, results)
    if len(present) == 1:
        (name, (folder, count)), = present.items()
        print(f"profile {name}: the only one with results ({count} record(s) in {folder})")
        return name
    if not present:
        raise _nothing_present(matrix, results)
    found = ", ".join(f"{n} ({count} record(s) in {folder})" for n, (folder, count) in present.items())
    raise AggregateError(f"results for several profiles: {found}; choose one with --profile "
                         f"{'|'.join(present)}")


def _nothing_present(matrix: dict, results: str | None) -> AggregateError:
    names = list(matrix["profiles"])
    where = (f"in {results}" if results is not None else "in " + ", ".join(
        f"{default_folders(None, None, profile_folder(matrix, n))[0]} ({n})" for n in names))
    return AggregateError(f"no results for any profile ({', '.join(names)}) {where}: nothing to render; "
                          "train first (./run_all.sh) or name one with --profile", 1)


def profiles_to_render(matrix: dict) -> tuple[list[tuple[str, str, str, int]], list[str]]:
    """Every profile with results in its own folders: ([(profile, results, tables, records of its
    rows there), ...], [one
    error line per tables folder that several of them would share]). Profiles without `folder:`
    (smoke, paper) share results/ and tables/: their records are told apart by their rows, but
    one tables folder holds one profile's render, so --profile has to choose between them."""
    present = present_profiles(matrix, None)
    if not present:
        raise _nothing_present(matrix, None)
    by_tables: dict[str, list[str]] = {}
    for name in present:
        by_tables.setdefault(default_folders(None, None, profile_folder(matrix, name))[1], []).append(name)
    chosen, errors = [], []
    for tables, names in by_tables.items():
        if len(names) == 1:
            folder, count = present[names[0]]
            chosen.append((names[0], folder, tables, count))
            continue
        found = ", ".join(f"{n} ({present[n][1]} record(s) in {present[n][0]})" for n in names)
        errors.append(f"results for several profiles that render into {tables}: {found}; "
                      f"render one with --profile {'|'.join(names)}")
    return chosen, errors


def rendered_with(entries, asked, rendered) -> str | None:
    """The line naming the tables rendered beside the `asked` ones (the runner's --table) and
    why: those sharing a configuration with them (their rows changed too), then the others with
    results (a tables folder is rendered whole: verdicts.md and report.html list every table).
    None when nothing beyond the asked tables is rendered."""
    wanted = {str(a).casefold() for a in asked}
    mine = [t for t in rendered if str(t).casefold() in wanted]
    if not wanted or len(mine) == len(rendered):
        return None
    keys = {e.config_key for e in entries if e.table in mine}
    shared: dict = {}
    for e in entries:
        if e.table in rendered and e.table not in mine and e.config_key in keys:
            shared.setdefault(e.table, f"{e.model} on {e.dataset} {e.label}")
    others = [t for t in rendered if t not in mine and t not in shared]
    names = lambda ids: ", ".join(map(str, ids))     # noqa: E731
    parts = []
    if shared:
        parts.append(f"tables {names(shared)}, which share configurations with {names(mine) or 'them'} (e.g. "
                     f"{next(iter(shared.values()))}), so their rows changed too")
    if others:
        parts.append(f"tables {names(others)}, unchanged, since a tables folder is rendered whole "
                     "(verdicts.md and report.html list every table)")
    return f"note: asked for table {names(mine) or ', '.join(sorted(wanted))}; also re-rendered " + "; ".join(parts)


def render_from_options(args) -> int:
    """Render the tables of `args` (bench/aggregate.py's options). Exit 0 when the tables were
    written; 1 when there was nothing to render or a write failed; 2 for bad input. Every
    error is one line, and an error writes nothing."""
    try:
        if args.profile is None and args.results is None and args.tables is None:
            return _render_every(args)
        return _render_one_profile(args)
    except AggregateError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.status


def render_tables(results: str, tables: str, matrix: str, profile: str, asked=()) -> int:
    """The runner's render after training: `render_from_options` of one profile's folders, beside
    the paper's numbers (published.yaml); `asked`, the tables it trained (--table). Same exit statuses."""
    options = argparse.Namespace(results=results, tables=tables, matrix=matrix, profile=profile,
                                 published=str(DEFAULT_PATH.resolve()), asked_table=list(asked) or None)
    return render_from_options(options)


def _render_every(args) -> int:
    """No profile and no folder given: every profile with results, each from its own results
    folder into its own tables folder; the exit status is the worst of theirs."""
    try:
        chosen, errors = profiles_to_render(load_matrix(args.matrix))
    except ValueError as exc:                      # MatrixError
        raise AggregateError(str(exc)) from None
    for line in errors:
        print(f"error: {line}", file=sys.stderr)
    status = 2 if errors else 0
    for profile, results, tables, count in chosen:
        print(f"profile {profile}: the only one with results ({count} record(s) in {results})"
              if len(chosen) == 1 and not errors else
              f"profile {profile}: {count} record(s) in {results}, rendered into {tables}")
        one = argparse.Namespace(**{**vars(args), "profile": profile})
        status = max(status, render_from_options(one))
    return status


def _render_one_profile(args) -> int:
    published, matrix, entries = _read_inputs(args)
    committed = committed_results(args.results, profile_folder(matrix, args.profile))
    groups, histories = _read_results(args, entries, committed)
    tables = tables_with_results(entries, groups)
    if not tables:
        missing = "" if Path(args.results).is_dir() else " (no such folder)"
        raise AggregateError(f"no results in {args.results}{missing} for profile {args.profile!r}: "
                             f"nothing rendered, {args.tables} left as it was", 1)
    line = rendered_with(entries, getattr(args, "asked_table", None) or (), tables)
    if line:
        print(line)
    out = Path(args.tables)
    previous = check_tables_folder(out, args.profile)
    note = profile_note_with_budgets(matrix, args.profile)
    standins, lam = standin_datasets(entries), profile_lambda(matrix, args.profile)
    planned_seeds = profile_planned_seeds(matrix, args.profile, entries)
    judgements = judge_configurations(entries, published, groups, planned_seeds, histories)
    views = [build_table(t, published, entries, groups, args.profile,
                         caption=_caption(t, published, matrix), profile_note=note,
                         standins=standins, default_lambda=lam, judgements=judgements)
             for t in tables]
    _write(views, published, args, out, previous)
    return 0


def _read_inputs(args) -> tuple[dict, dict, list]:
    """(published, matrix, entries) of `args`, its profile chosen and its folders resolved
    (args.profile, args.results, args.tables set)."""
    if args.results is not None and not Path(args.results).is_dir():
        what = "is not a folder" if Path(args.results).exists() else "does not exist"
        raise AggregateError(f"--results {args.results} {what}: nothing rendered")
    try:
        published = load_published(args.published)
    except UnicodeDecodeError as exc:              # PublishedError names the file for the rest
        raise AggregateError(f"--published {args.published}: cannot read published numbers: not UTF-8 "
                             f"text ({exc.reason} at byte {exc.start})") from None
    except ValueError as exc:                      # PublishedError
        raise AggregateError(str(exc)) from None
    try:
        matrix = load_matrix(args.matrix)
        if args.profile is None:
            args.profile = choose_profile(matrix, args.results)
        entries = expand(matrix, tables=list(matrix["tables"]), profile=args.profile, seeds=[0])
    except ValueError as exc:                      # MatrixError
        raise AggregateError(str(exc)) from None
    args.results, args.tables = default_folders(args.results, args.tables,
                                                profile_folder(matrix, args.profile))
    return published, matrix, entries


def _read_results(args, entries, committed: bool = False) -> tuple[dict[str, list[dict]], dict]:
    """(the records of args.results grouped by configuration, their seed_histories), with a note
    for stale keys and for configurations no row of the profile names. An invalid record (each
    named in a warning) is skipped with a summary line; in a `committed` folder it stops the
    render (AggregateError, exit 1), so committed tables never lose seeds without a word."""
    invalid: list = []
    records = load_results(args.results, invalid=invalid, check_names=True) if Path(args.results).is_dir() else []
    if invalid and committed:
        raise AggregateError(f"{len(invalid)} invalid record(s) in {args.results} (named above), a folder the "
                             f"repository commits: nothing rendered, {args.tables} left as it was; restore "
                             f"them (git checkout -- {args.results}) or move them out of the folder", 1)
    if invalid:
        print(f"note: {len(invalid)} invalid record(s) in {args.results} skipped (named above); the tables "
              "count the others", file=sys.stderr)
    stale = sum(r.get("config_key") != config_key(r["spec"]) for r in records)
    if stale:
        print(f"note: {stale} record(s) store a config_key that differs from their spec's; "
              "matched by their spec", file=sys.stderr)
    groups = group_by_config(records)
    unmatched = set(groups) - {e.config_key for e in entries}
    if unmatched:
        print(f"note: {len(unmatched)} configuration(s) in {args.results} match no matrix row "
              f"under profile {args.profile!r}", file=sys.stderr)
    return groups, seed_histories(records)


def _write(views, published: dict, args, out: Path, previous) -> None:
    """write_tables, then a line per file written or removed."""
    try:
        written, removed = write_tables(views, find_inconsistencies(published), display_path(args.published),
                                        out, args.profile, previous, also=(html.PAGE,))
        html.write_report(out, args.results, args.profile, args.matrix)
        written.append(out / html.PAGE)
    except OSError as exc:
        raise AggregateError(f"could not write the tables in {out}: {exc.strerror or exc}; the folder "
                             "may hold a partial render (its verdicts.md is the previous one's): "
                             "re-run once fixed", 1) from None
    for path in written:
        print(f"wrote {path}")
    for path in removed:
        print(f"removed {path} (its table has no result any more)")


def _caption(table, published: dict, matrix: dict) -> str:
    if table in published["tables"]:
        return published["tables"][table]["caption"]
    return str(matrix["tables"][table].get("title", table))
