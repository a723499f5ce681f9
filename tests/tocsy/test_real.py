"""Real against simulated TOCSY of free Thr / Val (nmrlib.tocsy.real) and the classifier
applied to them (nmrlib.tocsy.real_classify)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nmrlib.core.plotting import ppm_axis
from nmrlib.tocsy import real as tr
from nmrlib.tocsy import real_classify as trc

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_phase_filters_zero_order_and_identity():
    gen = np.random.default_rng(0)
    z = gen.standard_normal((2, 8, 16)) + 1j * gen.standard_normal((2, 8, 16))
    assert np.allclose(tr.phase_f2(z, 0, 0), z)
    assert np.allclose(tr.phase_f2(z, 90, 0), 1j * z)
    assert np.allclose(tr.phase_f1(z, 0, 0), z)
    # F1 p0 90: (cos + j sin) * j = -sin + j cos, on both t2 parts
    turned = tr.phase_f1(z, 90, 0)
    assert np.allclose(turned[0], -z[1]) and np.allclose(turned[1], z[0])
    with pytest.raises(ValueError, match="States data"):
        tr.phase_f1(z[0], 0, 0)


def test_first_order_phase_is_a_time_shift():
    """p1 = 360 deg (p0 -180: NMRPipe's p1 pivots on the high-frequency edge) is a shift by
    one dwell: an exponential sampled one dwell late moves back to t = 0."""
    n, f = 64, 0.137
    t = np.arange(n)
    late = np.exp(2j * np.pi * f * (t + 1)) * np.exp(-t / 40)
    on_time = tr.phase_f2(late, -180.0, 360.0)
    expected = np.exp(2j * np.pi * f * t) * np.exp(-(t - 1) / 40)
    assert np.abs(on_time[5:40] - expected[5:40]).max() < 0.05


def test_spectrum_puts_a_line_at_its_ppm():
    sw, mhz, car, n1, n2 = 6000.0, 500.0, 4.8, 32, 64
    shift1, shift2 = 2.0, 7.0
    t = np.arange(max(n1, n2)) / sw
    w1, w2 = (2 * np.pi * (s - car) * mhz for s in (shift1, shift2))
    cos = np.outer(np.cos(w1 * t[:n1]), np.exp(1j * w2 * t[:n2]))
    sin = np.outer(np.sin(w1 * t[:n1]), np.exp(1j * w2 * t[:n2]))
    spec = tr.spectrum(np.stack([cos, sin]), size=(128, 256))
    j, i = np.unravel_index(np.argmax(spec), spec.shape)
    assert abs(ppm_axis(128, sw, mhz, car)[j] - shift1) < 0.1
    assert abs(ppm_axis(256, sw, mhz, car)[i] - shift2) < 0.05
    with pytest.raises(ValueError, match="smaller than the data"):
        tr.spectrum(np.stack([cos, sin]), size=(16, 256))


def test_similarity_of_a_spectrum_with_itself_and_mismatch():
    acq = dict(field_mhz=499.84, carrier_ppm=4.834, sw_hz=6493.5, n1=128, n2=256, tau_mix=0.06,
               t2=0.3)
    shifts, data = tr.simulate_free("THR", acq)
    spec = tr.spectrum(data, size=(512, 1024))
    ppm1, ppm2 = tr.axes(acq, size=(512, 1024))
    peaks = tr.assigned_peaks(spec, ppm1, ppm2, "THR")
    assert len(peaks) == 9 and not any(p["at_edge"] for p in peaks)
    for p in peaks:    # the simulation's peaks sit at its own (GISSMO) shifts
        assert abs(p["f2_ppm"] - shifts[["HA", "HB", "HG2"].index(p["f2_site"])]) < 0.02
    same = tr.similarity(peaks, peaks)
    assert same["max_abs_d_f2_ppm"] == 0 and same["max_abs_d_f1_ppm"] == 0
    cross = [p for p in same["peaks"] if not p["diagonal"]]
    assert len(cross) == 6 and all(p["ratio_real"] == p["ratio_sim"] > 0 for p in cross)
    with pytest.raises(ValueError, match="same assigned peaks"):
        tr.similarity(peaks, peaks[::-1])
    with pytest.raises(ValueError, match="increasing ppm"):
        tr.assigned_peaks(spec, ppm1[::-1], ppm2, "THR")


def test_unknown_residue_is_one_line():
    with pytest.raises(ValueError, match="no real TOCSY of residue 'ALA'; known: THR, VAL"):
        tr.acquisition("ALA")


@pytest.mark.usefixtures("realdata")
def test_real_acquisition_from_the_headers():
    acq = tr.acquisition("VAL")
    assert acq["field_mhz"] == pytest.approx(499.84)
    assert acq["carrier_ppm"] == pytest.approx(4.834, abs=1e-6)     # 4.700 + 0.134 (DSS)
    assert acq["header"]["carrier_spectrometer_ppm"] == pytest.approx(4.700, abs=1e-4)
    assert acq["sw_hz"] == pytest.approx(6493.5, abs=0.01)
    assert acq["tau_mix"] == pytest.approx(0.06)
    assert (acq["n1"], acq["n2"]) == (128, 955)


@pytest.mark.usefixtures("realdata")
def test_the_time_domain_path_reproduces_nmrio():
    """read_states + spectrum = nmrio's processing of the same set (axes reversed: nmrio runs
    from high to low frequency, one point apart after the reversal)."""
    from nmrlib.nus import nmrio

    ds, process = nmrio.read_known("bmrb_threonine_tocsy")
    ref = nmrio.spectrum_2d(ds, **process)
    mine = tr.spectrum(tr.read_states("THR"), size=ref.shape)[::-1, ::-1]
    mine = np.roll(mine, (1, 1), axis=(0, 1))
    assert np.corrcoef(mine.ravel(), ref.ravel())[0, 1] > 0.99
    assert mine.max() == pytest.approx(ref.max(), rel=0.02)


@pytest.mark.usefixtures("realdata")
@pytest.mark.parametrize("code", ["THR", "VAL"])
def test_real_and_simulated_peaks_agree_within_002_ppm(code):
    result = tr.compare(code)
    every = result["similarity"]["peaks"]
    peaks = [p for p in every if not (p["real_at_edge"] or p["sim_at_edge"]
                                      or p["f1_unresolved"])]
    assert len(peaks) == {"THR": 9, "VAL": 8}[code]     # Val: HG1/HG2 merge along F1
    for p in peaks:
        assert abs(p["d_f2_ppm"]) < 0.02 and abs(p["d_f1_ppm"]) < 0.02, p
    text = tr.table(code, result["similarity"])
    assert len(text.splitlines()) == 1 + len(every)
    assert text.count("F1 merged") == {"THR": 0, "VAL": 8}[code]
    # the simulation is scaled to the real spectrum's largest diagonal peak of the residue
    top = [max(p["height"] for p in tr.assigned_peaks(result[k], result["ppm1"],
                                                      result["ppm2"], code)
               if p["f1_site"] == p["f2_site"]) for k in ("real", "sim")]
    assert top[1] == pytest.approx(top[0], rel=1e-9)


def test_normalise_and_report():
    z = np.zeros((3, 2, 4, 4), complex)
    z[:, 0, 0, 0] = [2.0, 1j, -5.0]
    out = trc.normalise(z)
    assert np.allclose(np.abs(out).max(axis=(1, 2, 3)), 1.0)
    with pytest.raises(ValueError, match="all-zero"):
        trc.normalise(np.zeros((2, 4, 4)))
    probs = np.full(20, 0.01)
    probs[[19, 16, 3]] = [0.5, 0.2, 0.11]
    rec = trc.report(probs / probs.sum(), "THR")
    assert [c for c, _ in rec["top3"]] == ["VAL", "THR", "ASP"] and rec["rank_of_true"] == 2
    assert len(rec["probabilities"]) == 20


@pytest.mark.usefixtures("realdata")
def test_real_input_is_the_truncated_normalised_fid():
    x = trc.real_input("THR", 16, 128)
    assert tuple(x.shape) == (4, 16 * 128)
    z = tr.read_states("THR")[:, :16, :128]
    assert np.allclose(x[0].numpy().reshape(16, 128), (z[0] / np.abs(z).max()).real, atol=1e-6)
    with pytest.raises(ValueError, match="complex points"):
        trc.real_input("THR", 256, 128)


@pytest.mark.parametrize("change, message", [
    ({"n1": 256}, "within the real data"), ({"n1": 4, "n2": 64}, "x-vector's context"),
    ({"n_per_class": 5}, "n_per_class must be"), ({"snr": 0.0}, "snr must be"),
    ({"epochs": 0}, "epochs"), ({"lr": -1.0}, "learning rate")])
def test_bad_classifier_settings_are_one_line_errors(change, message):
    with pytest.raises(ValueError, match=message):
        trc.check_settings({**trc.DEFAULTS, **change}, (128, 955))


@pytest.mark.usefixtures("realdata")
def test_classify_command_end_to_end(tmp_path):
    """A tiny run of the command: the JSON holds 20 probabilities per real set summing to 1
    and the command behind it."""
    from nmrlib.__main__ import main

    args = ["tocsy-real", "classify", "--results-dir", str(tmp_path / "res"), "--data-dir",
            str(tmp_path / "data"), "--n-per-class", "10", "--epochs", "1", "--n1", "16",
            "--n2", "128"]
    assert main(args) == 0
    out = json.loads((tmp_path / "res" / trc.RESULT_FILE).read_text())
    assert "--n-per-class 10" in out["command"] and "anecdote" in out["what"]
    for code in ("THR", "VAL"):
        probs = out["real"][code]["probabilities"]
        assert len(probs) == 20 and sum(probs.values()) == pytest.approx(1.0)
        assert len(out["real"][code]["top3"]) == 3
    text = trc.describe(tmp_path / "res")
    real_lines = [line for line in text.splitlines() if line.startswith("real ")]
    assert len(real_lines) == 2 and all(line.count(",") == 19 for line in real_lines)
    assert text.count("*") == 6 and "anecdote" in text
    assert trc.describe(tmp_path / "nowhere").startswith("not run: no ")
