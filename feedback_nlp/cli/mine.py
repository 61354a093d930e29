"""``feedback-nlp mine``: mine a workspace's themes as a job (the work is in :mod:`.batch`)."""

from __future__ import annotations

from typing import Annotated

import typer

from feedback_nlp.cli._edge import JsonFlag, console, edge, refuse
from feedback_nlp.errors import FeedbackNLPError
from feedback_nlp.filters import ALIASES_REMOVED_IN

__all__ = ["mine"]


def mine(
    ctx: typer.Context,
    workspace: Annotated[str, typer.Option(help="Workspace to mine.")],
    wait: Annotated[
        bool, typer.Option("--wait/--no-wait", help="Run the job here, or only queue it.")
    ] = True,
    source: Annotated[str | None, typer.Option(help="Only items of this source.")] = None,
    segment: Annotated[
        list[str] | None,
        typer.Option(
            help="Filter 'key:value' (repeatable): plan:pro. The old 'key=value' is deprecated: "
            f"read with a warning, refused from release {ALIASES_REMOVED_IN}."
        ),
    ] = None,
    period: Annotated[
        str | None, typer.Option(help="Window: 2026, 2026-09, 2026-W38 or 2026-09-21 (UTC).")
    ] = None,
    start: Annotated[str | None, typer.Option("--from", help="From this ISO instant.")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Before this ISO instant.")] = None,
    seed: Annotated[int, typer.Option(help="Random seed of the run.")] = 0,
    min_theme_size: Annotated[int | None, typer.Option(help="Smallest theme, in units.")] = None,
    n_resamples: Annotated[int, typer.Option(help="Resamples behind confidences.")] = 3,
    fast: Annotated[
        bool,
        typer.Option(
            "--fast",
            help="Fast mode: static embeddings (FEEDBACK_NLP_MODELS__FAST_EMBEDDER) for very "
            "large corpora; unit sentiment from the static head (sentiment-static-head-v1).",
        ),
    ] = False,
    top: Annotated[int, typer.Option(help="Themes shown.")] = 20,
    engine: Annotated[
        str, typer.Option(help="Where embedding and mining run: local (this process) or ray.")
    ] = "local",
    ray_address: Annotated[
        str | None,
        typer.Option(help="Ray cluster to join (auto, ray://HEAD:10001); default: a local one."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Mine the themes of a workspace as a job, with a progress bar; Ctrl-C cancels it.

    With --engine ray, embedding (cache misses only) and mining run on a Ray cluster; loading,
    caching and saving stay here. Needs pip install 'feedback-nlp[ray]'.

    Exit code 0 when the job succeeded (or was queued with --no-wait), 1 when it failed, 130
    when it was cancelled, 2 when it could not be queued.
    """
    from feedback_nlp.cli.batch import mine_params, run_mine
    from feedback_nlp.engines import get_engine
    from feedback_nlp.errors import InvalidInputError

    cli = edge(ctx)
    try:
        params = mine_params(
            source=source,
            segments=segment or [],
            period=period,
            start=start,
            end=end,
            warn=lambda message: typer.echo(f"Deprecated: {message}", err=True),
            seed=seed,
            min_theme_size=min_theme_size,
            n_resamples=n_resamples,
            mode="fast" if fast else "accurate",
        )
        if not wait and (engine != "local" or ray_address is not None):
            raise InvalidInputError(
                "--engine and --ray-address choose where this command runs the job: they need "
                "--wait. A queued job (--no-wait) runs on the server's worker."
            )
        runner = get_engine(engine, ray_address)
        try:
            with cli.store() as store:
                _, code = run_mine(
                    console,
                    store,
                    cli.settings,
                    workspace,
                    params,
                    wait=wait,
                    top=top,
                    as_json=as_json,
                    engine=runner,
                )
        finally:
            runner.close()
    except FeedbackNLPError as error:
        refuse(error)
    if code:
        raise typer.Exit(code=code)
