"""Self-consistency: vote on the objective value among sampled formulations, and confidence.

Pure functions. Two objective values agree when they are within a relative tolerance
(``|a - b| <= rel_tol * max(1, |a|, |b|)``); samples that did not solve do not vote but count
in the total, so a value backed by 2 of 5 samples has a share of 0.4.
"""

from __future__ import annotations

import math

from pydantic import BaseModel, Field

REL_TOL = 1e-4


class Cluster(BaseModel):
    value: float
    members: list[int] = Field(description="Indices (into the voted list) that agree.")


class VoteResult(BaseModel):
    total: int
    clusters: list[Cluster] = Field(default_factory=list)
    winner: int | None = Field(None, description="Index into the voted list of the chosen one.")
    share: float = 0.0
    tie: bool = False

    @property
    def value(self) -> float | None:
        return self.clusters[0].value if self.clusters else None


def agree(a: float, b: float, rel_tol: float = REL_TOL) -> bool:
    return abs(a - b) <= rel_tol * max(1.0, abs(a), abs(b))


def vote(objectives: list[float | None], *, tie_break: list[float] | None = None,
         rel_tol: float = REL_TOL) -> VoteResult:
    """Cluster the finite objectives and pick the largest cluster.

    ``tie_break`` gives each entry a penalty (e.g. its number of warnings): among clusters of
    equal size the one whose best member has the lowest penalty wins, then the earliest.
    The winner is that cluster's member with the lowest penalty.
    """
    penalty = tie_break or [0.0] * len(objectives)
    clusters: list[Cluster] = []
    for i, value in enumerate(objectives):
        if value is None or not math.isfinite(value):
            continue
        for c in clusters:
            if agree(c.value, value, rel_tol):
                c.members.append(i)
                break
        else:
            clusters.append(Cluster(value=value, members=[i]))
    if not clusters:
        return VoteResult(total=len(objectives))

    def rank(c: Cluster) -> tuple[int, float, int]:
        return (-len(c.members), min(penalty[m] for m in c.members), c.members[0])

    clusters.sort(key=rank)
    best = clusters[0]
    tie = len(clusters) > 1 and len(clusters[1].members) == len(best.members)
    winner = min(best.members, key=lambda m: (penalty[m], m))
    return VoteResult(total=len(objectives), clusters=clusters, winner=winner,
                      share=len(best.members) / len(objectives), tie=tie)


def confidence(*, solved: bool, warnings: int, repairs: int, vote_share: float | None = None,
               tie: bool = False, cross_check: bool | None = None) -> float:
    """A number in [0, 1] saying how much to trust the answer. Documented policy:

    0 when nothing solved; else start at 0.8 (one sample) or the vote share (several), x0.75
    on a tie; -0.1 per open warning; -0.05 per repair round; a code cross-check that agrees
    adds 0.15, one that disagrees halves it. Clipped to [0.05, 0.99].
    """
    if not solved:
        return 0.0
    c = 0.8 if vote_share is None else vote_share
    if tie:
        c *= 0.75
    c -= 0.1 * warnings + 0.05 * repairs
    if cross_check is True:
        c += 0.15
    elif cross_check is False:
        c *= 0.5
    return round(min(0.99, max(0.05, c)), 3)
