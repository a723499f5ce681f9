"""Real against simulated 2D TOCSY of free L-threonine and L-valine (issue 22, item 4).

The BMRB metabolomics-standard TOCSY sets of :mod:`nmrlib.core.realdata` (Bruker ``mlevph``,
60 ms MLEV-17, D2O, 298 K) are compared with :mod:`nmrlib.tocsy.spin` simulations of the same
residues in the ``"free"`` context of :mod:`nmrlib.tocsy.residues` at the real acquisition.

Conventions (the simulator's, :mod:`nmrlib.tocsy.spin`):

* Time-domain States data are complex ``(2, n1, n2)``: channel 0 = cos, channel 1 = sin,
  first point of both dimensions at t = 0, a shift above the carrier has a positive
  frequency. :func:`read_states` brings the raw Bruker ``ser`` to that convention:
  digital filter removed (``nmrglue.bruker.remove_digital_filter``, which also drops the
  group-delay points: 955 complex t2 points remain of 1024), States-TPPI decoded (rows
  A/B = cos/sin; every odd increment negated), then the registry's F2 and F1 phases
  (NMRPipe convention, degrees) applied as frequency-dependent phase filters (zero-filled
  to 2n, so the first-order phase, a sub-dwell time shift, does not wrap around). The
  F1 phase acts on the hypercomplex pair (cos + j sin). Processed with :func:`spectrum`,
  the result equals :func:`nmrlib.nus.nmrio.spectrum_2d` of the same set (correlation > 0.99,
  test), with its axes in increasing frequency.
* ppm: the DSS scale. No SR is stored in the sets; DSS sits at -0.134 ppm of the carrier
  axis (O1 / BF1 = 4.700 ppm), so the registry's ``reference_ppm`` (+0.134) is added and
  the carrier is 4.834 ppm on the DSS scale (:func:`acquisition`). The free-amino-acid
  shifts of :mod:`nmrlib.tocsy.residues` (GISSMO, DSS-referenced) are on the same scale.
* Field: BF1 = 499.84 MHz (the ppm scale's base frequency). Sweep: SW_h of acqus
  (6493.507 Hz) for both dimensions (acqu2s: 6493.502 Hz, 0.005 Hz apart; the simulator
  has one sweep). Mixing: D9 of acqus (60 ms).
* Processing (:func:`spectrum`), identical for real and simulated data: cos^2 bell
  (NMRPipe SP off 0.5 end 1 pow 2, the registry's window) in both dimensions, first points
  halved, zero-fill to ``size``, FT (hypercomplex, as :func:`nmrlib.tocsy.spin.states_spectrum`),
  real part. Axes from :func:`nmrlib.core.plotting.ppm_axis` (increasing with index).

Simulation (:func:`simulate_free`): the GISSMO free-D2O shifts (the ``"free"`` context's
means, no random draw) and couplings, ideal spin lock (``"lock"``), T2 :data:`T2_S` in both
dimensions (an assumption: the bell dominates the line widths at these acquisition times).
What it lacks: DSS (0.0, 0.63, 1.75, 2.91 ppm), the HDO line (4.85 ppm), 13C satellites
(+/- ~65 Hz around every line at 0.5 % each), relaxation during mixing, rf
inhomogeneity and the trim pulses' imperfections, and t1 noise.

Similarity (:func:`assigned_peaks`, :func:`similarity`): every (F2 site, F1 site) pair of
the residue's sites is a peak assigned by position: the largest point of the real
spectrum inside a box of half-widths :data:`BOX_PPM` (F1, F2) around the GISSMO shifts,
refined by a 3-point parabola along each axis. Ratios are heights (not volumes): cross
peak (F2 = a, F1 = b) over the diagonal peak (b, b) of the same F1 row, i.e. the fraction
of b's magnetisation found on a after mixing, seen through identical processing.

Command line: ``python -m nmrlib tocsy-real compare [--results-dir DIR]`` writes
``DIR/tocsy_real_similarity.json``; ``classify`` lives in :mod:`nmrlib.tocsy.real_classify`.
"""

from __future__ import annotations

import warnings

import numpy as np

from nmrlib.tocsy.residues import spin_system

