"""``/ui`` forms that steer the themes: merge, split, move, ignore, seed, rename, history, redo.

Plain HTML forms (the dashboard runs no script), each going through the same
:class:`~feedback_nlp.taxonomy.service.TaxonomyService` as ``/v1/taxonomy``, so every edit is
recorded with the key's name and replayed by later mining runs. Every form that changes data
carries the session's CSRF token (403 without it) and the latest operation the page showed
(``expected_seq``: a 409 page when someone edited meanwhile); a successful edit answers 303 to a
page that describes the recorded operation (see :mod:`api.ui.edits`), a refused one a readable
page with the problem's status (404, 409, 422) and a way back.

Splits and seeds are previewed first: ``GET /ui/themes/{id}/split?k=`` shows the children (their
sizes and quotes) with an "Apply split" form, ``POST /ui/seed/preview`` the units a seed would
claim at its threshold with "Preview again" and "Apply seed" buttons.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from api.deps import StoreDep
from api.taxonomy_deps import EmbeddersDep
from api.ui.auth import UiSession, login_redirect
from api.ui.edits import (
    POOL,
    FlashDep,
    edit_state,
    form_int,
    form_number,
    optional_int,
    taxonomy_service,
    theme_names,
)
from api.ui.forms import problem_page, signed_in, submit_form
from api.ui.labels import label_by_theme
from api.ui.page_data import theme_context
from api.ui.pages import page
from feedback_nlp.errors import FeedbackNLPError, InvalidInputError
from feedback_nlp.store.store import Store
from feedback_nlp.taxonomy.embedders import EmbedderPool
from feedback_nlp.taxonomy.previews import SeedPreview
from feedback_nlp.taxonomy.redo import redo_stack
from feedback_nlp.taxonomy.service import EditOutcome, TaxonomyService

router = APIRouter(prefix="/ui", include_in_schema=False)

FormText = Annotated[str | None, Form()]
FormList = Annotated[list[str] | None, Form()]
Edit = Callable[[TaxonomyService], str]
"""Makes one edit and returns the URL to show next."""


def theme_page_url(theme_id: str, done: EditOutcome | None = None) -> str:
    """The page of a theme (reporting the operation ``done`` when given)."""
    url = f"/ui/themes/{quote(theme_id, safe='')}"
    return url if done is None else f"{url}?done={done.operation.seq}"


async def _submit(
    request: Request,
    store: Store,
    embedders: EmbedderPool,
    csrf_token: str | None,
    back_url: str,
    edit: Edit,
) -> Response:
    """Check the session and the token, make ``edit``, and send the browser on (303)."""

    def action(session: UiSession) -> str:
        return edit(taxonomy_service(store, session, embedders))

    return await submit_form(request, store, csrf_token, back_url, action)


def _label(value: str | None) -> str | None:
    """A typed label, ``None`` when left blank."""
    return value.strip() if value and value.strip() else None


# --- merge, move, ignore, rename ------------------------------------------------------------


@router.post("/merge", response_model=None)
async def merge(
    request: Request,
    store: StoreDep,
    embedders: EmbeddersDep,
    theme_ids: FormList = None,
    keep: FormText = None,
    label: FormText = None,
    expected_seq: FormText = None,
    csrf_token: FormText = None,
) -> Response:
    """Merge the themes ticked on the dashboard into one (``keep``: default the first)."""

    def edit(service: TaxonomyService) -> str:
        done = service.merge(
            theme_ids or [],
            keep=_label(keep),
            label=_label(label),
            expected_seq=optional_int(expected_seq, "expected_seq"),
        )
        return theme_page_url(str(done.operation.params["keep"]), done)

    return await _submit(request, store, embedders, csrf_token, "/ui", edit)


@router.post("/themes/{theme_id}/move", response_model=None)
async def move(
    request: Request,
    theme_id: str,
    store: StoreDep,
    embedders: EmbeddersDep,
    item_id: FormText = None,
    text: FormText = None,
    to: FormText = None,
    expected_seq: FormText = None,
    csrf_token: FormText = None,
) -> Response:
    """Move a quote of the theme (``text`` given) or a whole item to another theme or the pool."""

    def edit(service: TaxonomyService) -> str:
        if not to:
            raise InvalidInputError("Choose the theme to move to (or the unassigned pool).")
        if not item_id:
            raise InvalidInputError("The form names no feedback item to move. Reload the page.")
        units = [(item_id, text)] if text else []
        done = service.move(
            to=None if to == POOL else to,
            units=units,
            items=[] if text else [item_id],
            expected_seq=optional_int(expected_seq, "expected_seq"),
        )
        return theme_page_url(theme_id, done)

    back = theme_page_url(theme_id)
    return await _submit(request, store, embedders, csrf_token, back, edit)


@router.post("/themes/{theme_id}/ignore", response_model=None)
async def ignore(
    request: Request,
    theme_id: str,
    store: StoreDep,
    embedders: EmbeddersDep,
    expected_seq: FormText = None,
    csrf_token: FormText = None,
) -> Response:
    """Hide the theme from the insights (undo it from the edit history)."""

    def edit(service: TaxonomyService) -> str:
        expected = optional_int(expected_seq, "expected_seq")
        done = service.ignore(theme_id, expected_seq=expected)
        return f"/ui?done={done.operation.seq}"

    back = theme_page_url(theme_id)
    return await _submit(request, store, embedders, csrf_token, back, edit)


@router.post("/themes/{theme_id}/rename", response_model=None)
async def rename_theme(
    request: Request,
    theme_id: str,
    store: StoreDep,
    embedders: EmbeddersDep,
    label: Annotated[str, Form()] = "",
    expected_seq: FormText = None,
    csrf_token: FormText = None,
    reset: FormText = None,
) -> Response:
    """Rename a theme (``reset`` goes back to the generated label), then show it again.

    A blank name shows the theme page again with the problem (422).
    """

    def rename(session: UiSession) -> str | Response:
        expected = optional_int(expected_seq, "expected_seq")
        service = taxonomy_service(store, session, embedders)
        try:
            service.rename(theme_id, None if reset else label, expected_seq=expected)
        except InvalidInputError as error:
            context = theme_context(request, store, session, theme_id, None, None)
            return page("ui/theme.html", status_code=422, **context, flash=None, error=str(error))
        return f"{theme_page_url(theme_id)}?renamed=true"

    return await submit_form(request, store, csrf_token, theme_page_url(theme_id), rename)


# --- split: preview, then apply -------------------------------------------------------------


@router.get("/themes/{theme_id}/split", response_model=None)
async def split_preview(
    request: Request,
    theme_id: str,
    store: StoreDep,
    embedders: EmbeddersDep,
    k: Annotated[str | None, Query()] = None,
    seed: Annotated[str | None, Query()] = None,
) -> Response:
    """The children a split of the theme into ``k`` would make, with a form to apply it."""
    session = await signed_in(request, store)
    if session is None:
        return login_redirect(request)

    def preview() -> dict[str, Any]:
        children = form_int(k, "k")
        kmeans_seed = optional_int(seed, "seed") or 0
        edit = edit_state(store, session.workspace.id, None)  # read before the preview
        service = taxonomy_service(store, session, embedders)
        shown = service.preview_split(theme_id, children, seed=kmeans_seed)
        return {
            "session": session,
            "preview": shown,
            "theme": store.get_theme(session.workspace.id, theme_id).theme,
            "theme_label": label_by_theme(store, session.workspace.id).get(theme_id, ""),
            "seed": kmeans_seed,
            "edit": edit,
        }

    try:
        context = await run_in_threadpool(preview)
    except FeedbackNLPError as error:
        return problem_page(session, error.status, str(error), theme_page_url(theme_id))
    return page("ui/split_preview.html", **context)


@router.post("/themes/{theme_id}/split", response_model=None)
async def split(
    request: Request,
    theme_id: str,
    store: StoreDep,
    embedders: EmbeddersDep,
    k: FormText = None,
    seed: FormText = None,
    labels: FormList = None,
    expected_seq: FormText = None,
    csrf_token: FormText = None,
) -> Response:
    """Apply the split the preview showed (same ``k`` and ``seed``), naming children as typed."""

    def edit(service: TaxonomyService) -> str:
        done = service.split(
            theme_id,
            form_int(k, "k"),
            labels=[_label(name) for name in labels or []],
            seed=optional_int(seed, "seed") or 0,
            expected_seq=optional_int(expected_seq, "expected_seq"),
        )
        return f"/ui?done={done.operation.seq}"

    back = theme_page_url(theme_id)
    return await _submit(request, store, embedders, csrf_token, back, edit)


# --- seed: form, preview, apply -------------------------------------------------------------


def _examples(text: str | None) -> list[str]:
    """One example phrase per line (blank lines dropped)."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _seed_page(
    store: Store,
    session: UiSession,
    values: dict[str, str] | None = None,
    *,
    preview: SeedPreview | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The seed form with what was typed (``values``), and the preview or the problem."""
    edit = edit_state(store, session.workspace.id, None)
    names = theme_names(store, session.workspace.id) if preview is not None else {}
    return page(
        "ui/seed.html",
        status_code=status_code,
        session=session,
        edit=edit,
        names=names,
        values=values or {"name": "", "examples": "", "threshold": ""},
        preview=preview,
        error=error,
    )


@router.get("/seed", response_model=None)
async def seed_form(request: Request, store: StoreDep) -> Response:
    """The form that seeds a theme from a name and example phrases."""
    session = await signed_in(request, store)
    if session is None:
        return login_redirect(request)
    return await run_in_threadpool(lambda: _seed_page(store, session))


@router.post("/seed/preview", response_model=None)
async def seed_preview(
    request: Request,
    store: StoreDep,
    embedders: EmbeddersDep,
    name: FormText = None,
    examples: FormText = None,
    threshold: FormText = None,
    csrf_token: FormText = None,
) -> Response:
    """The units a seed would claim now at its threshold (nothing is written)."""
    typed = {"name": name or "", "examples": examples or "", "threshold": threshold or ""}

    def render(session: UiSession) -> HTMLResponse:
        service = taxonomy_service(store, session, embedders)
        try:
            shown = service.preview_seed(
                name or "", _examples(examples), threshold=form_number(threshold, "threshold")
            )
        except FeedbackNLPError as error:
            return _seed_page(store, session, typed, error=str(error), status_code=error.status)
        return _seed_page(store, session, typed, preview=shown)

    return await submit_form(request, store, csrf_token, "/ui/seed", render)


@router.post("/seed", response_model=None)
async def seed(
    request: Request,
    store: StoreDep,
    embedders: EmbeddersDep,
    name: FormText = None,
    examples: FormText = None,
    threshold: FormText = None,
    expected_seq: FormText = None,
    csrf_token: FormText = None,
) -> Response:
    """Make the seeded theme the preview showed, and open its page."""

    def edit(service: TaxonomyService) -> str:
        done = service.seed(
            name or "",
            _examples(examples),
            threshold=form_number(threshold, "threshold"),
            expected_seq=optional_int(expected_seq, "expected_seq"),
        )
        return theme_page_url(str(done.operation.params["theme_id"]), done)

    return await _submit(request, store, embedders, csrf_token, "/ui/seed", edit)


# --- history, undo and redo ----------------------------------------------------------------


@router.get("/history", response_model=None)
async def history(request: Request, store: StoreDep, flash: FlashDep) -> Response:
    """Every edit of the workspace, newest first: who, when, what, how it fared; undo, redo."""
    session = await signed_in(request, store)
    if session is None:
        return login_redirect(request)

    def context() -> dict[str, Any]:
        operations = store.list_operations(session.workspace.id)
        in_force = [op.seq for op in operations if op.in_force]
        stack = redo_stack(operations)
        return {
            "session": session,
            "operations": operations[::-1],
            "undoable": in_force[-1] if in_force else None,
            "redoable": stack[0].seq if stack else None,
            "names": theme_names(store, session.workspace.id),
            "edit": edit_state(store, session.workspace.id, flash),
        }

    return page("ui/history.html", **await run_in_threadpool(context))


async def _undo_or_redo(
    request: Request,
    store: Store,
    embedders: EmbedderPool,
    form: tuple[str | None, str | None, str | None],
    *,
    redo: bool,
) -> Response:
    """Undo (or redo) operation ``seq``, then show the history reporting it."""
    seq, expected_seq, csrf_token = form

    def edit(service: TaxonomyService) -> str:
        step = service.redo if redo else service.undo
        expected = optional_int(expected_seq, "expected_seq")
        done = step(optional_int(seq, "seq"), expected_seq=expected)
        return f"/ui/history?{'done' if redo else 'undone'}={done.operation.seq}"

    return await _submit(request, store, embedders, csrf_token, "/ui/history", edit)


@router.post("/undo", response_model=None)
async def undo(
    request: Request,
    store: StoreDep,
    embedders: EmbeddersDep,
    seq: FormText = None,
    expected_seq: FormText = None,
    csrf_token: FormText = None,
) -> Response:
    """Undo an operation (the latest in force when ``seq`` is blank); the rest are replayed."""
    form = (seq, expected_seq, csrf_token)
    return await _undo_or_redo(request, store, embedders, form, redo=False)


@router.post("/redo", response_model=None)
async def redo(
    request: Request,
    store: StoreDep,
    embedders: EmbeddersDep,
    seq: FormText = None,
    expected_seq: FormText = None,
    csrf_token: FormText = None,
) -> Response:
    """Redo an undone operation (the latest undone when ``seq`` is blank) as a new operation."""
    form = (seq, expected_seq, csrf_token)
    return await _undo_or_redo(request, store, embedders, form, redo=True)
