"""``feedback-nlp taxonomy``: analysts steer the themes from the command line.

Thin commands over :class:`~feedback_nlp.taxonomy.service.TaxonomyService`, the same operations
as ``/v1/taxonomy``: ``log``, ``merge``, ``split`` (``--preview`` first), ``move``, ``ignore``,
``seed`` (``--preview`` first), ``rename``, ``undo`` and ``redo``. Each edit is recorded as made by
``--actor`` (default ``cli:<user>``). Exit code 0 on success, 2 when the edit is refused (the
reason is printed: an unknown theme, a conflict with another edit, a split too small...).
"""

from __future__ import annotations

import getpass
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from feedback_nlp.cli._edge import console, edge, ingested_workspace, print_json, refuse
from feedback_nlp.errors import FeedbackNLPError

if TYPE_CHECKING:
    from feedback_nlp.taxonomy.service import EditOutcome, TaxonomyService
    from feedback_nlp.taxonomy_records import Operation

__all__ = ["taxonomy_app"]

taxonomy_app = typer.Typer(
    help="Steer the themes: merge, split, move, ignore, seed, rename, undo, redo (recorded).",
    no_args_is_help=True,
)

WorkspaceOption = Annotated[str, typer.Option(help="The workspace whose themes are edited.")]
ActorOption = Annotated[
    str | None, typer.Option(help="Who edits, as recorded (default: cli:<your user name>).")
]
ExpectedOption = Annotated[
    int | None,
    typer.Option(help="Refuse the edit if the latest operation is not this seq (see 'log')."),
]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


@contextmanager
def _service(ctx: typer.Context, workspace: str, actor: str | None) -> Iterator[TaxonomyService]:
    """The workspace's taxonomy service over the configured store; errors end the command."""
    from feedback_nlp.taxonomy.embedders import EmbedderPool
    from feedback_nlp.taxonomy.service import TaxonomyService

    cli = edge(ctx)
    try:
        with cli.store() as store:
            found = ingested_workspace(store, workspace)
            pool = EmbedderPool(cli.settings.models.embedder)
            yield TaxonomyService(
                store,
                found.id,
                actor=actor or f"cli:{getpass.getuser()}",
                embedder=pool.for_workspace(store, found.id),
            )
    except FeedbackNLPError as error:
        refuse(error)


def _edited(outcome: EditOutcome, as_json: bool) -> None:
    op = outcome.operation
    if as_json:
        print_json(
            {
                "operation": op.to_json(),
                "units_moved": outcome.units_moved,
                "report": outcome.report,
            }
        )
        return
    note = f" ({escape(op.note)})" if op.note else ""
    console.print(
        f"Operation {op.seq} ({op.kind}) {op.status}{note}: {outcome.units_moved} unit(s) moved."
    )
    for problem in outcome.report["not_applied"]:
        if problem["seq"] != op.seq:
            console.print(
                f"  operation {problem['seq']} ({problem['kind']}) is {problem['status']}: "
                f"{escape(str(problem['note']))}"
            )


def _run(
    ctx: typer.Context,
    workspace: str,
    actor: str | None,
    as_json: bool,
    edit: Callable[[TaxonomyService], Any],
) -> None:
    with _service(ctx, workspace, actor) as taxonomy:
        outcome = edit(taxonomy)
    _edited(outcome, as_json)


@taxonomy_app.command("log")
def log(ctx: typer.Context, workspace: WorkspaceOption, as_json: JsonFlag = False) -> None:
    """List the workspace's operations in order: who, when, what, and how each fared."""
    from feedback_nlp.taxonomy.redo import redo_stack

    with _service(ctx, workspace, None) as taxonomy:
        operations = taxonomy.operations()
        summary = taxonomy.summary()
    if as_json:
        print_json(
            {
                "operations": [op.to_json() for op in operations],
                "latest_seq": summary.latest_seq,
                "redo_seqs": [op.seq for op in redo_stack(operations)],
                "min_theme_size": summary.min_theme_size,
            }
        )
        return
    table = Table(
        "seq",
        "kind",
        "what",
        "status",
        "by",
        "when",
        title=f"{len(operations)} operation(s); the latest run's smallest theme: "
        f"{summary.min_theme_size} units",
    )
    for op in operations:
        status = op.status if op.note is None else f"{op.status}: {op.note}"
        if op.undone_at is not None:
            status = f"undone by {op.undone_by} {op.undone_at:%Y-%m-%d %H:%M}"
        table.add_row(
            str(op.seq),
            op.kind,
            escape(_what(op)),
            escape(status),
            escape(op.actor or "–"),
            f"{op.created_at:%Y-%m-%d %H:%M}",
        )
    console.print(table)