__all__ = ["SETS", "T2_S", "BOX_PPM", "acquisition", "read_states", "phase_f2", "phase_f1",
           "spectrum", "axes", "simulate_free", "assigned_peaks", "similarity", "compare",
           "table", "results", "main"]

SETS: dict[str, str] = {"THR": "bmrb_threonine_tocsy", "VAL": "bmrb_valine_tocsy"}
"""Residue code -> registry name of its real TOCSY."""
T2_S = 0.3
"""Transverse relaxation time of the simulations (s), both dimensions (assumed)."""
BOX_PPM = (0.06, 0.03)
"""Half-widths (F1, F2) of the box a peak is searched in (ppm): F1 has 128 complex points
over 13 ppm (0.10 ppm per point), F2 955 (0.014 ppm per point)."""
SIZE = (1024, 2048)
"""Default zero-filled size (F1, F2) of :func:`spectrum` (the registry's F1 size; F2 as
:func:`nmrlib.nus.nmrio.read_2d`: 955 points x 2, next power of two)."""


def _entry(code: str) -> tuple[str, dict]:
    from nmrlib.core import realdata

    key = str(code).upper()
    if key not in SETS:
        raise ValueError(f"no real TOCSY of residue {code!r}; known: {', '.join(SETS)}")
    return SETS[key], realdata.entry(SETS[key])


def _jcamp(folder, name: str) -> dict:
    import nmrglue as ng

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ng.bruker.read_jcamp(str(folder / name))


def acquisition(code: str) -> dict:
    """The real acquisition of residue ``code``'s set, in :data:`nmrlib.tocsy.residues.ACQUISITION`
    keys (field MHz, carrier ppm on the DSS scale, sweep Hz, mixing s; t2 = :data:`T2_S`)
    plus ``n1``/``n2`` (complex points after digital-filter removal) and the header values
    behind them (``header``)."""
    from nmrlib.core import realdata

    name, entry = _entry(code)
    folder = realdata.fetch(name)
    acqus, acqu2s = _jcamp(folder, "acqus"), _jcamp(folder, "acqu2s")
    bf1, o1 = float(acqus["BF1"]), float(acqus["O1"])
    header = {"BF1_MHz": bf1, "O1_Hz": o1, "SW_h_F2_Hz": float(acqus["SW_h"]),
              "SW_h_F1_Hz": float(acqu2s["SW_h"]), "D9_s": float(acqus["D"][9]),
              "TD_F2": int(acqus["TD"]), "TD_F1": int(acqu2s["TD"]),
              "reference_ppm": float(entry["reference_ppm"]),
              "carrier_spectrometer_ppm": o1 / bf1}
    return {"field_mhz": bf1, "carrier_ppm": o1 / bf1 + header["reference_ppm"],
            "sw_hz": header["SW_h_F2_Hz"], "n1": header["TD_F1"] // 2,
            "n2": _states_raw(name).shape[-1], "tau_mix": header["D9_s"], "t2": T2_S,
            "header": header}


