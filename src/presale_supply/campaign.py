"""The campaign calendar: a start date and an ordered list of stages.

A campaign is defined by its stages. Day 1 is the first day of the first stage; day numbers run
to the sum of the stage lengths. The defaults are the Double 12 plan in ``DOMAIN.md``: warm-up 7,
presale 14, replenishment 7, clearance 3 (31 days).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from presale_supply.exceptions import InputError

__all__ = ["DEFAULT_STAGES", "Campaign", "Stage"]


@dataclass(frozen=True)
class Stage:
    """One stage of a campaign.

    Parameters
    ----------
    name : str
        Stage name, e.g. ``"presale"``.
    days : int
        Length in days (>= 1).
    """

    name: str
    days: int

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise InputError("a stage needs a non-empty name.", column="name", value=self.name)
        if isinstance(self.days, bool) or not isinstance(self.days, int) or self.days < 1:
            raise InputError(
                f"stage {self.name!r} must last a whole number of days >= 1.",
                column="days",
                value=self.days,
            )


DEFAULT_STAGES: tuple[Stage, ...] = (
    Stage("warm-up", 7),
    Stage("presale", 14),
    Stage("replenishment", 7),
    Stage("clearance", 3),
)


@dataclass(frozen=True)
class Campaign:
    """A campaign calendar.

    Parameters
    ----------
    stages : sequence of Stage
        The stages in order. Their lengths define the campaign length.
    start_date : datetime.date, optional
        Calendar date of day 1 (used only to label outputs).
    name : str
        A label.

    Raises
    ------
    InputError
        If there are no stages or two stages share a name.
    """

    stages: tuple[Stage, ...] = DEFAULT_STAGES
    start_date: dt.date | None = None
    name: str = "campaign"
    _starts: tuple[int, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        stages = tuple(self.stages)
        if not stages:
            raise InputError("a campaign needs at least one stage.", column="stages", value=[])
        names = [s.name for s in stages]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise InputError("stage names must be unique.", column="stages", value=", ".join(dupes))
        object.__setattr__(self, "stages", stages)
        starts = []
        day = 1
        for s in stages:
            starts.append(day)
            day += s.days
        object.__setattr__(self, "_starts", tuple(starts))

    @property
    def n_days(self) -> int:
        """Campaign length in days (the sum of the stage lengths)."""
        return sum(s.days for s in self.stages)

    def stage_start(self, name: str) -> int:
        """Day number (1-based) of the first day of stage ``name``.

        Raises
        ------
        InputError
            If there is no stage of that name.
        """
        for s, start in zip(self.stages, self._starts, strict=True):
            if s.name == name:
                return start
        raise InputError(
            f"no stage named {name!r}; stages are {[s.name for s in self.stages]}.",
            column="stage",
            value=name,
        )

    def stage_of(self, day: int) -> str:
        """Name of the stage that day ``day`` (1-based) falls in."""
        if not 1 <= day <= self.n_days:
            raise InputError(f"day must be between 1 and {self.n_days}.", column="day", value=day)
        for s, start in zip(self.stages, self._starts, strict=True):
            if start <= day < start + s.days:
                return s.name
        raise AssertionError("unreachable")  # pragma: no cover

    def stage_starts(self) -> dict[str, int]:
        """Mapping of stage name to its first day."""
        return {s.name: st for s, st in zip(self.stages, self._starts, strict=True)}

    def date_of(self, day: int) -> dt.date | None:
        """Calendar date of campaign day ``day``, or None without a start date."""
        if self.start_date is None:
            return None
        return self.start_date + dt.timedelta(days=day - 1)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, source: str = "campaign") -> Campaign:
        """Build a campaign from the ``[campaign]`` table of a ``campaign.toml``.

        Keys: ``name``, ``start_date`` (ISO date), ``stages`` (array of tables with ``name`` and
        ``days``; default the Double 12 stages), and optionally ``total_days``, which must equal
        the sum of the stage lengths.

        Raises
        ------
        InputError
            On a malformed value, or when ``total_days`` disagrees with the stages (the message
            shows both numbers).
        """
        known = {"name", "start_date", "stages", "total_days"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise InputError(
                f"unknown key(s) in [campaign]: {unknown}; valid keys are {sorted(known)}.",
                file=source,
            )
        raw_stages = data.get("stages")
        if raw_stages is None:
            stages: Sequence[Stage] = DEFAULT_STAGES
        else:
            if not isinstance(raw_stages, list) or not raw_stages:
                raise InputError(
                    "campaign.stages must be a non-empty array of {name, days} tables.",
                    file=source,
                    column="stages",
                    value=raw_stages,
                )
            stages = []
            for k, st in enumerate(raw_stages, start=1):
                if not isinstance(st, Mapping) or "name" not in st or "days" not in st:
                    raise InputError(
                        f"stage {k} must have 'name' and 'days'.",
                        file=source,
                        column="stages",
                        value=st,
                    )
                extra = sorted(set(st) - {"name", "days"})
                if extra:
                    raise InputError(
                        f"stage {k} has unknown key(s) {extra}; a stage has only 'name' and "
                        "'days'. (A [policy] table must come before the [[campaign.stages]] "
                        "or be written as [policy] after them, not indented under a stage.)",
                        file=source,
                        column="stages",
                    )
                try:
                    stages.append(Stage(str(st["name"]), st["days"]))
                except InputError as exc:
                    raise InputError(
                        f"stage {k}: {exc.reason}", file=source, column="stages", value=st
                    ) from None
        start = data.get("start_date")
        start_date: dt.date | None
        if start is None:
            start_date = None
        elif isinstance(start, dt.datetime):
            start_date = start.date()
        elif isinstance(start, dt.date):
            start_date = start
        else:
            try:
                start_date = dt.date.fromisoformat(str(start))
            except ValueError:
                raise InputError(
                    "start_date must be an ISO date like 2026-12-01.",
                    file=source,
                    column="start_date",
                    value=start,
                ) from None
        campaign = cls(tuple(stages), start_date, str(data.get("name", "campaign")))
        total = data.get("total_days")
        if total is not None and total != campaign.n_days:
            detail = " + ".join(f"{s.name} {s.days}" for s in campaign.stages)
            raise InputError(
                f"the campaign states total_days = {total!r} but its stages sum to "
                f"{campaign.n_days} days ({detail}). A campaign is defined by its stages: fix "
                "the stage lengths or the stated total so they agree.",
                file=source,
                column="total_days",
            )
        return campaign
