"""Reading real 2D data (NMRPipe, Varian), processing conventions, write/read round trips."""

import shutil

import nmrglue as ng
import nmrglue.process.pipe_proc as pp
import numpy as np
import pytest

from nmrlib.core.realdata import REGISTRY
from nmrlib.nus import nmrio

NMRGLUE = "nmrglue_2d_time_complex/time_complex.fid"


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_processing_matches_nmrglue_pipe_proc(realdata):
    """F2 via our reader + F1 via process_indirect == nmrglue's own 2D processing chain."""
    ds = nmrio.read_2d(realdata / NMRGLUE, direct={
        "apod": {"kind": "gmb", "gb": 0.1, "lb": -8.0, "c": 0.5}, "p0": -36.0})
    spec = nmrio.spectrum_2d(ds, apod={"off": 0.5, "end": 1.0, "pow": 2.0}, size=512, p0=-7.0)
    d, a = ng.pipe.read(str(realdata / NMRGLUE))
    d, a = pp.gmb(d, a, gb=0.1, lb=-8, c=0.5)
    d, a = pp.zf(d, a, auto=True)
    d, a = pp.ft(d, a, auto=True)
    d, a = pp.ps(d, a, p0=-36, p1=0)
    d, a = pp.di(d, a)
    d, a = pp.tp(d, a)
    d, a = pp.sp(d, a, off=0.5, pow=2, c=0.5)
    d, a = pp.zf(d, a, auto=True)
    d, a = pp.ft(d, a, auto=True)
    d, a = pp.ps(d, a, p0=-7, p1=0)
    d, a = pp.di(d, a)
    d, a = pp.tp(d, a)
    assert spec.shape == a.shape == (512, 4096)
    assert np.abs(spec - a).max() < 1e-5 * np.abs(a).max()
    assert np.allclose(nmrio.indirect_ppm(ds, 512), ng.pipe.make_uc(d, a, dim=0).ppm_scale())
    assert np.allclose(ds.direct_ppm, ng.pipe.make_uc(d, a, dim=1).ppm_scale())


@pytest.mark.parametrize("name", sorted(n for n, e in REGISTRY.items() if "direct" in e))
def test_real_sets_read_with_their_defaults(realdata, name, tmp_path):
    cfg = REGISTRY[name]
    ds = nmrio.read_2d(realdata / name / cfg["file"], direct=cfg["direct"],
                       reference_ppm=cfg.get("reference_ppm"))
    hi, lo = cfg["direct"].get("region_ppm", (np.inf, -np.inf))
    assert ds.direct_ppm[0] <= hi + 0.1 and ds.direct_ppm[-1] >= lo - 0.1
    assert np.all(np.diff(ds.direct_ppm) < 0)
    assert ds.traces.dtype == np.complex64 and np.isfinite(ds.traces).all()
    # write then read back: data and header survive
    path = nmrio.write_pipe(tmp_path / "x.ft1", ds)
    back = nmrio.read_pipe_ft1(path)
    assert np.array_equal(back.traces, ds.traces)
    assert np.allclose(back.direct_ppm, ds.direct_ppm, atol=1e-4)
    for key in ("FDF1SW", "FDF1OBS", "FDF1ORIG", "FDF2SW", "FDF2ORIG", "FDF2X1", "FDF2XN"):
        assert back.dic[key] == pytest.approx(ds.dic[key], rel=1e-6), key


def test_varian_states_echo_antiecho(realdata):
    name = "openvnmrj_azithromycin_ghsqcad"
    ds = nmrio.read_2d(realdata / name / REGISTRY[name]["file"])
    assert ds.n_indirect == 64 and ds.meta["format"] == "varian"
    assert ds.meta["quad"] == "f1coef" and ds.meta["f1coef"] == (1, 0, 1, 0, 0, -1, 0, 1)
    f1 = nmrio.indirect_ppm(ds, 128)
    assert f1[0] == pytest.approx(120.0, abs=0.5) and f1[-1] == pytest.approx(0.93, abs=0.5)