def _states_raw(name: str) -> np.ndarray:
    """The ``ser`` of set ``name``: digital filter removed, States-TPPI decoded, (2, n1, n2)."""
    import nmrglue as ng

    from nmrlib.core import realdata

    folder = realdata.fetch(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dic, data = ng.bruker.read(str(folder))
        data = ng.bruker.remove_digital_filter(dic, data)
    if data.ndim != 2 or data.shape[0] % 2:
        raise ValueError(f"{folder}: expected hypercomplex 2D data, got shape {data.shape}")
    sign = np.where(np.arange(data.shape[0] // 2) % 2, -1.0, 1.0)[:, None]
    return np.stack([data[0::2] * sign, data[1::2] * sign]).astype(np.complex128)


def _phase_filter(n: int, p0: float, p1: float) -> np.ndarray:
    """exp(i phase) on the 2n-point FFT grid, NMRPipe's ``p0 + p1 k / N`` with k counted from
    the high-frequency edge (k / N = 0.5 - f / sw)."""
    f = np.fft.fftfreq(2 * n)
    return np.exp(1j * np.deg2rad(p0 + p1 * (0.5 - f)))


def phase_f2(data: np.ndarray, p0: float, p1: float) -> np.ndarray:
    """Apply an F2 phase (degrees, NMRPipe convention) to time-domain data (..., n2)."""
    n = data.shape[-1]
    spec = np.fft.fft(data, 2 * n, axis=-1) * _phase_filter(n, p0, p1)
    return np.fft.ifft(spec, axis=-1)[..., :n]


def phase_f1(data: np.ndarray, p0: float, p1: float) -> np.ndarray:
    """Apply an F1 phase (degrees) to States data (2, n1, n2): a filter along t1 acting on
    the hypercomplex pair cos + j sin, separately for the real and imaginary t2 parts."""
    data = np.asarray(data)
    if data.ndim != 3 or data.shape[0] != 2:
        raise ValueError(f"expected States data (2, n1, n2), got shape {data.shape}")
    n = data.shape[1]
    h = _phase_filter(n, p0, p1)[:, None]
    parts = []
    for part in (data.real, data.imag):
        u = np.fft.ifft(np.fft.fft(part[0] + 1j * part[1], 2 * n, axis=0) * h, axis=0)[:n]
        parts.append(u)
    return np.stack([parts[0].real + 1j * parts[1].real, parts[0].imag + 1j * parts[1].imag])


def read_states(code: str) -> np.ndarray:
    """Real time-domain States data (2, n1, n2) of residue ``code`` in the simulator's
    convention (module docstring), phased with the registry's phases."""
    name, entry = _entry(code)
    data = _states_raw(name)
    data = phase_f2(data, entry["direct"]["p0"], entry["direct"]["p1"])
    return phase_f1(data, entry["indirect"]["p0"], entry["indirect"]["p1"])


def spectrum(data: np.ndarray, size: tuple[int, int] = SIZE) -> np.ndarray:
    """Real 2D spectrum (size1 F1 rows, size2 F2 columns) of States data (2, n1, n2): cos^2
    bells, zero-fill to ``size``, hypercomplex FT; frequency increasing with index."""
    from nmrlib.tocsy.spin import states_spectrum

    data = np.asarray(data)
    if data.ndim != 3 or data.shape[0] != 2:
        raise ValueError(f"expected States data (2, n1, n2), got shape {data.shape}")
    n1, n2 = data.shape[1:]
    if size[0] < n1 or size[1] < n2:
        raise ValueError(f"zero-fill size {tuple(size)} is smaller than the data ({n1}, {n2})")
    bell = np.multiply.outer(np.cos(np.linspace(0, np.pi / 2, n1)) ** 2,
                             np.cos(np.linspace(0, np.pi / 2, n2)) ** 2)
    padded = np.zeros((2, int(size[0]), int(size[1])), complex)
    padded[:, :n1, :n2] = data * bell
    return states_spectrum(padded, window=False)


def axes(acq: dict, size: tuple[int, int] = SIZE) -> tuple[np.ndarray, np.ndarray]:
    """ppm of the (F1, F2) points of :func:`spectrum` at acquisition ``acq``."""
    from nmrlib.core.plotting import ppm_axis

    return tuple(ppm_axis(int(n), acq["sw_hz"], acq["field_mhz"], acq["carrier_ppm"])
                 for n in size)


def simulate_free(code: str, acq: dict, selection: str = "lock") -> tuple[np.ndarray, np.ndarray]:
    """(site shifts ppm, noise-free States data (2, n1, n2)) of residue ``code`` in the
    ``"free"`` context at its GISSMO shifts (no draw), acquisition ``acq`` (ACQUISITION
    keys; extra keys ignored)."""
    from nmrlib.tocsy.residues import ACQUISITION

    system = spin_system(code, "free")
    keys = {k: acq[k] for k in ACQUISITION}
    data = system.network().fid(system.mean[None], **keys, selection=selection)
    return system.mean.copy(), data[0].cpu().numpy().astype(np.complex128)


def _refine(values: np.ndarray, i: int) -> float:
    """Sub-point offset of a maximum at ``i`` from a 3-point parabola (0 at an edge)."""
    if i <= 0 or i >= len(values) - 1:
        return 0.0
    a, b, c = values[i - 1], values[i], values[i + 1]
    den = a - 2 * b + c
    return float(0.5 * (a - c) / den) if den < 0 else 0.0


def assigned_peaks(spec: np.ndarray, ppm1: np.ndarray, ppm2: np.ndarray, code: str,
                   box: tuple[float, float] = BOX_PPM) -> list[dict]:
    """Peaks of residue ``code`` in a real 2D spectrum (F1 rows, F2 columns, axes increasing):
    one per (F2 site, F1 site) pair, the box maximum around the GISSMO shifts (module
    docstring). Rows: ``f2_site``, ``f1_site``, ``f2_ppm``, ``f1_ppm`` (refined), ``height``,
    ``at_edge`` (the maximum lies on the box edge: no peak inside)."""
    system = spin_system(code, "free")
    d1, d2 = float(np.mean(np.diff(ppm1))), float(np.mean(np.diff(ppm2)))
    if d1 <= 0 or d2 <= 0 or spec.shape != (len(ppm1), len(ppm2)):
        raise ValueError("assigned_peaks needs a (F1, F2) spectrum with increasing ppm axes")
    rows = []
    for b, shift1 in zip(system.names, system.mean, strict=True):
        for a, shift2 in zip(system.names, system.mean, strict=True):
            r = np.nonzero(np.abs(ppm1 - shift1) <= box[0])[0]
            c = np.nonzero(np.abs(ppm2 - shift2) <= box[1])[0]
            if not len(r) or not len(c):
                raise ValueError(f"{code} {a}/{b}: the box lies outside the spectrum")
            sub = spec[np.ix_(r, c)]
            j, i = np.unravel_index(int(np.argmax(sub)), sub.shape)
            edge = j in (0, len(r) - 1) or i in (0, len(c) - 1)
            rows.append({"f2_site": a, "f1_site": b,
                         "f2_ppm": float(ppm2[c[i]] + d2 * _refine(sub[j], i)),
                         "f1_ppm": float(ppm1[r[j]] + d1 * _refine(sub[:, i], j)),
                         "height": float(sub[j, i]), "at_edge": bool(edge)})
    return rows


def _ratios(rows: list[dict]) -> dict[tuple[str, str], float]:
    diag = {r["f1_site"]: r["height"] for r in rows if r["f1_site"] == r["f2_site"]}
    return {(r["f2_site"], r["f1_site"]): r["height"] / diag[r["f1_site"]] for r in rows
            if r["f1_site"] != r["f2_site"]}


def similarity(real: list[dict], sim: list[dict]) -> dict:
    """Per assigned peak: real - simulated position (ppm, F2 and F1) and, for cross peaks,
    the cross/diagonal height ratio of both (module docstring); plus summaries (max |d|)."""
    if [(r["f2_site"], r["f1_site"]) for r in real] != \
            [(s["f2_site"], s["f1_site"]) for s in sim]:
        raise ValueError("similarity needs the same assigned peaks in both lists")
    ratio_real, ratio_sim = _ratios(real), _ratios(sim)
    peaks = []
    for r, s in zip(real, sim, strict=True):
        key = (r["f2_site"], r["f1_site"])
        peaks.append({"f2_site": key[0], "f1_site": key[1], "diagonal": key[0] == key[1],
                      "real_ppm": [r["f2_ppm"], r["f1_ppm"]],
                      "sim_ppm": [s["f2_ppm"], s["f1_ppm"]],
                      "d_f2_ppm": r["f2_ppm"] - s["f2_ppm"], "d_f1_ppm": r["f1_ppm"] - s["f1_ppm"],
                      "ratio_real": ratio_real.get(key), "ratio_sim": ratio_sim.get(key),
                      "real_at_edge": r["at_edge"], "sim_at_edge": s["at_edge"]})
    return {"peaks": peaks,
            "max_abs_d_f2_ppm": max(abs(p["d_f2_ppm"]) for p in peaks),
            "max_abs_d_f1_ppm": max(abs(p["d_f1_ppm"]) for p in peaks)}


def compare(code: str, size: tuple[int, int] = SIZE) -> dict:
    """Real and simulated spectra of residue ``code`` processed alike, and their similarity:
    ``{"acq", "ppm1", "ppm2", "real", "sim", "similarity"}`` (spectra (F1, F2), the
    simulation scaled so its largest diagonal peak equals the real one's). A peak is
    ``f1_unresolved`` when another site lies within one acquired F1 point (sw / n1, 0.10
    ppm) of its F1 site (Val's two methyls, 0.05 ppm apart): its F1 position and ratio
    describe the merged pair."""
    acq = acquisition(code)
    real = spectrum(read_states(code), size)
    sim = spectrum(simulate_free(code, acq)[1], size)
    ppm1, ppm2 = axes(acq, size)
    real_peaks = assigned_peaks(real, ppm1, ppm2, code)
    sim_peaks = assigned_peaks(sim, ppm1, ppm2, code)
    scale = (max(p["height"] for p in real_peaks if p["f1_site"] == p["f2_site"])
             / max(p["height"] for p in sim_peaks if p["f1_site"] == p["f2_site"]))
    result = similarity(real_peaks, sim_peaks)
    system = spin_system(code, "free")
    step1 = acq["sw_hz"] / acq["n1"] / acq["field_mhz"]      # one acquired F1 point, ppm
    for p in result["peaks"]:
        b = system.mean[system.names.index(p["f1_site"])]
        p["f1_unresolved"] = bool(np.sum(np.abs(system.mean - b) < step1) > 1)
    return {"acq": acq, "ppm1": ppm1, "ppm2": ppm2, "real": real, "sim": sim * scale,
            "similarity": result}


def table(code: str, sim: dict) -> str:
    """A :func:`similarity` result of residue ``code`` as text, one line per assigned peak:
    sites (F1 -> F2, the transfer), real - simulated position (ppm) and, for cross peaks,
    the cross/diagonal ratios (flags: ``edge`` no maximum inside the box, ``F1 merged``)."""
    lines = [f"{code}: F1 -> F2   d(F2) d(F1) ppm   cross/diagonal real sim"]
    for p in sim["peaks"]:
        ratio = "" if p["diagonal"] else f"   {p['ratio_real']:5.2f} {p['ratio_sim']:5.2f}"
        flags = [f for f, on in (("edge", p["real_at_edge"] or p["sim_at_edge"]),
                                 ("F1 merged", p.get("f1_unresolved"))) if on]
        note = f"   ({', '.join(flags)})" if flags else ""
        lines.append(f"  {p['f1_site']:>4} -> {p['f2_site']:<4} {p['d_f2_ppm']:+.3f} "
                     f"{p['d_f1_ppm']:+.3f}{ratio}{note}")
    return "\n".join(lines)


def results(codes=tuple(SETS), size: tuple[int, int] = SIZE) -> dict:
    """The similarity of every real set (JSON-ready): acquisition, per-peak table, settings."""
    out = {"what": "real vs simulated (free context, GISSMO shifts) 2D TOCSY: assigned peak "
                   "positions (real - sim, ppm) and cross/diagonal height ratios",
           "processing": {"bell": "cos^2 both dimensions", "size": list(size),
                          "phases": "registry (nmrlib.core.realdata), real data only"},
           "box_ppm": list(BOX_PPM), "t2_s": T2_S, "residues": {}}
    for code in codes:
        c = compare(code, size)
        out["residues"][code] = {"set": SETS[code], "acquisition": c["acq"], **c["similarity"]}
    return out


def main(argv: list[str]) -> int:
    """``python -m nmrlib tocsy-real compare [--results-dir DIR]`` (classify: see
    :mod:`nmrlib.tocsy.real_classify`)."""
    from nmrlib.core.cli import CliParser
    from nmrlib.core.repro import write_json

    parser = CliParser(prog="python -m nmrlib tocsy-real",
                       description="real vs simulated TOCSY of free Thr and Val")
    sub = parser.add_subparsers(dest="action", required=True, parser_class=CliParser)
    cmp_p = sub.add_parser("compare", help="peak positions and cross/diagonal ratios -> JSON")
    cmp_p.add_argument("--results-dir", default="results/quick")
    cls_p = sub.add_parser("classify", help="train on free-context simulations, classify the "
                           "real spectra -> JSON")
    from nmrlib.tocsy.real_classify import add_arguments, run

    add_arguments(cls_p)
    args = parser.parse_args(argv[1:])
    if args.action == "compare":
        path = write_json(f"{args.results_dir}/tocsy_real_similarity.json", results())
        print(f"written {path}")
        return 0
    return run(args)
