"""The real BMRB TOCSY spectra of free L-threonine and L-valine, read and processed by nmrio.

Bruker ``ser`` (mlevph, 60 ms MLEV-17, 500 MHz, D2O): digital filter removed, States-TPPI
in F1, squared sine bells, the registry's phases, DSS referencing (+0.134 ppm). The
diagonal and cross peaks must sit within 0.02 ppm of the free amino acids' 1H shifts on
both axes. Peaks are local maxima of the real 2D spectrum above 20 robust noise sigma.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.ndimage import maximum_filter

from nmrlib.nus import nmrio

TOL = 0.02   # ppm
THREONINE = (1.32, 3.58, 4.25)   # Hg2 (CH3), Ha, Hb
VALINE = (0.98, 1.03, 2.26, 3.60)   # Hg1, Hg2 (the two CH3), Hb, Ha

pytestmark = pytest.mark.usefixtures("one_torch_thread", "realdata")


def peaks_of(name: str) -> tuple[np.ndarray, dict]:
    """(local maxima as rows (F2 ppm, F1 ppm, height / sigma), process) of a TOCSY set."""
    ds, process = nmrio.read_known(name)
    spec = nmrio.spectrum_2d(ds, **process)          # (F1, F2)
    f2, f1 = ds.direct_ppm, nmrio.indirect_ppm(ds, process["size"])
    sigma = 1.4826 * np.median(np.abs(spec - np.median(spec)))
    j, i = np.nonzero((spec == maximum_filter(spec, size=5)) & (spec > 20 * sigma))
    return np.column_stack([f2[i], f1[j], spec[j, i] / sigma]), {
        "process": process, "ds": ds, "spec": spec, "f1": f1, "f2": f2}


def has_peak(peaks: np.ndarray, f2: float, f1: float) -> bool:
    return bool(np.any((np.abs(peaks[:, 0] - f2) <= TOL) & (np.abs(peaks[:, 1] - f1) <= TOL)))


@pytest.fixture(scope="module")
def threonine():
    return peaks_of("bmrb_threonine_tocsy")


@pytest.fixture(scope="module")
def valine():
    return peaks_of("bmrb_valine_tocsy")


def test_the_bruker_ser_is_read_as_states_tppi_with_the_digital_filter_removed(threonine):
    _, info = threonine
    ds = info["ds"]
    assert ds.meta["format"] == "bruker" and ds.meta["quad"] == "states-tppi"
    assert ds.n_indirect == 128 and ds.traces.shape[0] == 2048    # 1024 complex, zf 2
    assert info["process"]["size"] == 1024
    # DSS referencing: the carrier (O1 = 4.700 ppm) moves to 4.834 on both axes
    for axis in ("FDF2CAR", "FDF1CAR"):
        assert ds.dic[axis] == pytest.approx(4.834, abs=1e-4), axis


@pytest.mark.parametrize("fixture", ["threonine", "valine"])
def test_dss_and_the_solvent_sit_where_they_belong(request, fixture):
    peaks, _ = request.getfixturevalue(fixture)
    assert has_peak(peaks, 0.0, 0.0)            # DSS (CH3)3Si, the reference
    assert np.any((np.abs(peaks[:, 0] - 4.85) < 0.05) & (np.abs(peaks[:, 1] - 4.85) < 0.05))


def test_threonine_diagonal_and_every_cross_peak(threonine):
    peaks, info = threonine
    missing = [(a, b) for a in THREONINE for b in THREONINE if not has_peak(peaks, a, b)]
    assert not missing, f"no peak within {TOL} ppm at (F2, F1) {missing}"
    # absorption: the spectrum's strongest point is the positive CH3 diagonal
    spec = info["spec"]
    assert spec.max() > 5 * abs(spec.min())


def test_valine_diagonal_and_cross_peaks(valine):
    """0.98 and 1.03 ppm (the two methyls, 25 Hz apart) are resolved on the diagonal, but a
    cross peak reaching them from Hb or Ha is one peak in F1: 128 complex t1 points over
    6494 Hz give 51 Hz per point, so along F1 it sits at their centre (1.005 ppm)."""
    peaks, info = valine
    for shift in VALINE:
        assert has_peak(peaks, shift, shift), f"no diagonal peak at {shift}"
    for a in VALINE:                                    # F2 (resolved): every shift
        for b in (2.26, 3.60):
            if a != b:
                assert has_peak(peaks, a, b), f"no cross peak at (F2, F1) ({a}, {b})"
    for a in (2.26, 3.60):
        assert has_peak(peaks, a, 1.005), f"no cross peak at (F2, F1) ({a}, methyls)"
    spec = info["spec"]
    assert spec.max() > 5 * abs(spec.min())


def test_reference_ppm_moves_both_axes_and_nothing_else():
    from nmrlib.core import realdata

    path = realdata.path("bmrb_valine_tocsy")
    plain = nmrio.read_2d(path)
    moved = nmrio.read_2d(path, reference_ppm=0.134)
    assert np.allclose(moved.direct_ppm, plain.direct_ppm + 0.134, atol=1e-9)
    assert np.allclose(nmrio.indirect_ppm(moved, 256), nmrio.indirect_ppm(plain, 256) + 0.134,
                       atol=1e-9)
    assert np.array_equal(moved.traces, plain.traces)
    f1_only = nmrio.read_2d(path, reference_ppm=(0.0, 0.5))
    assert np.allclose(f1_only.direct_ppm, plain.direct_ppm, atol=1e-9)
    with pytest.raises(ValueError, match="reference_ppm must be finite"):
        nmrio.read_2d(path, reference_ppm=float("nan"))
