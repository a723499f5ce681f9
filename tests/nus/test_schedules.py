"""NUS schedules: Poisson-gap, random, 2D, nuslist I/O."""

from __future__ import annotations

import nmrglue as ng
import numpy as np
import pytest

from nmrlib.nus import (
    mask_from_schedule,
    points_for_density,
    poisson_gap,
    poisson_gap_2d,
    random_schedule,
    read_nuslist,
    sidelobe_level,
    validate_schedule,
    write_nuslist,
)


@pytest.mark.parametrize("make", [poisson_gap, random_schedule])
@pytest.mark.parametrize("n,m", [(256, 26), (256, 64), (256, 77), (64, 16), (10, 1), (8, 8)])
def test_schedule_is_exact_sorted_unique_with_zero(make, n, m):
    sched = make(n, m, seed=7)
    assert len(sched) == m
    assert np.all(np.diff(sched) > 0)
    assert sched[0] == 0
    assert 0 <= sched.min() and sched.max() < n
    assert sched.dtype == np.int64


@pytest.mark.parametrize("make", [poisson_gap, random_schedule])
def test_same_seed_same_schedule_different_seed_differs(make):
    np.testing.assert_array_equal(make(256, 64, seed=3), make(256, 64, seed=3))
    assert not np.array_equal(make(256, 64, seed=3), make(256, 64, seed=4))


def test_poisson_gap_is_denser_early():
    """The sine weighting makes gaps grow along the grid: more points in the first half."""
    counts = [np.sum(poisson_gap(256, 64, seed=s) < 128) for s in range(20)]
    assert np.mean(counts) > 64 * 0.6


def test_poisson_gap_avoids_long_gaps():
    """Poisson gaps are bounded in spread: the largest gap is shorter than uniform random's."""
    def mean_max_gap(make):
        return np.mean([np.diff(make(256, 64, seed=s)).max() for s in range(30)])

    assert mean_max_gap(poisson_gap) < mean_max_gap(random_schedule)


def test_sidelobe_level_of_full_sampling_is_zero():
    assert sidelobe_level(np.ones(64, bool)) == pytest.approx(0.0, abs=1e-12)


def test_points_for_density():
    assert points_for_density(256, 0.25) == 64
    assert points_for_density(256, 1.0) == 256
    assert points_for_density(10, 0.01) == 1


@pytest.mark.parametrize("density", [0.0, -0.1, 1.5])
def test_bad_density_raises(density):
    with pytest.raises(ValueError, match="density"):
        points_for_density(256, density)


@pytest.mark.parametrize("n,m,match", [(10, 11, "m > n"), (0, 1, "positive"), (10, 0, "positive")])
def test_bad_counts_raise(n, m, match):
    with pytest.raises(ValueError, match=match):
        poisson_gap(n, m, seed=0)
    with pytest.raises(ValueError, match=match):
        random_schedule(n, m, seed=0)


def test_poisson_gap_2d():
    sched = poisson_gap_2d((32, 24), 100, seed=1)
    assert sched.shape == (100, 2)
    assert tuple(sched[0]) == (0, 0)
    assert len({tuple(p) for p in sched}) == 100
    assert sched[:, 0].max() < 32 and sched[:, 1].max() < 24
    np.testing.assert_array_equal(sched, poisson_gap_2d((32, 24), 100, seed=1))
    near = np.hypot(sched[:, 0] / 32, sched[:, 1] / 24) < 0.5
    assert near.mean() > 0.5  # denser near the origin than the area fraction (~0.2)


def test_nuslist_round_trip_and_agrees_with_nmrglue(tmp_path):
    sched = poisson_gap(256, 64, seed=11)
    write_nuslist(tmp_path / "nuslist", sched)
    np.testing.assert_array_equal(read_nuslist(tmp_path / "nuslist"), sched)
    from_ng = ng.bruker.read_nuslist(str(tmp_path), "nuslist")
    assert [row[0] for row in from_ng] == list(sched)

    sched2 = poisson_gap_2d((16, 16), 40, seed=2)
    write_nuslist(tmp_path / "nuslist2", sched2)
    np.testing.assert_array_equal(read_nuslist(tmp_path / "nuslist2"), sched2)
    assert [tuple(r) for r in sched2] == ng.bruker.read_nuslist(str(tmp_path), "nuslist2")


def test_read_nuslist_rejects_garbage(tmp_path):
    (tmp_path / "bad").write_text("0\n3\nx\n")
    with pytest.raises(ValueError, match="line 3"):
        read_nuslist(tmp_path / "bad")
    (tmp_path / "ragged").write_text("0 1\n3\n")
    with pytest.raises(ValueError, match="columns"):
        read_nuslist(tmp_path / "ragged")
    (tmp_path / "empty").write_text("\n# nothing\n")
    with pytest.raises(ValueError, match="empty"):
        read_nuslist(tmp_path / "empty")


@pytest.mark.parametrize(
    "sched,match",
    [([0, 3, 3], "duplicated"), ([0, 8], "out of range"), ([-1, 2], "out of range"),
     (list(range(9)), "more than")],
)
def test_validate_schedule_errors(sched, match):
    with pytest.raises(ValueError, match=match):
        validate_schedule(np.array(sched), 8)


def test_mask_from_schedule():
    mask = mask_from_schedule(np.array([0, 2, 5]), 8)
    assert mask.tolist() == [True, False, True, False, False, True, False, False]
