"""DLNMR network, data consistency, the reconstruct interface, training and committed weights."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from nmrlib.nus.dlnmr import (
    DEFAULT_WEIGHTS,
    DLNMR,
    TEN_STAGE_WEIGHTS,
    DLNMRConfig,
    data_consistency,
    load_weights,
    reconstruct_dl,
    weights_info,
)
from nmrlib.nus.synthetic import SyntheticNUS
from nmrlib.nus.train_dl import PROFILES, train

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_dense_cnn_layout():
    model = DLNMR()
    assert len(model.stages) == 5
    for stage in model.stages:
        convs = stage.convs
        assert len(convs) == 8 and len(stage.norms) == 7
        assert [c.out_channels for c in convs] == [16, 12, 12, 12, 12, 12, 12, 2]
        assert convs[0].in_channels == 2
        for layer in range(2, 9):
            assert convs[layer - 1].in_channels == 16 + 12 * (layer - 2)
    assert len(DLNMR(DLNMRConfig(n_stages=3)).stages) == 3


@pytest.mark.parametrize("kernel_size", [1, 3, 5])
def test_fast_inference_path_equals_the_layer_by_layer_network(kernel_size):
    torch.manual_seed(0)
    cnn = DLNMR(DLNMRConfig(kernel_size=kernel_size)).stages[0]
    for norm in cnn.norms:
        for t in (norm.weight, norm.bias, norm.running_mean):
            t.data.normal_()
        norm.running_var.data.uniform_(0.5, 2.0)
    torch.nn.init.normal_(cnn.convs[-1].weight)
    cnn.double()  # float64, so the comparison does not depend on the CPU's float32 kernels
    x = torch.randn(4, 2, 40, dtype=torch.float64)
    cnn.eval()
    with torch.no_grad():
        fast = cnn(x)
        cnn.training = True  # the concatenating path, with BatchNorm still in eval mode
        reference = cnn(x)
    assert torch.allclose(fast, reference, atol=1e-10, rtol=1e-10)


def test_data_consistency_keeps_acquired_points():
    gen = torch.Generator().manual_seed(0)
    pred = torch.randn(4, 32, dtype=torch.complex64, generator=gen)
    acquired = torch.randn(4, 32, dtype=torch.complex64, generator=gen)
    mask = torch.rand(4, 32, generator=gen) < 0.3
    out = data_consistency(pred, acquired, mask, 1e6)
    assert torch.allclose(out[mask], acquired[mask], atol=1e-5)
    assert torch.equal(out[~mask], pred[~mask])
    half = data_consistency(pred, acquired, mask, 1.0)
    assert torch.allclose(half[mask], (pred[mask] + acquired[mask]) / 2)


def _synthetic(n=256, size=16, density=(0.25, 0.25)):
    return SyntheticNUS(n=n, size=size, seed=0, split="test", density=density).batch(range(size))


def test_interface_types_shapes_and_sampled_points():
    y, mask, _ = _synthetic(n=64, size=3)
    out = reconstruct_dl(y, mask)
    assert isinstance(out, np.ndarray) and out.shape == y.shape and out.dtype == np.complex128
    assert np.allclose(out[mask], y[mask], atol=1e-5 * np.abs(y).max())
    one = reconstruct_dl(y[0], mask[0])
    assert one.shape == (64,) and np.allclose(one, out[0], atol=1e-5)
    shared = reconstruct_dl(y[:, :] * mask[0], mask[0])  # one mask for the whole batch
    assert np.allclose(reconstruct_dl(y, mask, chunk=1), out, atol=1e-6)  # chunking: no effect
    assert shared.shape == y.shape
    t = reconstruct_dl(torch.from_numpy(y).to(torch.complex64), torch.from_numpy(mask))
    assert isinstance(t, torch.Tensor) and t.dtype == torch.complex64 and t.shape == y.shape
    assert np.allclose(t.numpy(), out, atol=1e-4)


def test_scale_invariance_and_empty_traces():
    y, mask, _ = _synthetic(n=166, size=2)
    out = reconstruct_dl(y, mask)
    assert np.allclose(reconstruct_dl(1e4 * y, mask), 1e4 * out, rtol=1e-4, atol=1e-6 * 1e4)
    zeros = reconstruct_dl(np.zeros_like(y), mask)
    assert not np.any(zeros)


def test_bad_input_raises():
    y, mask, _ = _synthetic(n=64, size=2)
    with pytest.raises(ValueError, match="complex"):
        reconstruct_dl(y.real, mask)
    with pytest.raises(ValueError, match="boolean"):
        reconstruct_dl(y, mask.astype(int))
    with pytest.raises(ValueError, match="does not fit"):
        reconstruct_dl(y, mask[:, :32])
    with pytest.raises(ValueError, match="no points"):
        reconstruct_dl(y, np.zeros(64, bool))
    with pytest.raises(FileNotFoundError):
        reconstruct_dl(y, mask, weights="no/such/weights.pt")


@pytest.mark.parametrize(("path", "stages"), [(DEFAULT_WEIGHTS, 5), (TEN_STAGE_WEIGHTS, 10)])
def test_committed_weights_load_with_sidecar(path, stages):
    model = load_weights(path)
    assert path.stat().st_size < 5_000_000
    info = weights_info(path)
    assert info["config"]["n_stages"] == len(model.stages) == stages
    for key in ("settings", "data", "git_commit", "steps", "final_val"):
        assert key in info
    assert info["settings"]["n"] == 256 and info["complete"]


@pytest.mark.parametrize("path", [DEFAULT_WEIGHTS, TEN_STAGE_WEIGHTS])
def test_committed_weights_beat_zero_filling_on_held_out_data(path):
    y, mask, full = _synthetic(n=256, size=32)
    target = np.fft.fft(full)
    err_zf = np.linalg.norm(np.fft.fft(y) - target, axis=1)
    err_dl = np.linalg.norm(np.fft.fft(reconstruct_dl(y, mask, weights=path)) - target, axis=1)
    assert np.mean(err_dl) < 0.5 * np.mean(err_zf)


def test_smoke_training_resumes_to_the_same_weights(tmp_path):
    settings = PROFILES["smoke"]
    a = train(settings, tmp_path / "a", weights=tmp_path / "a.pt", progress=False)
    assert a["complete"] and (tmp_path / "a.json").is_file()
    b = train(settings, tmp_path / "b", time_limit_min=0.0, progress=False)
    assert not b["complete"] and b["steps"] == 1
    b = train(settings, tmp_path / "b", weights=tmp_path / "b.pt", progress=False)
    assert b["complete"] and b["steps"] == a["steps"]
    wa, wb = load_weights(tmp_path / "a.pt"), load_weights(tmp_path / "b.pt")
    for (name, pa), pb in zip(wa.state_dict().items(), wb.state_dict().values(), strict=True):
        assert torch.allclose(pa.float(), pb.float(), atol=1e-5), name


def test_snapshots_export_weights_along_the_run_and_the_last_is_the_final(tmp_path):
    settings = PROFILES["smoke"]
    train(settings, tmp_path / "run", weights=tmp_path / "w.pt", progress=False,
          snapshot_every=4)
    snaps = sorted((tmp_path / "run" / "snapshots").glob("step_*.pt"))
    assert [p.name for p in snaps] == ["step_000004.pt", "step_000008.pt"]
    assert weights_info(snaps[0])["steps"] == 4 and weights_info(snaps[0])["snapshot"]
    final, last = load_weights(tmp_path / "w.pt"), load_weights(snaps[-1])
    for (name, pa), pb in zip(final.state_dict().items(), last.state_dict().values(),
                              strict=True):
        assert torch.equal(pa, pb), name
    with pytest.raises(ValueError, match="snapshot_every"):
        train(settings, tmp_path / "bad", snapshot_every=0, progress=False)


def test_an_extended_cascade_fills_points_past_the_acquisition_and_returns_n():
    model = DLNMR(DLNMRConfig(n_stages=2, extend=2)).eval()
    seen = []
    model.register_forward_pre_hook(lambda mod, args: seen.append(args[0].shape[-1]))
    y, mask, _ = _synthetic(n=64, size=3)
    out = reconstruct_dl(y, mask, weights=model)
    assert seen == [128] and out.shape == y.shape
    assert np.allclose(out[mask], y[mask], atol=1e-5)  # untrained stages: the identity


def test_reconstruct_interface_dispatches_to_dl():
    from nmrlib.nus.reconstruct import reconstruct

    y, mask, _ = _synthetic(n=64, size=3)
    assert np.allclose(reconstruct(y, mask, method="dl"), reconstruct_dl(y, mask), atol=1e-6)
    assert np.allclose(reconstruct(y, mask, method="dl10"),
                       reconstruct_dl(y, mask, weights=TEN_STAGE_WEIGHTS), atol=1e-6)


def test_3d_joint_reconstruction_and_ist_2d():
    from nmrlib.nus.dleval import ist_2d
    from nmrlib.nus.dlnmr import reconstruct_dl_3d
    from nmrlib.nus.schedules import mask_from_schedule, poisson_gap_2d
    from nmrlib.nus.synthetic import synthetic_nd

    full = synthetic_nd(4, (16, 16), n_peaks=3, seed=2)
    mask = mask_from_schedule(poisson_gap_2d((16, 16), 64, seed=0), (16, 16))
    for rec in (reconstruct_dl_3d(full * mask, mask), ist_2d(full * mask, mask, iterations=50)):
        assert rec.shape == full.shape
        assert np.allclose(rec[:, mask], full[:, mask], atol=1e-5)
        err = np.linalg.norm(rec - full) / np.linalg.norm(full)
        assert err < np.linalg.norm(full * mask - full) / np.linalg.norm(full)
    for bad in ((full[0], mask), (full * mask, mask.astype(int)), (full * mask, ~mask & False),
                (full.real * mask, mask)):
        with pytest.raises(ValueError):
            reconstruct_dl_3d(*bad)
    with pytest.raises(ValueError, match="refine"):
        reconstruct_dl_3d(full * mask, mask, refine=11)
    chunked = reconstruct_dl_3d(full * mask, mask, chunk=1)
    assert np.allclose(chunked, reconstruct_dl_3d(full * mask, mask), atol=1e-6)


def test_nus_explorer_static_grid():
    import matplotlib

    matplotlib.use("Agg")
    from nmrlib.nus.dleval import synthetic_set
    from nmrlib.nus.explorer import nus_explorer

    data = synthetic_set(12, 64, seed=5)
    fig, table = nus_explorer([data], methods=["dl", "ist"], levels=[0.2, 0.3], seed=1,
                              interactive=False, options={"ist": {"iterations": 50}})
    assert len(table) == 4 and len(fig.axes) == 6
    assert all(0 <= row["r2"] <= 1 and row["seconds"] > 0 for row in table)
    box = nus_explorer([data], methods=["dl"], levels=[0.2, 0.3], interactive=True)
    assert box.children  # the widgets were built and drawn once


def test_real_set_window_holds_the_most_reference_peaks(realdata):
    from nmrlib.nus.dleval import load_real_set, peak_window
    from nmrlib.nus.metrics import pick_peaks

    full = load_real_set("openvnmrj_azithromycin_ghsqcad")
    assert full.name == "azithromycin HSQC"
    cut = peak_window(full, 16)
    assert peak_window(full, 0) is full
    assert cut.fid.shape == (16, full.fid.shape[1])
    counts = np.bincount(pick_peaks(full.reference)[:, 1], minlength=full.fid.shape[0])
    best = np.convolve(counts, np.ones(16, int), mode="valid").max()
    assert counts[np.isin(full.x_ppm, cut.x_ppm)].sum() == best


def test_3d_study_and_its_bench(capsys):
    import runpy

    from nmrlib.nus.dleval import r2_vs_nus_3d

    calls = []
    study = r2_vs_nus_3d((2, 16, 16), {"zf": lambda y, m: calls.append(m.sum()) or y},
                         [0.25], 2)
    assert calls == [64, 64] and len(study["zf"][0.25]["r2"]) == 2
    bench = runpy.run_path(str(Path(__file__).parents[2] / "bench" / "bench_dl3d.py"))
    assert bench["main"](["--shape", "2", "16", "16", "--levels", "0.25", "--schedules",
                          "1"]) == 0
    out = capsys.readouterr().out
    assert "DL10" in out and "IST" in out and "25%" in out


def test_training_cli_overrides_reach_the_sidecar(tmp_path):
    from nmrlib.nus.train_dl import main

    out = tmp_path / "w.pt"
    assert main(["train-dlnmr", "--profile", "smoke", "--out-dir", str(tmp_path / "run"),
                 "--weights", str(out), "--n", "32", "--batch-size", "16", "--peaks", "2", "4",
                 "--tau", "10", "1024", "--tau-log-uniform"]) == 0
    info = weights_info(out)
    assert info["settings"]["n"] == 32 and info["settings"]["batch_size"] == 16
    assert info["data"]["train"]["ranges"]["peaks"] == [2, 4]
    assert info["data"]["train"]["ranges"]["tau_log_uniform"] is True


def test_real_set_bench_scores_weights_beside_the_baselines(realdata, capsys):
    import runpy

    bench = runpy.run_path(str(Path(__file__).parents[2] / "bench" / "bench_dl_real.py"))
    assert bench["main"](["--sets", "openvnmrj_azithromycin_ghsqcad", "--levels",
                          "0.25", "--schedules", "1", "--columns", "4", "--weights",
                          f"dl={DEFAULT_WEIGHTS}"]) == 0
    rows = [line.split() for line in capsys.readouterr().out.splitlines()
            if line.startswith("openvnmrj_azithromycin_ghsqcad")]
    assert [r[1] for r in rows] == ["dl", "ist", "zf"]
    assert all(0 <= float(r[2]) <= 1 for r in rows)
    with pytest.raises(SystemExit):
        bench["main"](["--weights", "dl=no/such.pt"])


def test_timing_bench_times_synthetic_and_whole_real_sets(realdata, tmp_path, capsys):
    import json
    import runpy

    bench = runpy.run_path(str(Path(__file__).parents[2] / "bench" / "bench_dl_timing.py"))
    assert bench["main"](["--n-direct", "8", "--n-indirect", "32", "--repeats", "1",
                          "--threads", "1", "--methods", "dl", "ist"]) == 0
    assert "DL/IST" in capsys.readouterr().out
    out = tmp_path / "t.json"
    assert bench["main"](["--realdata", "--repeats", "1", "--threads", "1",
                          "--methods", "dl", "--out", str(out)]) == 0
    sets = json.loads(out.read_text())["sets"]
    assert set(sets) == {"fidnet_methyl_hmqc", "nmrglue_2d_time_complex",
                         "openvnmrj_azithromycin_ghsqcad", "mrai_malt1_hsqc"}
    assert all(s["seconds"]["dl"] > 0 for s in sets.values())
    with pytest.raises(SystemExit):
        bench["main"](["--lr-options", "not json"])


def test_lr_options_for_a_real_set_add_its_f1_phase_only_for_the_echo(realdata):
    from nmrlib.nus.dleval import lr_options_for
    from nmrlib.nus.nmrio import read_known

    echo = {"algorithm": "svt", "virtual_echo": True}
    key = "mrai_malt1_hsqc"
    assert lr_options_for(key, echo) == dict(echo, p0=read_known(key)[1]["p0"])
    assert lr_options_for(key, {"algorithm": "admm"}) == {"algorithm": "admm"}
    with pytest.raises(ValueError, match="unknown data set"):
        lr_options_for("no such set", echo)
