"""Reading themes: the list, one theme with statistics of its members, history, rename.

A theme's statistics come from the units the latest mining run assigned to it (for a parent
group: to its children) and from their items: sentiment per label and mean score, the NPS of
the items that carry an NPS answer (% promoters 9-10 minus % detractors 0-6), and items per
segment value.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import case, func, select, update

from feedback_nlp.domain import ThemeDetail, ThemeEvent, ThemeRecord
from feedback_nlp.errors import InvalidInputError, NotFoundError
from feedback_nlp.store.base import StoreBase, utcnow
from feedback_nlp.store.schema import (
    feedback_items,
    feedback_segments,
    mining_runs,
    opinion_units,
    theme_history,
    themes,
)

__all__ = ["MAX_LABEL_CHARS", "ThemeStore"]

MAX_LABEL_CHARS = 200
_REGISTRY_STATE = frozenset(
    {"centroid", "members", "accept_similarity", "typical_similarity", "mined_quotes"}
)


def _theme(row: Any, general: Collection[str] = ()) -> ThemeRecord:
    return ThemeRecord(
        theme_id=row.theme_id,
        level=int(row.level),
        label=dict(row.label),
        custom_label=row.custom_label,
        keyphrases={lang: list(phrases) for lang, phrases in row.keyphrases.items()},
        quotes=[dict(quote) for quote in row.quotes],
        languages={lang: int(n) for lang, n in row.languages.items()},
        parent_id=row.parent_id,
        size=int(row.size),
        confidence=row.confidence,
        active=bool(row.active),
        first_seen_run=row.first_seen_run,
        last_seen_run=row.last_seen_run,
        origin=row.origin,
        ignored=bool(row.ignored),
        created_by_op=row.created_by_op,
        retired_by_op=row.retired_by_op,
        general=row.theme_id in general and row.origin == "mined",
    )


def _general_theme_ids(connection: Any, workspace_id: int) -> frozenset[str]:
    """The themes the latest mining run put in the general-sentiment pool."""
    config = connection.execute(
        select(mining_runs.c.config)
        .where(mining_runs.c.workspace_id == workspace_id)
        .order_by(mining_runs.c.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    return frozenset((config or {}).get("general_theme_ids", ()))


class ThemeStore(StoreBase):
    """Themes of a workspace."""

    def list_themes(
        self, workspace_id: int, *, include_inactive: bool = False, include_ignored: bool = False
    ) -> list[ThemeRecord]:
        """The workspace's themes (then parent groups), largest first.

        Themes an analyst ignored (:mod:`feedback_nlp.taxonomy`) are left out unless
        ``include_ignored``; themes merged away or split are inactive.
        """
        # Not the registry state (centroid, members): at a million items ``members`` holds
        # millions of unit keys, and a theme record does not need them.
        listed = [c for c in themes.c if c.name not in _REGISTRY_STATE]
        query = select(*listed).where(themes.c.workspace_id == workspace_id)
        if not include_inactive:
            query = query.where(themes.c.active.is_(True))
        if not include_ignored:
            query = query.where(themes.c.ignored.is_(False))
        query = query.order_by(themes.c.level, themes.c.size.desc(), themes.c.theme_id)
        with self._read() as connection:
            general = _general_theme_ids(connection, workspace_id)
            return [_theme(row, general) for row in connection.execute(query)]

    def _get_row(self, connection: Any, workspace_id: int, theme_id: str) -> Any:
        row = connection.execute(
            select(themes).where(
                themes.c.workspace_id == workspace_id, themes.c.theme_id == theme_id
            )
        ).one_or_none()
        if row is None:
            raise NotFoundError(
                f"No theme has the id {theme_id!r}. List the workspace's themes for their ids."
            )
        return row

    def get_theme(self, workspace_id: int, theme_id: str) -> ThemeDetail:
        """One theme with the statistics of its units and respondents.

        Raises:
            NotFoundError: If the workspace has no such theme.
        """
        units = opinion_units.c
        with self._read() as connection:
            general = _general_theme_ids(connection, workspace_id)
            theme = _theme(self._get_row(connection, workspace_id, theme_id), general)
            children: tuple[str, ...] = ()
            if theme.level == 1:
                children = tuple(
                    connection.execute(
                        select(themes.c.theme_id)
                        .where(
                            themes.c.workspace_id == workspace_id, themes.c.parent_id == theme_id
                        )
                        .order_by(themes.c.theme_id)
                    ).scalars()
                )
            members = (*children, theme_id)
            in_theme = (units.workspace_id == workspace_id) & units.theme_id.in_(members)
            n_units, n_items, mean = connection.execute(
                select(
                    func.count(),
                    func.count(units.item_id.distinct()),
                    func.avg(units.sentiment_score),
                ).where(in_theme)
            ).one()
            sentiment = {
                label: int(n)
                for label, n in connection.execute(
                    select(units.sentiment_label, func.count())
                    .where(in_theme, units.sentiment_label.is_not(None))
                    .group_by(units.sentiment_label)
                )
            }
            item_ids = select(units.item_id).where(in_theme).distinct()
            items = feedback_items.c
            n_nps, promoters, detractors = connection.execute(
                select(
                    func.count(items.nps),
                    func.coalesce(func.sum(case((items.nps >= 9, 1), else_=0)), 0),
                    func.coalesce(func.sum(case((items.nps <= 6, 1), else_=0)), 0),
                ).where(
                    # ``item_ids`` is already limited to the workspace; filtering on the primary key
                    # alone lets SQLite's planner use it instead of scanning the workspace index.
                    items.id.in_(item_ids),
                    items.nps.is_not(None),
                )
            ).one()
            segments: dict[str, dict[str, int]] = {}
            seg = feedback_segments.c
            for key, value, count in connection.execute(
                select(seg.key, seg.value, func.count())
                .where(seg.item_id.in_(item_ids))  # the primary key (item_id, key) drives it
                .group_by(seg.key, seg.value)
                .order_by(seg.key, func.count().desc(), seg.value)
            ):
                segments.setdefault(key, {})[value] = int(count)
        nps = 100.0 * (int(promoters) - int(detractors)) / n_nps if n_nps else None
        return ThemeDetail(
            theme=theme,
            n_units=int(n_units),
            n_items=int(n_items),
            sentiment=sentiment,
            sentiment_mean=None if mean is None else float(mean),
            nps=nps,
            n_nps=int(n_nps),
            segments=segments,
            children=children,
        )

    def rename_theme(self, workspace_id: int, theme_id: str, label: str | None) -> ThemeRecord:
        """Give a theme a custom label (``None`` goes back to the generated one).

        The custom label survives re-mines, since theme ids are stable.

        Raises:
            InvalidInputError: If the label is blank or longer than 200 characters.
            NotFoundError: If the workspace has no such theme.
        """
        if label is not None:
            if not isinstance(label, str) or not label.strip() or len(label) > MAX_LABEL_CHARS:
                raise InvalidInputError(
                    f"A theme label must be a non-blank string of at most {MAX_LABEL_CHARS} "
                    f"characters. Got {label!r}. Send another, or null for the generated one."
                )
            label = label.strip()
        with self._write() as connection:
            self._get_row(connection, workspace_id, theme_id)
            now = utcnow()
            row = connection.execute(
                update(themes)
                .where(themes.c.workspace_id == workspace_id, themes.c.theme_id == theme_id)
                .values(custom_label=label, updated_at=now)
                .returning(themes)
            ).one()
            connection.execute(
                theme_history.insert().values(
                    workspace_id=workspace_id,
                    theme_id=theme_id,
                    event="renamed",
                    label=None if label is None else {"custom": label},
                    at=now,
                )
            )
            general = _general_theme_ids(connection, workspace_id)
        return _theme(row, general)

    def theme_history(self, workspace_id: int, theme_id: str) -> list[ThemeEvent]:
        """The events of a theme, oldest first."""
        with self._read() as connection:
            self._get_row(connection, workspace_id, theme_id)
            rows = connection.execute(
                select(theme_history)
                .where(
                    theme_history.c.workspace_id == workspace_id,
                    theme_history.c.theme_id == theme_id,
                )
                .order_by(theme_history.c.id)
            ).all()
        return [
            ThemeEvent(
                theme_id=row.theme_id,
                event=row.event,
                run_id=row.run_id,
                size=row.size,
                label=None if row.label is None else dict(row.label),
                at=row.at,
            )
            for row in rows
        ]
