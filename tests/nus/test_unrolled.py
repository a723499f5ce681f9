"""The unrolled IST: IST exactly at initialisation, weights, the API, and resumable training."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nmrlib.nus.ist import reconstruct_ist
from nmrlib.nus.reconstruct import reconstruct
from nmrlib.nus.studies import schedule_mask
from nmrlib.nus.synthetic import synthetic_nd
from nmrlib.nus.unrolled import (
    DEFAULT_WEIGHTS,
    UnrolledConfig,
    UnrolledIST,
    group_soft,
    load_weights,
    reconstruct_unrolled,
    reconstruct_unrolled_3d,
    save_weights,
    weights_info,
)


@pytest.fixture(scope="module")
def plane():
    fid = synthetic_nd(24, (96,), seed=3, noise=1e-3)
    mask = schedule_mask(96, 0.15, 1)
    return fid * mask, mask, fid


@pytest.mark.parametrize("iterations", [1, 37, 200])
def test_initialisation_is_ist_with_k_iterations(plane, iterations):
    y, mask, _ = plane
    model = UnrolledIST(UnrolledConfig(iterations=iterations))
    ours = reconstruct_unrolled(y, mask, weights=model)
    ist = reconstruct_ist(torch.from_numpy(y), torch.from_numpy(mask),
                          iterations=iterations).numpy()
    assert np.abs(ours - ist).max() <= 1e-12 * np.abs(ist).max()


def test_initialisation_is_ist_in_training_mode_too(plane):
    """The group path (always taken in training) equals IST's soft threshold at w = 0."""
    y, mask, _ = plane
    model = UnrolledIST(UnrolledConfig(iterations=20)).train()
    yt, mt = torch.from_numpy(y), torch.from_numpy(mask).expand(y.shape)
    ours = torch.fft.ifft(model(yt, mt), norm="ortho")[..., :96]
    ours = torch.where(mt, yt, ours).detach().numpy()
    ist = reconstruct_ist(yt, torch.from_numpy(mask), iterations=20).numpy()
    assert np.abs(ours - ist).max() <= 1e-9 * np.abs(ist).max()


def test_3d_initialisation_is_the_2d_ist():
    from nmrlib.nus.dleval import ist_2d
    from nmrlib.nus.schedules import mask_from_schedule, points_for_density, poisson_gap_2d

    full = synthetic_nd(4, (16, 12), seed=2, noise=1e-4)
    mask = mask_from_schedule(poisson_gap_2d((16, 12), points_for_density(192, 0.2), seed=0),
                              (16, 12))
    ours = reconstruct_unrolled_3d(full * mask, mask,
                                   weights=UnrolledIST(UnrolledConfig(iterations=30)))
    ist = ist_2d(full * mask, mask, iterations=30)
    assert np.abs(ours - ist).max() <= 1e-12 * np.abs(ist).max()
    trained = reconstruct_unrolled_3d(full * mask, mask)
    assert trained.shape == full.shape and np.array_equal(trained[:, mask], (full * mask)[:, mask])
    with pytest.raises(ValueError, match="boolean mask"):
        reconstruct_unrolled_3d(full, mask.astype(int))


def test_group_threshold_lets_a_point_strong_next_door_through():
    u = torch.tensor([[0.0, 0.5], [2.0, 0.5], [0.0, 0.5]], dtype=torch.complex128)
    thr = torch.full((3, 1), 0.8, dtype=torch.float64)
    alone = group_soft(u, thr, torch.zeros(1, dtype=torch.float64))
    grouped = group_soft(u, thr, torch.ones(1, dtype=torch.float64))
    assert alone[1, 1] == 0 and alone[1, 0].real == pytest.approx(1.2)
    assert grouped[1, 1].abs() > 0          # weak but shared with both neighbours
    assert grouped[0, 0] == 0               # nothing there: nothing made up


