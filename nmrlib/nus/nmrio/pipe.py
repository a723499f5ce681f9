"""NMRPipe files: the ``.ft1`` intermediate (F2 processed, F1 time domain) in and out, and
2D ``.ft2`` spectra read for display.
"""

from __future__ import annotations

import copy
import os
import warnings
from pathlib import Path

import numpy as np

from nmrlib.nus.nmrio.base import Dataset2D, _check_file


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