def test_ft1_round_trip_preserves_header(realdata, tmp_path):
    src = realdata / "fidnet_hdac_nus" / "hdac_ex.ft1"
    ds = nmrio.read_2d(src)
    assert ds.traces.shape == (408, 24)
    out = nmrio.write_pipe(tmp_path / "copy.ft1", ds)
    d0, a0 = ng.pipe.read(str(src))
    d1, a1 = ng.pipe.read(str(out))
    assert np.array_equal(a0, a1)
    assert d0 == d1
    assert out.read_bytes() == src.read_bytes()


def test_truncated_and_corrupt_files_raise(realdata, tmp_path):
    src = realdata / NMRGLUE
    with pytest.raises(FileNotFoundError):
        nmrio.read_2d(tmp_path / "missing.fid")
    tiny = tmp_path / "tiny.fid"
    tiny.write_bytes(src.read_bytes()[:1000])
    with pytest.raises(ValueError, match="too short"):
        nmrio.read_2d(tiny)
    cut = tmp_path / "cut.fid"
    cut.write_bytes(src.read_bytes()[:500_000])
    with pytest.raises(ValueError, match="truncated|cannot read"):
        nmrio.read_2d(cut)
    bad = bytearray(src.read_bytes())
    bad[8:12] = b"\x00\x00\x00\x00"        # the 2.345 byte-order constant
    corrupt = tmp_path / "corrupt.fid"
    corrupt.write_bytes(bytes(bad))
    with pytest.raises(ValueError, match="not an NMRPipe file"):
        nmrio.read_2d(corrupt)
    var = tmp_path / "var.fid"
    shutil.copytree(realdata / "openvnmrj_azithromycin_ghsqcad" / "Azithromycin_gHSQCAD_01.fid",
                    var)
    (var / "fid").write_bytes((var / "fid").read_bytes()[:200_000])
    with pytest.raises(ValueError, match="truncated|cannot read"):
        nmrio.read_2d(var)
    with pytest.raises(ValueError, match="neither"):
        nmrio.read_2d(tmp_path)


def test_read_known_uses_the_table_settings(realdata):
    path = realdata / "openvnmrj_azithromycin_ghsqcad" / REGISTRY[
        "openvnmrj_azithromycin_ghsqcad"]["file"]
    ds, process = nmrio.read_known(path)
    assert ds.n_indirect == 64 and process["size"] == 128
    by_name, process_by_name = nmrio.read_known("openvnmrj_azithromycin_ghsqcad")
    assert np.array_equal(by_name.traces, ds.traces) and process_by_name == process
    with pytest.raises(ValueError, match="no processing settings"):
        nmrio.read_known(path, key="unknown")
    with pytest.raises(ValueError, match="no processing settings"):
        nmrio.read_known(path, key="fidnet_hdac_nus")


def test_alt_negates_odd_points_and_shifts_the_spectrum_by_half_the_width():
    gen = np.random.default_rng(0)
    traces = gen.standard_normal((3, 32)) + 1j * gen.standard_normal((3, 32))
    flipped = traces * (-1.0) ** np.arange(32)
    plain = nmrio.process_indirect(flipped, size=64)
    assert np.allclose(nmrio.process_indirect(traces, size=64, alt=True), plain)
    unshifted = nmrio.process_indirect(traces, size=64, apod={"off": 0.5, "end": 0.98})
    assert np.allclose(np.roll(unshifted, 32, axis=-1),
                       nmrio.process_indirect(traces, size=64, alt=True), atol=1e-9)


def test_methyl_set_processed_as_its_authors_gives_absorptive_peaks(realdata):
    """FID-Net's own processing: positive absorptive peaks, no +/- ridges along F2."""
    name = "fidnet_methyl_hmqc"
    ds, process = nmrio.read_known(realdata / name / REGISTRY[name]["file"])
    spec = nmrio.process_indirect(ds.traces, **process)
    assert spec.min() > -0.1 * spec.max()