def test_committed_weights_load_and_reconstruct(plane):
    y, mask, full = plane
    info = weights_info(DEFAULT_WEIGHTS)
    assert DEFAULT_WEIGHTS.stat().st_size <= 5 * 2**20
    assert info["config"] == {**load_weights().cfg.__dict__}
    assert info["complete"] and info["val_loss"] < info["val_loss_ist_init"]
    out = reconstruct(y.astype(np.complex64), mask, "unrolled")
    assert out.dtype == np.complex64 and out.shape == y.shape
    assert np.array_equal(out[:, mask], y[:, mask].astype(np.complex64))
    err = np.linalg.norm(out - full) / np.linalg.norm(full)
    zf = np.linalg.norm(y - full) / np.linalg.norm(full)
    # the gain (trained for intensity ratios, g = 0.67 here) trades L2 for peak ratios:
    # 0.370 against zero filling's 0.728 (0.308 with g = 1, the second round's weights)
    assert err < 0.6 * zf
    g = load_weights().gain_of(torch.tensor([6.0, 13.0, 26.0]), 128).detach()
    assert bool((g[:2] < 1).all()) and bool((g.diff() > 0).all())   # fewer samples, less


def test_neighbouring_columns_help_on_a_2d_plane(plane):
    """Rows of a 2D plane share F1 positions: the learned group threshold uses that (judged
    in L2 with the gain at g = 1: the gain trades L2 for peak ratios, see the test above)."""
    y, mask, full = plane

    def err(rec):
        return np.linalg.norm(rec - full) / np.linalg.norm(full)

    model = UnrolledIST(load_weights().cfg)
    model.load_state_dict({**load_weights().state_dict(),
                           "gain": torch.zeros(4, dtype=torch.float64)})
    ist = reconstruct_ist(torch.from_numpy(y), torch.from_numpy(mask)).numpy()
    together = reconstruct_unrolled(y, mask, weights=model)
    alone = reconstruct_unrolled(y, mask, weights=model, context=False)
    assert err(together) < 0.8 * err(alone) and err(together) < 0.8 * err(ist)


def test_chunked_equals_one_pass_away_from_the_edges(plane):
    y, mask, _ = plane
    model = load_weights()
    whole = reconstruct_unrolled(y, mask, weights=model)
    torch_out = reconstruct_unrolled(torch.from_numpy(y), torch.from_numpy(mask), weights=model)
    assert np.allclose(torch_out.numpy(), whole)
    chunked = reconstruct_unrolled(y, mask, weights=model, chunk=8)
    assert np.abs(chunked - whole).max() <= 1e-4 * np.abs(whole).max()


def test_bad_input_is_a_value_error(plane, tmp_path):
    y, mask, _ = plane
    with pytest.raises(ValueError, match="mask must be boolean"):
        reconstruct_unrolled(y, mask.astype(int))
    with pytest.raises(ValueError, match="iterations"):
        reconstruct_unrolled(y, mask, iterations=0)
    with pytest.raises(ValueError, match="chunk"):
        reconstruct_unrolled(y, mask, chunk=-1)
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a weight file")
    with pytest.raises(ValueError, match="unrolled IST weight file .* is damaged or not a torch"):
        load_weights(bad)
    with pytest.raises(FileNotFoundError, match="train-unrolled"):
        load_weights(tmp_path / "missing.pt")
    with pytest.raises(ValueError, match="context"):
        UnrolledConfig(context=-1)


def test_weights_round_trip(tmp_path, plane):
    y, mask, _ = plane
    model = UnrolledIST(UnrolledConfig(iterations=12, knots=4, context=1))
    with torch.no_grad():
        model.w.fill_(0.2)
        model.beta.fill_(0.1)
    path = save_weights(model, tmp_path / "u.pt", {"note": "test"})
    again = load_weights(path)
    assert weights_info(path)["note"] == "test"
    assert np.array_equal(reconstruct_unrolled(y, mask, weights=model),
                          reconstruct_unrolled(y, mask, weights=again))


def test_training_runs_resumes_and_exports(tmp_path):
    from nmrlib.nus.train_unrolled import PROFILES, train

    settings = PROFILES["smoke"]
    first = train(settings, tmp_path / "run", weights=tmp_path / "w.pt", progress=False,
                  time_limit_min=0.0)
    assert not first["complete"] and first["steps"] == 1
    done = train(settings, tmp_path / "run", weights=tmp_path / "w.pt", progress=False)
    assert done["complete"] and done["steps"] == settings.steps
    fresh = train(settings, tmp_path / "fresh", progress=False)
    assert done["val_loss"] == pytest.approx(fresh["val_loss"], rel=1e-6)
    assert load_weights(tmp_path / "w.pt").cfg.iterations == settings.iterations
    with pytest.raises(ValueError, match="other settings"):
        train(PROFILES["smoke"].__class__(**{**settings.__dict__, "lr": 1.0}),
              tmp_path / "run", progress=False)


