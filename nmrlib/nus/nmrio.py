"""Real 2D NMR data in and out (via nmrglue): one representation for NUS work.

Representation (:class:`Dataset2D`)
-----------------------------------
* ``traces`` complex (n_direct, n_indirect): for each point of the *processed* direct
  (F2) spectrum, the indirect (F1) time-domain interferogram as complex points. The F2
  dimension is apodised, zero-filled, Fourier transformed, phased, the imaginary part is
  discarded and a ppm region extracted -- NMRPipe's ``.ft1`` intermediate, the input of
  nusExpand/istHMS/SMILE/FID-Net.
* The quadrature pair of the indirect dimension (rows ``A, B`` of each increment) is turned
  into one complex point ``Re S_A' + i Re S_B'`` after F2 processing, where ``(S_A', S_B')``
  is a linear combination of the phased complex F2 spectra given by the 2x4 coefficients
  ``(c1..c8)`` of VnmrJ's ``f1coef``: ``real = c1 Re A + c2 Im A + c3 Re B + c4 Im B``,
  ``imag = c5 Re A + c6 Im A + c7 Re B + c8 Im B``. States is ``1 0 0 0 0 0 1 0``;
  States-TPPI is States with the sign of every other increment flipped; echo-antiecho
  (rows E, AE) is ``1 0 1 0 0 -1 0 1`` (cos = Re(E + AE), sin = Im(AE - E)).
* ``dic`` is an NMRPipe header describing exactly that layout (F2 frequency domain real,
  F1 time domain complex, rows interleaved Re/Im), so :func:`write_pipe` writes a valid
  NMRPipe file and the ppm axes come from nmrglue's unit conversion of this header.

Conventions: NMRPipe's FT (``nmrglue.process.pipe_proc.ft``: ``fftshift(ifft(x)) * N``)
so spectra run from high to low frequency with index; phases in degrees,
``S * exp(i (p0 + p1 k / N))``; apodisation parameters as NMRPipe's SP/GM/GMB/EM.
"""

from __future__ import annotations

import copy
import os
import struct
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = [
    "QUAD_COEFFS", "Dataset2D", "read_2d", "read_pipe_ft1", "read_pipe_ft2",
    "write_pipe", "process_indirect", "read_known", "indirect_ppm", "spectrum_2d",
]

QUAD_COEFFS: dict[str, tuple[float, ...]] = {
    "states": (1, 0, 0, 0, 0, 0, 1, 0),
    "states-tppi": (1, 0, 0, 0, 0, 0, 1, 0),
    "echo-antiecho": (1, 0, 1, 0, 0, -1, 0, 1),
}

