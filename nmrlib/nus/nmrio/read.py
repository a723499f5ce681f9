"""``read_2d``: any supported 2D time-domain directory or file to a :class:`Dataset2D`
(F2 processed as NMRPipe would), and ``read_known`` for the registry's sets.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from nmrlib.nus.nmrio.base import QUAD_COEFFS, Dataset2D
from nmrlib.nus.nmrio.bruker import _read_bruker
from nmrlib.nus.nmrio.pipe import _read_pipe_checked, read_pipe_ft1, read_pipe_ft2
from nmrlib.nus.nmrio.processing import zero_fill_size
from nmrlib.nus.nmrio.varian import _read_varian


def _detect(path: Path) -> str:
    if path.is_dir():
        if (path / "procpar").exists():
            return "varian"
        if (path / "acqus").exists() or (path / "ser").exists():
            return "bruker"
        raise ValueError(f"{path}: directory is neither Varian (procpar) nor Bruker (acqus)")
    return "pipe"


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
    dic, data = _process_direct(dic, data, opts)
    quad = indirect_quad or meta.get("f1coef") or meta.get("quad") or "states"
    dic, data = _combine_quadrature(dic, data, quad)

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


def _process_direct(dic: dict, data: np.ndarray, opts: dict) -> tuple[dict, np.ndarray]:
    """F2 as NMRPipe would: apodisation (``opts["apod"]``), zero-fill (``opts["zf"]``),
    FT and phase (``p0``/``p1``, degrees); complex rows in, complex spectra out."""
    import nmrglue.process.pipe_proc as pp

    apod = dict(opts["apod"])
    func = {"sp": pp.sp, "gm": pp.gm, "gmb": pp.gmb, "em": pp.em}[apod.pop("kind", "sp")]
    dic, data = func(dic, data, **apod)
    dic, data = pp.zf(dic, data, size=zero_fill_size(data.shape[1], opts["zf"]))
    dic, data = pp.ft(dic, data, auto=True)
    return pp.ps(dic, data, p0=opts["p0"], p1=opts["p1"])


def _combine_quadrature(dic: dict, data: np.ndarray, quad) -> tuple[dict, np.ndarray]:
    """The F1 quadrature pair of every increment (rows A, B of the F2 spectra) as one
    complex point with VnmrJ's 2x4 ``f1coef`` coefficients (``quad``: a name of
    :data:`QUAD_COEFFS` or 8 numbers); States-TPPI also flips every other increment. The
    F2 imaginaries are then dropped (``DI``)."""
    import nmrglue.process.pipe_proc as pp

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
    return pp.di(dic, data)


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
    size = zero_fill_size(ds.n_indirect)
    return ds, dict({"size": size}, **cfg["indirect"])