def test_cli_train_unrolled_bad_profile_is_one_line(capsys):
    from nmrlib.__main__ import main

    with pytest.raises(SystemExit):
        main(["train-unrolled", "--profile", "nope"])


def test_unmeasured_point_gain_shrinks_towards_zero_filling(plane, tmp_path):
    """g = 2 sigmoid(c0 + c1 ln(m / 16) + c2 ln(n / m) + c3 max(0, ln(16 / m))²) scales the
    estimate between the measured points: c = 0 (the IST initialisation) is g = 1, a very
    negative c0 is zero filling; it has a gradient everywhere below its cap at 1; c3 acts
    below 16 samples only; a weight file without the gain, or with the second round's
    two-number clamped gain, loads with g = 1, one with the third round's three numbers
    with c3 = 0."""
    y, mask, _ = plane
    model = UnrolledIST(UnrolledConfig(iterations=20))
    full = reconstruct_unrolled(y, mask, weights=model)
    with torch.no_grad():
        model.gain.copy_(torch.tensor([-60.0, 0.0, 0.0, 0.0]))
    assert np.allclose(reconstruct_unrolled(y, mask, weights=model), y, atol=1e-20)
    m, n = int(mask.sum()), mask.size
    with torch.no_grad():     # g = 0.5 at this trace's m and n: c0 = logit(1/4) - the rest
        model.gain.copy_(torch.tensor([np.log(1 / 3) - 0.3 * np.log(m / 16)
                                       + 0.2 * np.log(n / m), 0.3, -0.2, 0.0]))
    half = reconstruct_unrolled(y, mask, weights=model)
    assert np.allclose(half[:, ~mask], 0.5 * full[:, ~mask], atol=1e-12)
    model.gain.grad = None
    model.gain_of(torch.tensor([1.0, 6.0, 200.0]), 256).sum().backward()
    assert bool((model.gain.grad.abs() > 0).all())
    with torch.no_grad():
        before = model.gain_of(torch.tensor([16.0, 40.0, 6.0]), 256)
        model.gain[3] = -1.0
        after = model.gain_of(torch.tensor([16.0, 40.0, 6.0]), 256)
    assert torch.equal(after[:2], before[:2]) and after[2] < before[2]
    with torch.no_grad():     # capped at 1, as a Wiener factor (2 sigmoid(5) would be 1.99)
        model.gain.copy_(torch.tensor([5.0, 0.0, 0.0, 0.0]))
        assert bool((model.gain_of(torch.tensor([6.0, 64.0, 200.0]), 256) == 1).all())
    third = {**model.state_dict(), "gain": torch.tensor([0.1, 0.5, -0.4], dtype=torch.float64)}
    torch.save({"config": model.cfg.__dict__, "state_dict": third}, tmp_path / "third.pt")
    assert torch.equal(load_weights(tmp_path / "third.pt").gain,
                       torch.tensor([0.1, 0.5, -0.4, 0.0], dtype=torch.float64))
    old = UnrolledIST(UnrolledConfig(iterations=20))
    for state in ({k: v for k, v in old.state_dict().items() if k != "gain"},
                  {**old.state_dict(), "gain": torch.tensor([1.048, 0.019])}):
        torch.save({"config": old.cfg.__dict__, "state_dict": state}, tmp_path / "old.pt")
        assert np.array_equal(reconstruct_unrolled(
            y, mask, weights=load_weights(tmp_path / "old.pt")), full)


