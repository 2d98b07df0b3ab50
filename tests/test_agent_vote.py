"""Voting on objective values and the confidence policy."""

from __future__ import annotations

from optiform.agent.vote import agree, confidence, vote


def test_majority_cluster_wins_within_tolerance():
    r = vote([10.0, 12.0, 10.00001, None])
    assert r.value == 10.0 and r.winner == 0
    assert r.share == 0.5 and not r.tie
    assert [len(c.members) for c in r.clusters] == [2, 1]


def test_tie_is_reported_and_broken_by_penalty():
    r = vote([5.0, 7.0], tie_break=[3.0, 0.0])
    assert r.tie and r.value == 7.0 and r.winner == 1


def test_winner_is_the_cluster_member_with_the_lowest_penalty():
    r = vote([3.0, 3.0, 4.0], tie_break=[2.0, 0.0, 0.0])
    assert r.value == 3.0 and r.winner == 1


def test_nothing_solved():
    r = vote([None, None, float("nan")])
    assert r.winner is None and r.value is None and r.share == 0.0


def test_agree_is_relative_with_a_floor():
    assert agree(1000.0, 1000.05) and not agree(1000.0, 1001.0)
    assert agree(0.0, 5e-5) and not agree(0.0, 1e-3)


def test_confidence_policy():
    assert confidence(solved=False, warnings=0, repairs=0) == 0.0
    assert confidence(solved=True, warnings=0, repairs=0) == 0.8
    assert confidence(solved=True, warnings=1, repairs=1) == 0.65
    assert confidence(solved=True, warnings=0, repairs=0, vote_share=1.0) == 0.99
    split = confidence(solved=True, warnings=0, repairs=0, vote_share=0.5, tie=True)
    assert split < confidence(solved=True, warnings=0, repairs=0, vote_share=0.5)
    assert confidence(solved=True, warnings=0, repairs=0, cross_check=True) > 0.8
    assert confidence(solved=True, warnings=0, repairs=0, cross_check=False) == 0.4
    assert confidence(solved=True, warnings=20, repairs=3) == 0.05
