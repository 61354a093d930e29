"""The configuration and the reports of a chaos run (:mod:`feedback_nlp.testing.chaos`)."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "JOB_STAGES",
    "MAX_ATTEMPTS",
    "MODES",
    "TERMINAL",
    "WORKSPACE",
    "ChaosConfig",
    "ChaosReport",
    "RoundReport",
]

WORKSPACE = "chaos"
MODES = ("ingest", "ingest+mine", "worker", "mine")
JOB_STAGES = {
    "load": 0.02,
    "split": 0.10,
    "embed": 0.15,
    "mine": 0.65,
    "register": 0.90,
    "save": 0.95,
}
"""The stages of a mine job and the progress each starts at (feedback_nlp.jobs.runner)."""
MAX_ATTEMPTS = 3  # JobWorker's default: a job interrupted this many times fails
TERMINAL = frozenset({"succeeded", "failed", "cancelled"})


@dataclass(frozen=True, slots=True)
class ChaosConfig:
    """How long and how hard a chaos run is.

    Attributes:
        rounds: Server kills (one per round).
        seed: Seed of every random choice (delays, updated items, mined rounds).
        posters: Client threads posting during the ingest modes.
        batch: Items per posted batch (``updates`` of them new versions of earlier items).
        updates: Items per batch that are new versions of the poster's earlier items.
        max_batches: Batches a poster sends in one round at most (bounds the data per round).
        kill_after_s: The server is killed a uniform random time in this range after the round's
            traffic starts (``mine`` rounds aim at a random stage of the job instead).
        stage_jitter_s: The most a kill aimed at a stage comes after the stage is seen.
        modes: The modes the rounds cycle through (a mine job needs an earlier round's items).
        final_timeout_s: Seconds the end of the run may wait for every job to finish.
    """

    rounds: int
    seed: int = 0
    posters: int = 2
    batch: int = 50
    updates: int = 5
    max_batches: int = 40
    kill_after_s: tuple[float, float] = (0.5, 8.0)
    stage_jitter_s: float = 0.2
    modes: tuple[str, ...] = MODES

    def __post_init__(self) -> None:
        unknown = sorted(set(self.modes) - set(MODES))
        if unknown or not self.modes:
            raise ValueError(f"modes must be some of {MODES}. Got {self.modes!r}.")

    final_timeout_s: float = 900.0


@dataclass(slots=True)
class RoundReport:
    """What one round did and found."""

    round: int
    mode: str
    kill_after_s: float
    kill_at_stage: str | None = None
    acked_batches: int = 0
    inflight_batches: int = 0
    inflight_landed: int = 0
    job_submitted: bool = False
    killed_jobs: list[str] = field(default_factory=list)  # "stage@progress" of each running job
    worker_kill_at_stage: str | None = None
    worker_kill_after_s: float | None = None
    worker_outcome: str | None = None  # "killed in stage ...", "finished before the kill", ...
    recovered: int = 0
    restart_s: float = 0.0


@dataclass(slots=True)
class ChaosReport:
    """The outcome of a chaos run (every check passed when it is returned)."""

    backend_url: str
    config: ChaosConfig
    rounds: list[RoundReport] = field(default_factory=list)
    items_acked: int = 0
    items_stored: int = 0
    jobs: dict[str, int] = field(default_factory=dict)  # final state -> count
    repost: dict[str, int] = field(default_factory=dict)
    final_mine_s: float = 0.0
    final_themes: int = 0
    wall_s: float = 0.0

    def killed_stages(self) -> dict[str, int]:
        """How many running jobs each stage had killed under it (server and worker kills)."""
        counts: dict[str, int] = {}
        for report in self.rounds:
            for killed in report.killed_jobs:
                stage = killed.split("@", 1)[0]
                counts[stage] = counts.get(stage, 0) + 1
        return dict(sorted(counts.items()))