def test_close_pairs_and_gain_only_training(tmp_path):
    """The widened synthetic data adds close partner lines; gain-only training from an
    init file moves the gain alone (the iterations' parameters stay those of the file)."""
    from dataclasses import replace

    from nmrlib.nus.train_unrolled import PROFILES, synthetic_patch, train

    smoke = PROFILES["smoke"]
    plain = synthetic_patch(smoke, "train", 0, 32)
    paired = synthetic_patch(replace(smoke, pairs=1.0, peaks=(1, 1)), "train", 0, 32)
    spec = np.abs(np.fft.fft(paired[2], axis=-1)).sum(0)
    assert plain[0].shape == paired[0].shape and (spec > 0.3 * spec.max()).sum() >= 2
    with pytest.raises(ValueError, match="gain_only needs init"):
        replace(smoke, gain_only=True)
    init = UnrolledIST(UnrolledConfig(iterations=smoke.iterations, knots=smoke.knots,
                                      context=smoke.context))
    with torch.no_grad():
        init.beta.fill_(0.3)
    save_weights(init, tmp_path / "init.pt", {})
    s = replace(smoke, gain_only=True, init=str(tmp_path / "init.pt"), l2_weight=0.0, lr=0.5)
    train(s, tmp_path / "run", weights=tmp_path / "w.pt", progress=False)
    got = load_weights(tmp_path / "w.pt")
    assert torch.equal(got.beta, init.beta) and torch.equal(got.theta, init.theta)
    assert not torch.equal(got.gain, init.gain)
    # gain_terms: only the listed coefficients train (the fourth round's c3 alone)
    train(replace(s, gain_terms=(0, 3), zf_hinge=1.0), tmp_path / "run3",
          weights=tmp_path / "w3.pt", progress=False)
    got = load_weights(tmp_path / "w3.pt").gain
    assert torch.equal(got[1:3], init.gain[1:3]) and bool((got[[0, 3]] != 0).all())
    with pytest.raises(ValueError, match="gain_terms"):
        replace(smoke, gain_terms=(4,))


def test_peak_term_is_scale_free_and_sees_a_lost_peak():
    from nmrlib.nus.train_unrolled import peak_term

    t = torch.arange(32)
    clean = (torch.exp(2j * torch.pi * 0.2 * t) + 0.3 * torch.exp(2j * torch.pi * 0.6 * t))
    clean = clean.reshape(1, -1).repeat(2, 1)
    assert float(peak_term(3.0 * clean, clean, columns=2)) == pytest.approx(0.0, abs=1e-5)
    lost = torch.exp(2j * torch.pi * 0.2 * t).reshape(1, -1).repeat(2, 1)
    assert float(peak_term(lost, clean, columns=2)) > 0.05


def test_zf_hinge_costs_only_patches_below_zero_filling():
    """The hinge adds weight x mean max(0, term(output) - term(zero filling)) per patch: zero
    for an output that is zero filling itself, positive for one that loses a peak."""
    from dataclasses import replace

    from nmrlib.nus.train_unrolled import PROFILES, patch_batch, patch_loss, peak_term

    smoke = PROFILES["smoke"]
    with pytest.raises(ValueError, match="zf_hinge"):
        replace(smoke, zf_hinge=-1.0)
    y, mask, clean = patch_batch(smoke, "val", [0, 1], 32)
    per = peak_term(y, clean, smoke.columns, mean=False)
    assert per.shape == (2,) and float(per.mean()) == pytest.approx(
        float(peak_term(y, clean, smoke.columns)))
    model = UnrolledIST(UnrolledConfig(iterations=smoke.iterations, knots=smoke.knots,
                                       context=smoke.context)).eval()
    with torch.no_grad():
        model.gain.fill_(-60.0)              # g = 0: the output is zero filling
        args = (model, y, mask, clean, smoke.columns, 1.0, True, 0.0)
        assert float(patch_loss(*args, zf_hinge=5.0)) == pytest.approx(
            float(patch_loss(*args)), abs=1e-6)
    noise = 10 * torch.randn(y.shape, generator=torch.Generator().manual_seed(0))
    model.fill = lambda spec, y, m: torch.where(m, y, noise.to(y.dtype))   # made-up peaks
    out = model.fill(None, y, mask)
    excess = (peak_term(out, clean, smoke.columns, mean=False) - per).clamp_min(0).mean()
    assert float(excess) > 0.05
    assert float(patch_loss(*args, zf_hinge=5.0)) > float(patch_loss(*args)) + 0.1