def _what(op: Operation) -> str:
    redo = f" (redo of {op.params['redo_of']})" if op.params.get("redo_of") else ""
    return _described(op) + redo


def _described(op: Operation) -> str:
    p = op.params
    if op.kind == "merge":
        return f"{', '.join(p['theme_ids'])} -> {p['keep']}" + (
            f" '{p['label']}'" if p.get("label") else ""
        )
    if op.kind == "split":
        return f"{p['theme_id']} -> {', '.join(p['children'])}"
    if op.kind == "move":
        return f"{len(p['units'])} unit(s) -> {p['to'] or 'unassigned'}"
    if op.kind == "seed":
        return f"{p['theme_id']} '{p['name']}' ({len(p['examples'])} examples, >= {p['threshold']})"
    if op.kind == "rename":
        return f"{p['theme_id']} -> {p['label']!r}"
    return str(p.get("theme_id", ""))


@taxonomy_app.command("merge")
def merge(
    ctx: typer.Context,
    workspace: WorkspaceOption,
    theme_ids: Annotated[list[str], typer.Argument(help="Two or more theme ids.")],
    keep: Annotated[
        str | None, typer.Option(help="The id that stays (default: the first).")
    ] = None,
    label: Annotated[str | None, typer.Option(help="Label of the merged theme.")] = None,
    actor: ActorOption = None,
    expected_seq: ExpectedOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Merge themes into one; the kept theme takes every unit of the others."""
    _run(
        ctx,
        workspace,
        actor,
        as_json,
        lambda t: t.merge(theme_ids, keep=keep, label=label, expected_seq=expected_seq),
    )


@taxonomy_app.command("split")
def split(
    ctx: typer.Context,
    workspace: WorkspaceOption,
    theme_id: Annotated[str, typer.Argument(help="The theme to split.")],
    k: Annotated[int, typer.Option("--k", help="Children, 2..20.")] = 2,
    label: Annotated[
        list[str] | None, typer.Option(help="Labels of the children, in order (repeatable).")
    ] = None,
    seed: Annotated[int, typer.Option(help="The k-means seed (the preview's).")] = 0,
    preview: Annotated[
        bool, typer.Option("--preview", help="Show the children; change nothing.")
    ] = False,
    actor: ActorOption = None,
    expected_seq: ExpectedOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Split a theme into k children (its units' embeddings re-clustered)."""
    if not preview:
        _run(
            ctx,
            workspace,
            actor,
            as_json,
            lambda t: t.split(theme_id, k, labels=label, seed=seed, expected_seq=expected_seq),
        )
        return
    with _service(ctx, workspace, actor) as taxonomy:
        shown = taxonomy.preview_split(theme_id, k, seed=seed)
    if as_json:
        print_json({"theme_id": shown.theme_id, "k": shown.k, "children": shown.children})
        return
    console.print(f"{theme_id} would split into {k} (smallest theme: {shown.min_theme_size}):")
    for child in shown.children:
        name = " / ".join(child["label"].values()) or "(no label)"
        console.print(f"  {child['theme_id']}  {child['size']} units  {escape(name)}")
        for quote in child["quotes"][:3]:
            console.print(f"      “{escape(quote['text'])}”")


@taxonomy_app.command("move")
def move(
    ctx: typer.Context,
    workspace: WorkspaceOption,
    to: Annotated[str | None, typer.Option(help="The target theme.")] = None,
    unassigned: Annotated[
        bool, typer.Option("--unassigned", help="Move to the unassigned pool instead.")
    ] = False,
    unit: Annotated[list[str] | None, typer.Option(help="ITEM_ID:UNIT_INDEX (repeatable).")] = None,
    item: Annotated[list[str] | None, typer.Option(help="An item id: all its units.")] = None,
    actor: ActorOption = None,
    expected_seq: ExpectedOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Move units or items to a theme (--to) or to the unassigned pool (--unassigned)."""
    if (to is None) == (not unassigned):
        console.print("[red]Give exactly one of --to THEME and --unassigned.[/red]")
        raise typer.Exit(code=2)
    refs = []
    for text in unit or []:
        item_id, _, index = text.rpartition(":")
        if not item_id or not index.isdigit():
            console.print(f"[red]{escape(repr(text))} is not ITEM_ID:UNIT_INDEX.[/red]")
            raise typer.Exit(code=2)
        refs.append((item_id, int(index)))
    _run(
        ctx,
        workspace,
        actor,
        as_json,
        lambda t: t.move(to=to, units=refs, items=item or [], expected_seq=expected_seq),
    )


@taxonomy_app.command("ignore")
def ignore(
    ctx: typer.Context,
    workspace: WorkspaceOption,
    theme_id: Annotated[str, typer.Argument(help="The theme to hide from the insights.")],
    actor: ActorOption = None,
    expected_seq: ExpectedOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Hide a theme from the insights (its units stay in it)."""
    _run(ctx, workspace, actor, as_json, lambda t: t.ignore(theme_id, expected_seq=expected_seq))


@taxonomy_app.command("seed")
def seed(
    ctx: typer.Context,
    workspace: WorkspaceOption,
    name: Annotated[str, typer.Option(help="The theme's name.")],
    example: Annotated[
        list[str] | None, typer.Option(help="An example phrase, any language (repeatable).")
    ] = None,
    threshold: Annotated[
        float | None, typer.Option(help="Similarity a unit needs (default: the workspace's).")
    ] = None,
    preview: Annotated[
        bool, typer.Option("--preview", help="Show the claims; change nothing.")
    ] = False,
    actor: ActorOption = None,
    expected_seq: ExpectedOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Make a theme from a name and example phrases; it claims similar units now and later."""
    examples = example or []
    if not preview:
        _run(
            ctx,
            workspace,
            actor,
            as_json,
            lambda t: t.seed(name, examples, threshold=threshold, expected_seq=expected_seq),
        )
        return
    with _service(ctx, workspace, actor) as taxonomy:
        shown = taxonomy.preview_seed(name, examples, threshold=threshold)
    if as_json:
        print_json(
            {
                "theme_id": shown.theme_id,
                "threshold": shown.threshold,
                "default_threshold": shown.default_threshold,
                "n_claimed": shown.n_claimed,
                "taken_from": shown.taken_from,
                "scores": shown.scores,
                "quotes": shown.quotes,
            }
        )
        return
    console.print(
        f"'{escape(name)}' would claim {shown.n_claimed} unit(s) at threshold {shown.threshold} "
        f"(default {shown.default_threshold}; scores {shown.scores}):"
    )
    for theme, count in shown.taken_from.items():
        console.print(f"  {count} from {theme}")
    for quote in shown.quotes[:5]:
        console.print(f"      “{escape(quote['text'])}”")


@taxonomy_app.command("rename")
def rename(
    ctx: typer.Context,
    workspace: WorkspaceOption,
    theme_id: Annotated[str, typer.Argument(help="The theme (or parent group).")],
    label: Annotated[
        str | None, typer.Argument(help="The new label (leave out with --reset).")
    ] = None,
    reset: Annotated[bool, typer.Option("--reset", help="Back to the generated label.")] = False,
    actor: ActorOption = None,
    expected_seq: ExpectedOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Give a theme a custom label (recorded, kept across re-mines)."""
    if (label is None) != reset:
        console.print("[red]Give a LABEL, or --reset for the generated one.[/red]")
        raise typer.Exit(code=2)
    _run(
        ctx,
        workspace,
        actor,
        as_json,
        lambda t: t.rename(theme_id, label, expected_seq=expected_seq),
    )


@taxonomy_app.command("undo")
def undo(
    ctx: typer.Context,
    workspace: WorkspaceOption,
    seq: Annotated[
        int | None, typer.Option(help="The operation to undo (default: the latest in force).")
    ] = None,
    actor: ActorOption = None,
    expected_seq: ExpectedOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Undo an operation; the ones after it are replayed without it."""
    _run(ctx, workspace, actor, as_json, lambda t: t.undo(seq, expected_seq=expected_seq))


@taxonomy_app.command("redo")
def redo(
    ctx: typer.Context,
    workspace: WorkspaceOption,
    seq: Annotated[
        int | None,
        typer.Option(help="The undone operation to redo (default: the latest undone)."),
    ] = None,
    actor: ActorOption = None,
    expected_seq: ExpectedOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Make an undone operation again, as a new one (a new edit after an undo clears it)."""
    _run(ctx, workspace, actor, as_json, lambda t: t.redo(seq, expected_seq=expected_seq))