@dataclass
class Dataset2D:
    """A 2D data set with F2 processed and F1 in the time domain (see the module docstring)."""

    traces: np.ndarray
    direct_ppm: np.ndarray
    dic: dict
    source: str = ""
    meta: dict = field(default_factory=dict)

    @property
    def n_indirect(self) -> int:
        return self.traces.shape[1]

    def with_traces(self, traces: np.ndarray) -> Dataset2D:
        """A copy holding other indirect traces (e.g. reconstructed, or more increments)."""
        traces = np.asarray(traces)
        if traces.shape[0] != self.traces.shape[0]:
            raise ValueError(f"traces have {traces.shape[0]} direct points, "
                             f"expected {self.traces.shape[0]}")
        dic = copy.deepcopy(self.dic)
        n1 = traces.shape[1]
        dic["FDSPECNUM"] = float(n1)
        dic["FDF1TDSIZE"] = float(n1)
        dic["FDF1APOD"] = float(n1)
        dic["FDF1CENTER"] = float(n1 // 2 + 1)
        return Dataset2D(traces, self.direct_ppm, dic, self.source, dict(self.meta))


# --------------------------------------------------------------------------- reading


def _check_file(path: Path, min_bytes: int = 2048) -> None:
    if not path.exists():
        raise FileNotFoundError(f"{path} not found")
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a folder, expected a file")
    if not path.is_file():
        raise ValueError(f"{path} is not a regular file (FIFO, socket or device)")
    size = path.stat().st_size
    if size < min_bytes:
        raise ValueError(f"{path}: " + ("empty file" if size == 0 else
                                        f"only {size} bytes, too short for NMR data"))


def _read_pipe_checked(path: Path):
    """nmrglue's NMRPipe reader with checks for truncated and corrupt files.

    The 2048-byte header is checked first (byte-order constant, 2D, positive integer
    sizes, file size = header + data), so nmrglue only ever sees consistent files.
    """
    import nmrglue as ng

    _check_file(path, min_bytes=1)
    header = np.fromfile(path, dtype=np.float32, count=512)
    if len(header) < 512:
        raise ValueError(f"{path}: truncated NMRPipe header ({path.stat().st_size} of 2048 "
                         "bytes, too short)")
    magic = header[2]
    if abs(header.byteswap()[2] - 2.345) < 1e-3:
        header = header.byteswap()
    elif abs(magic - 2.345) > 1e-3:
        raise ValueError(f"{path}: not an NMRPipe file (byte-order constant {float(magic):g} "
                         "!= 2.345)")
    head = ng.pipe.fdata2dic(header)
    if head["FDDIMCOUNT"] != 2:
        raise ValueError(f"{path}: expected 2D NMRPipe data, header says {head['FDDIMCOUNT']:g}D")
    sizes = (head["FDSIZE"], head["FDSPECNUM"])
    if not all(np.isfinite(v) and v >= 1 and v == int(v) for v in sizes):
        raise ValueError(f"{path}: header sizes FDSIZE {sizes[0]:g}, FDSPECNUM {sizes[1]:g} "
                         "must be positive integers (corrupt header?)")
    expected = 2048 + 4 * int(np.prod(ng.pipe.find_shape(head)))
    if path.stat().st_size != expected:
        raise ValueError(f"{path}: size does not match the header, truncated or corrupt "
                         f"({path.stat().st_size} bytes, header says {expected})")
    for key in ("FDF2SW", "FDF2OBS", "FDF1SW", "FDF1OBS"):
        if not (np.isfinite(head[key]) and head[key] > 0):
            raise ValueError(f"{path}: header {key} = {head[key]:g} must be positive (corrupt "
                             "header?)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            dic, data = ng.pipe.read(str(path))
    except Exception as err:  # nmrglue raises assorted errors on damaged files
        raise ValueError(f"{path}: cannot read NMRPipe data: {err}") from err
    if data.ndim != 2 or data.shape[-1] != sizes[0]:
        raise ValueError(f"{path}: data of shape {data.shape} do not match the header")
    if not np.all(np.isfinite(data)):
        raise ValueError(f"{path}: data contain NaN or infinite values (corrupt file?)")
    return dic, data


VARIAN_FILE_HEADER = struct.Struct(">6i2hi")  # nblocks ntraces np ebytes tbytes bbytes ...
VARIAN_BLOCK_HEADER = 28


def _check_varian_fid(path: Path) -> int:
    """Check a Varian ``fid`` file's header against its size; return the number of FIDs."""
    with open(path, "rb") as handle:
        head = handle.read(VARIAN_FILE_HEADER.size)
    nblocks, ntraces, npts, ebytes, tbytes, bbytes, _, _, nbheaders = \
        VARIAN_FILE_HEADER.unpack(head)
    if (ebytes not in (2, 4) or npts < 2 or tbytes != npts * ebytes or nblocks < 1
            or ntraces < 1 or nbheaders < 0
            or bbytes != ntraces * tbytes + nbheaders * VARIAN_BLOCK_HEADER):
        raise ValueError(f"{path}: corrupt Varian file header (nblocks {nblocks}, ntraces "
                         f"{ntraces}, np {npts}, ebytes {ebytes}, tbytes {tbytes}, "
                         f"bbytes {bbytes}, nbheaders {nbheaders})")
    expected = VARIAN_FILE_HEADER.size + nblocks * bbytes
    size = path.stat().st_size
    if size != expected:
        what = "truncated" if size < expected else "longer than its header says"
        raise ValueError(f"{path}: {what} ({size} bytes, header says {expected})")
    return nblocks * ntraces


def _par(par: dict, key: str, path: Path, default: str | None = None) -> float:
    """A numeric procpar value (first element)."""
    try:
        return float(par[key][0] if key in par or default is None else default)
    except (KeyError, IndexError, ValueError, TypeError) as err:
        raise ValueError(f"{path}: procpar lacks a numeric {key!r}") from err


def _read_varian(path: Path):
    import nmrglue as ng

    _check_file(path / "fid", min_bytes=VARIAN_FILE_HEADER.size)
    _check_file(path / "procpar", min_bytes=16)
    n_fids = _check_varian_fid(path / "fid")
    try:
        procpar = ng.varian.read_procpar(str(path / "procpar"))
    except Exception as err:
        raise ValueError(f"{path}: cannot read Varian procpar: {err}") from err
    par = {k: v.get("values", []) for k, v in procpar.items() if isinstance(v, dict)}
    ni_value = _par(par, "ni", path)
    ni = int(ni_value) if np.isfinite(ni_value) else 0
    if ni != ni_value or ni < 1:
        raise ValueError(f"{path}: procpar ni = {ni_value:g} is not a positive integer")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            dic, data = ng.varian.read(str(path))
    except Exception as err:
        raise ValueError(f"{path}: cannot read Varian/Agilent data: {err}") from err
    if data.ndim != 2 or data.shape[0] < 2 * ni or n_fids < 2 * ni:
        raise ValueError(f"{path}: expected 2*ni = {2 * ni} FIDs, found shape {data.shape} "
                         "(truncated fid file?)")
    if not np.all(np.isfinite(data)):
        raise ValueError(f"{path}: data contain NaN or infinite values (corrupt file?)")
    data = data[: 2 * ni]
    sw2, sw1 = _par(par, "sw", path), _par(par, "sw1", path)
    obs2, obs1 = _par(par, "sfrq", path), _par(par, "dfrq", path)
    for key, value in {"sw": sw2, "sw1": sw1, "sfrq": obs2, "dfrq": obs1}.items():
        if not (np.isfinite(value) and value > 0):
            raise ValueError(f"{path}: procpar {key} = {value:g} must be positive")
    rfl2, rfp2 = _par(par, "rfl", path, "0"), _par(par, "rfp", path, "0")
    rfl1, rfp1 = _par(par, "rfl1", path, "0"), _par(par, "rfp1", path, "0")
    udic = ng.varian.guess_udic(dic, data)
    # centre of the spectrum in Hz on the referenced scale: rfp + (sw/2 - rfl)
    udic[1].update(sw=sw2, obs=obs2, car=rfp2 + sw2 / 2 - rfl2,
                   label=str((par.get("tn") or ["1H"])[0]))
    udic[0].update(sw=sw1, obs=obs1, car=rfp1 + sw1 / 2 - rfl1,
                   label=str((par.get("dn") or ["13C"])[0]))
    conv = ng.convert.converter()
    conv.from_varian(dic, data, udic)
    pdic, pdata = conv.to_pipe()
    coef = str((par.get("f1coef") or [""])[0]).split()
    try:
        f1coef = tuple(float(c) for c in coef) if len(coef) == 8 else None
    except ValueError as err:
        raise ValueError(f"{path}: procpar f1coef {' '.join(coef)!r} is not 8 numbers") from err
    meta = {"format": "varian", "f1coef": f1coef,
            "rp": _par(par, "rp", path, "0"), "lp": _par(par, "lp", path, "0")}
    return pdic, np.asarray(pdata, dtype=np.complex64), meta


def _bruker_int(dic: dict, name: str, key: str, path: Path) -> int:
    try:
        value = float(dic[name][key])
    except (KeyError, TypeError, ValueError) as err:
        raise ValueError(f"{path}: {name} lacks a numeric {key}") from err
    if value != int(value) or value < 0:
        raise ValueError(f"{path}: {name} {key} = {value:g} is not a count")
    return int(value)


def _check_bruker_ser(dic: dict, path: Path) -> None:
    """``ser`` must hold TD(acqu2s) FIDs of TD(acqus) points, each padded to 1024 bytes."""
    td2, td1 = _bruker_int(dic, "acqus", "TD", path), _bruker_int(dic, "acqu2s", "TD", path)
    dtypa = _bruker_int(dic, "acqus", "DTYPA", path) if "DTYPA" in dic["acqus"] else 0
    if dtypa not in (0, 2):
        raise ValueError(f"{path}: acqus DTYPA = {dtypa}, expected 0 (int32) or 2 (float64)")
    if td2 < 2 or td1 < 2:
        raise ValueError(f"{path}: expected 2D data, TD = {td2} (acqus), {td1} (acqu2s)")
    point = 8 if dtypa == 2 else 4
    per_fid = -(-td2 * point // 1024) * 1024
    size = (path / "ser").stat().st_size
    if size < td1 * per_fid:
        raise ValueError(f"{path}: ser truncated ({size} bytes, TD says {td1} FIDs of "
                         f"{per_fid} bytes = {td1 * per_fid})")


def _read_bruker(path: Path):
    import nmrglue as ng

    _check_file(path / "acqus", min_bytes=16)
    _check_file(path / "ser", min_bytes=1024)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:  # nmrglue raises assorted errors on damaged files
            params = {name: ng.bruker.read_jcamp(str(path / name)) if (path / name).is_file()
                      else {} for name in ("acqus", "acqu2s")}
        except Exception as err:
            raise ValueError(f"{path}: cannot read Bruker parameters: {err}") from err
        _check_bruker_ser(params, path)
        try:
            dic, data = ng.bruker.read(str(path))
            data = ng.bruker.remove_digital_filter(dic, data)
            udic = ng.bruker.guess_udic(dic, data)
            conv = ng.convert.converter()
            conv.from_bruker(dic, data, udic)
            pdic, pdata = conv.to_pipe()
            fnmode = int(float(dic.get("acqu2s", {}).get("FnMODE", 0)))
        except Exception as err:
            raise ValueError(f"{path}: cannot read Bruker data: {err}") from err
    if pdata.ndim != 2 or not np.all(np.isfinite(pdata)):
        raise ValueError(f"{path}: expected finite 2D Bruker data, got shape {pdata.shape}")
    quad = {4: "states", 5: "states-tppi", 6: "echo-antiecho"}.get(fnmode)
    return pdic, np.asarray(pdata, dtype=np.complex64), {"format": "bruker", "quad": quad}


def _detect(path: Path) -> str:
    if path.is_dir():
        if (path / "procpar").exists():
            return "varian"
        if (path / "acqus").exists() or (path / "ser").exists():
            return "bruker"
        raise ValueError(f"{path}: directory is neither Varian (procpar) nor Bruker (acqus)")
    return "pipe"


def read_pipe_ft1(path: str | os.PathLike) -> Dataset2D:
    """Read an NMRPipe file with F2 processed (real) and F1 in the time domain (complex).

    This is the layout written by :func:`write_pipe` and used for NUS data (only the
    sampled increments, in acquisition order).
    """
    import nmrglue as ng

    path = Path(path)
    dic, data = _read_pipe_checked(path)
    if dic["FDF2FTFLAG"] != 1 or dic["FDF1FTFLAG"] != 0 or dic["FDTRANSPOSED"] != 0:
        raise ValueError(f"{path}: expected F2 in the frequency domain and F1 in the time "
                         "domain, not transposed (an NMRPipe .ft1 file)")
    if np.iscomplexobj(data) or data.shape[0] % 2:
        raise ValueError(f"{path}: expected real F2 data with interleaved Re/Im F1 rows, "
                         f"got shape {data.shape} dtype {data.dtype}")
    traces = (data[0::2] + 1j * data[1::2]).T.astype(np.complex64)
    ppm = ng.pipe.make_uc(dic, data, dim=1).ppm_scale()
    return Dataset2D(traces, ppm, dic, str(path), {"format": "pipe-ft1"})


def read_pipe_ft2(path: str | os.PathLike, *, region_ppm: tuple | None = None) -> Dataset2D:
    """A processed NMRPipe 2D spectrum (.ft2: F1 SP, ZF, FT, PS p0, DI) with F1 back in time.

    The real F1 spectrum ``R`` of a signal zero-filled to at least twice its length fixes
    the causal time signal (the Hilbert transform gives the imaginary part): the inverse
    of NMRPipe's FT of ``R`` is ``(x + mirror(conj x)) / 2`` with the mirror in the
    zero-filled half. So: inverse FT, keep the first FDF1TDSIZE complex points (x 2 after
    point 0), undo the phase FDF1P0, the sine bell FDF1APODQ1..3 over FDF1APOD points (> 0
    at every point for ``off > 0`` and ``end < 1``, so the division is exact) and the
    first-point factor FDF1C1 + 1. Im of the phased first point does not enter ``R`` and
    is set to 0. Only an F1 SP window with p1 = 0 can be undone (ValueError otherwise).
    ``region_ppm`` (high, low) keeps an F2 region. ``meta["indirect"]`` holds the
    :func:`process_indirect` keywords that rebuild the file's spectrum (float32 precision):
    a reference made that way carries the original F1 apodisation.
    """
    import nmrglue as ng
    import nmrglue.process.pipe_proc as pp

    path = Path(path)
    dic, data = _read_pipe_checked(path)
    if dic["FDF1FTFLAG"] != 1 or dic["FDF2FTFLAG"] != 1 or dic["FDTRANSPOSED"] != 0:
        raise ValueError(f"{path}: expected a 2D spectrum with both dimensions transformed")
    if dic["FDF1QUADFLAG"] != 1 or np.iscomplexobj(data):
        raise ValueError(f"{path}: expected real F1 data (imaginaries deleted)")
    if int(dic["FDF1APODCODE"]) != 1 or float(dic["FDF1P1"]) != 0.0:
        raise ValueError(f"{path}: only an F1 SP window and a zero F1 p1 can be undone "
                         f"(window code {dic['FDF1APODCODE']:g}, p1 {dic['FDF1P1']:g})")
    n, size = int(dic["FDF1TDSIZE"]), int(dic["FDF1FTSIZE"])
    off, end, power = (float(dic[f"FDF1APODQ{i}"]) for i in (1, 2, 3))
    if data.shape[0] != size or size < 2 * n or int(dic["FDF1APOD"]) != n \
            or not 0 < off < end < 1:
        raise ValueError(f"{path}: F1 has {data.shape[0]} points, FT size {size}, {n} time "
                         f"points, window over {dic['FDF1APOD']:g} from {off:g} to {end:g}: "
                         "need FT size >= 2 n and a window > 0 over all n points")
    c, p0 = float(dic["FDF1C1"]) + 1.0, float(dic["FDF1P0"])
    if region_ppm is not None:
        uc = ng.pipe.make_uc(dic, data, dim=1)
        hi, lo = sorted(region_ppm, reverse=True)
        i1, i2 = sorted((uc(hi, "ppm"), uc(lo, "ppm")))
        dic, data = pp.ext(dic, data, x1=i1 + 1, xn=i2 + 1)
    ppm = ng.pipe.make_uc(dic, data, dim=1).ppm_scale()
    half = np.fft.fft(np.fft.ifftshift(data.astype(np.float64).T, axes=-1), axis=-1) / size
    x = 2.0 * half[:, :n]
    x[:, 0] = half[:, 0].real
    k = np.arange(n)
    window = np.sin(np.pi * off + np.pi * (end - off) * k / max(n - 1, 1)) ** power
    window[0] *= c
    traces = (x * np.exp(-1j * np.deg2rad(p0)) / window).astype(np.complex64)
    out = copy.deepcopy(dic)
    out.update(FDF1FTFLAG=0.0, FDF1QUADFLAG=0.0, FDQUADFLAG=0.0, FDF1APODCODE=0.0,
               FDF1P0=0.0, FDF1C1=0.0, FDF1ZF=0.0, FDF1FTSIZE=0.0, FDSPECNUM=float(n),
               FDF1TDSIZE=float(n), FDF1APOD=float(n), FDF1CENTER=float(n // 2 + 1))
    process = {"apod": {"off": off, "end": end, "pow": power}, "c": c, "p0": p0, "p1": 0.0,
               "size": size}
    return Dataset2D(traces, np.asarray(ppm), out, str(path),
                     {"format": "pipe-ft2", "indirect": process})


def read_2d(
    path: str | os.PathLike,
    *,
    direct: dict | None = None,
    indirect_quad: str | tuple | None = None,
    reference_ppm: float | tuple[float, float] | None = None,
) -> Dataset2D:
    """Read a 2D time-domain data set (NMRPipe file, Varian/Agilent or Bruker directory).

    ``direct`` processing options: ``apod`` (dict with ``kind`` in sp/gm/gmb/em and the
    NMRPipe parameters; default cosine-squared ``sp off=0.5 end=0.98 pow=2 c=0.5``),
    ``zf`` (zero-fill factor, default 2 then next power of two), ``p0``/``p1`` (degrees),
    ``region_ppm`` (high, low) to extract. ``indirect_quad``: "states",
    "states-tppi", "echo-antiecho" or 8 f1coef numbers (default: the file's f1coef /
    FnMODE / AQSIGN, else States). An NMRPipe file already F2-processed is returned as is;
    a fully processed one (.ft2) goes through :func:`read_pipe_ft2` (``direct`` may then
    hold only ``region_ppm``). ``reference_ppm``: ppm added to the (F2, F1) axes (one number:
    both), for a chemical-shift reference the file does not store (e.g. DSS at -0.134 ppm
    on the carrier axis of the BMRB TOCSY sets: +0.134); ``region_ppm`` is on the shifted
    axis.
    """
    import nmrglue as ng
    import nmrglue.process.pipe_proc as pp

    path = Path(path)
    kind = _detect(path)
    if kind == "pipe":
        dic, data = _read_pipe_checked(path)
        if dic["FDF2FTFLAG"] == 1 and dic["FDF1FTFLAG"] == 1:
            extra = sorted(set(direct or {}) - {"region_ppm"})
            if extra:
                raise ValueError(f"{path} is a processed 2D spectrum: only region_ppm applies, "
                                 f"not {extra}")
            return read_pipe_ft2(path, region_ppm=(direct or {}).get("region_ppm"))
        if dic["FDF2FTFLAG"] == 1:
            return read_pipe_ft1(path)
        meta = {"format": "pipe"}
        if dic["FDF1QUADFLAG"] != 0 or not np.iscomplexobj(data):
            raise ValueError(f"{path}: expected complex (States-type) data in both dimensions")
        if dic["FDF1AQSIGN"] in (1, 2, 16, 17, 18):
            meta["quad"] = "states-tppi"
    elif kind == "varian":
        dic, data, meta = _read_varian(path)
    else:
        dic, data, meta = _read_bruker(path)
    if data.shape[0] % 2:
        raise ValueError(f"{path}: odd number of F1 rows ({data.shape[0]}): not hypercomplex")
    if reference_ppm is not None:
        _shift_axes(dic, reference_ppm)

    opts = {"apod": {"kind": "sp", "off": 0.5, "end": 0.98, "pow": 2.0, "c": 0.5},
            "zf": 2, "p0": 0.0, "p1": 0.0, "region_ppm": None}
    opts.update(direct or {})
    apod = dict(opts["apod"])
    func = {"sp": pp.sp, "gm": pp.gm, "gmb": pp.gmb, "em": pp.em}[apod.pop("kind", "sp")]
    dic, data = func(dic, data, **apod)
    size = int(2 ** np.ceil(np.log2(data.shape[1] * opts["zf"])))
    dic, data = pp.zf(dic, data, size=size)
    dic, data = pp.ft(dic, data, auto=True)
    dic, data = pp.ps(dic, data, p0=opts["p0"], p1=opts["p1"])

    quad = indirect_quad or meta.get("f1coef") or meta.get("quad") or "states"
    coef = np.asarray(QUAD_COEFFS[quad] if isinstance(quad, str) else quad, dtype=float)
    if coef.shape != (8,):
        raise ValueError(f"indirect_quad must be one of {sorted(QUAD_COEFFS)} or 8 numbers")
    a, b = data[0::2], data[1::2]
    parts = np.stack([a.real, a.imag, b.real, b.imag])
    re = np.tensordot(coef[:4], parts, 1)
    im = np.tensordot(coef[4:], parts, 1)
    if quad == "states-tppi":
        re[1::2] *= -1
        im[1::2] *= -1
    data = np.empty(data.shape, np.complex64)
    data[0::2], data[1::2] = re, im
    dic, data = pp.di(dic, data)

    if opts["region_ppm"] is not None:
        uc = ng.pipe.make_uc(dic, data, dim=1)
        hi, lo = sorted(opts["region_ppm"], reverse=True)
        i1, i2 = sorted((uc(hi, "ppm"), uc(lo, "ppm")))
        dic, data = pp.ext(dic, data, x1=i1 + 1, xn=i2 + 1)
    dic["FDF1AQSIGN"] = 0.0
    traces = (data[0::2] + 1j * data[1::2]).T.astype(np.complex64)
    ppm = ng.pipe.make_uc(dic, data, dim=1).ppm_scale()
    meta.update(quad=quad if isinstance(quad, str) else "f1coef", direct=opts)
    return Dataset2D(traces, ppm, dic, str(path), meta)


def _shift_axes(dic: dict, reference_ppm: float | tuple[float, float]) -> None:
    """Move the F2 and F1 ppm axes of an NMRPipe header by ``reference_ppm`` (in place).

    The carrier (FDxCAR, ppm) and the origin (FDxORIG, Hz = ppm x FDxOBS) move together,
    so nmrglue's unit conversion and the later ZF/FT/EXT steps all see the shifted axis.
    """
    shifts = np.broadcast_to(np.asarray(reference_ppm, dtype=float), (2,))
    if not np.all(np.isfinite(shifts)):
        raise ValueError(f"reference_ppm must be finite, got {reference_ppm!r}")
    for fn, shift in zip(("FDF2", "FDF1"), shifts, strict=True):
        dic[fn + "CAR"] = float(dic[fn + "CAR"]) + float(shift)
        dic[fn + "ORIG"] = float(dic[fn + "ORIG"]) + float(shift) * float(dic[fn + "OBS"])


# --------------------------------------------------------------------------- writing


def write_pipe(path: str | os.PathLike, ds: Dataset2D, overwrite: bool = False) -> Path:
    """Write ``ds`` as an NMRPipe .ft1-type file (header preserved, F1 size updated).

    Written atomically (temporary file in the same folder, then rename; see
    :func:`nmrlib.core.repro.atomic_output`): an existing file is replaced only with
    ``overwrite=True``, and never if it is not a regular file. The folder must exist.
    """
    import nmrglue as ng

    from nmrlib.core.repro import atomic_output

    traces = np.asarray(ds.traces)
    if traces.ndim != 2 or not np.iscomplexobj(traces):
        raise ValueError(f"traces must be complex (n_direct, n_indirect), got shape "
                         f"{traces.shape} dtype {traces.dtype}")
    if not np.all(np.isfinite(traces)):
        raise ValueError("traces contain NaN or infinite values; refusing to write them")
    out = ds.with_traces(traces) if traces.shape[1] != ds.dic["FDSPECNUM"] else ds
    t = out.traces.T
    data = np.empty((2 * t.shape[0], t.shape[1]), dtype=np.float32)
    data[0::2], data[1::2] = t.real, t.imag
    with atomic_output(path, overwrite=overwrite) as tmp:
        ng.pipe.write(str(tmp), out.dic, data, overwrite=True)
    return Path(path)


# --------------------------------------------------------------------------- indirect


def process_indirect(
    traces,
    *,
    apod: dict | None = None,
    size: int | None = None,
    p0: float = 0.0,
    p1: float = 0.0,
    c: float = 0.5,
    alt: bool = False,
) -> np.ndarray:
    """Indirect time domain -> real spectrum, NMRPipe style; shape (n_direct, size).

    ``traces`` complex (n_direct, n): first point scaled by ``c``, sine-bell apodisation
    ``sin(pi off + pi (end - off) k / (n - 1)) ** pow`` (``apod`` dict, default cos^2:
    off 0.5, end 0.98, pow 2; ``None`` values skip it), with ``alt`` odd points negated
    (NMRPipe ``FT -alt``), zero-fill to ``size`` (default next power of two >= 2n), NMRPipe
    FT (high frequency first), phase ``p0 + p1 k / size`` degrees, real part. Works on
    numpy or torch input (returns numpy).
    """
    import torch

    x = torch.as_tensor(traces)
    n = x.shape[-1]
    size = size or int(2 ** np.ceil(np.log2(2 * n)))
    if size < n:
        raise ValueError(f"zero-fill size {size} is smaller than the {n} points")
    a = {"off": 0.5, "end": 0.98, "pow": 2.0}
    a.update(apod or {})
    k = torch.arange(n, dtype=torch.float64)
    win = torch.sin(np.pi * a["off"] + np.pi * (a["end"] - a["off"]) * k / max(n - 1, 1))
    win = win ** a["pow"]
    win[0] = win[0] * c
    if alt:
        win[1::2] *= -1
    x = x * win.to(x.device, x.real.dtype)
    spec = torch.fft.fftshift(torch.fft.ifft(x, n=size), dim=-1) * size
    phase = torch.deg2rad(p0 + p1 * torch.arange(size, dtype=torch.float64) / size)
    spec = spec * torch.polar(torch.ones_like(phase), phase).to(spec.device, spec.dtype)
    return spec.real.cpu().numpy()


def indirect_ppm(ds: Dataset2D, size: int) -> np.ndarray:
    """ppm of the F1 spectrum points of :func:`process_indirect` (decreasing with index).

    Uses nmrglue's NMRPipe unit conversion on the header after zero-filling to ``size``.
    """
    import nmrglue as ng
    import nmrglue.process.pipe_proc as pp

    dic = copy.deepcopy(ds.dic)
    data = np.zeros((2 * ds.n_indirect, 1), np.float32)
    dic["FDSIZE"] = 1.0
    dic, data = pp.tp(dic, data, hyper=False)
    dic, data = pp.zf(dic, data, size=size)
    dic, data = pp.ft(dic, data, null=True)
    return ng.pipe.make_uc(dic, data, dim=-1).ppm_scale()


def spectrum_2d(ds: Dataset2D, traces=None, **indirect) -> np.ndarray:
    """Real 2D spectrum (F1 rows x F2 columns) of ``ds`` (or of other ``traces``)."""
    spec = process_indirect(ds.traces if traces is None else traces, **indirect)
    return np.ascontiguousarray(spec.T)


def read_known(source: str | os.PathLike, key: str | None = None) -> tuple[Dataset2D, dict]:
    """Read a real data set of :data:`nmrlib.core.realdata.REGISTRY` with its settings.

    ``source`` is a registry name (the set is fetched and checked by sha256, see
    :func:`nmrlib.core.realdata.fetch`) or a path to read with the settings of the registry entry
    ``key`` (default: the name of the folder holding ``path``). Returns the dataset and the
    keyword arguments of :func:`process_indirect` for it (the entry's F1 settings,
    zero-filled to its ``size`` or else ``2 ** ceil(log2(2 n_indirect))``; for a processed
    .ft2 spectrum the file's own F1 settings, see :func:`read_pipe_ft2`).
    """
    from nmrlib.core import realdata

    bare = "/" not in str(source) and not Path(source).exists()
    if key is None and (str(source) in realdata.REGISTRY or bare):
        key, path = str(source), realdata.path(str(source))   # unknown name: ValueError
    else:
        path = Path(source)
        key = key or path.parent.name
    if key not in realdata.REGISTRY or "direct" not in realdata.REGISTRY[key]:
        known = [n for n, e in realdata.REGISTRY.items() if "direct" in e]
        raise ValueError(f"no processing settings for {key!r}; known: {known}")
    cfg = realdata.REGISTRY[key]
    ds = read_2d(path, direct=cfg["direct"], indirect_quad=cfg.get("quad"),
                 reference_ppm=cfg.get("reference_ppm"))
    if "indirect" in ds.meta:
        return ds, dict(ds.meta["indirect"])
    size = int(2 ** np.ceil(np.log2(2 * ds.n_indirect)))
    return ds, dict({"size": size}, **cfg["indirect"])
