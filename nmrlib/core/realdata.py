"""The real NMR data sets: one checksummed registry, each set fetched by name from its source.

:data:`REGISTRY` is the single place that knows, for every real set the notebooks, tests and
benches use: its name (the set's folder name), its files (local name, the raw-file URL at
the pinned commit of its public repository, sha256 and size), its licence and citation, and
the reading and processing settings of :func:`nmrlib.nus.nmrio.read_known`.

Where the files come from, in this order (:func:`fetch`):

1. the **cache**, ``$NMRLIB_DATA_DIR`` or else pooch's per-user cache
   (``pooch.os_cache("nmrlib")``, e.g. ``~/.cache/nmrlib`` on Linux), one sub-folder per set;
2. the **offline mirror** ``$NMRLIB_DATA_MIRROR``: a folder laid out like the cache (one
   sub-folder per set name, the files under their local names); a file found there is
   copied into the cache;
3. the **network**: the file's original URL, downloaded with ``pooch``.

Every file is checked against the registry's sha256 wherever it comes from, every time it
is used; a file whose sha256 differs is never used (one-line ``ValueError`` naming the set,
the file and what to do). No network and no mirror: one-line ``OSError`` naming the URL,
``NMRLIB_DATA_MIRROR`` and ``NMRLIB_DATA_DIR``.

Command line: ``python -m nmrlib data list | fetch NAME... | fetch --all | path NAME``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from nmrlib.core.repro import atomic_output, file_sha256

__all__ = ["REGISTRY", "RAW_URL", "names", "data_dir", "mirror_dir", "files", "fetch",
           "path", "status", "main"]

RAW_URL = "https://raw.githubusercontent.com/{repo}/{commit}/{path}"
"""A file's original URL: the raw file of its repository at the pinned commit."""

BMRB_LICENCE = ("MIT (AI4DBiological-Systems/NMRData, Copyright (c) 2021 Roy and contributors); "
                "data: BMRB metabolomics standards, freely available")
BMRB_CITATION = ("BMRB metabolomics standards (Markley lab, NMRFAM), via github.com/"
                 "AI4DBiological-Systems/NMRData; cite BMRB: Ulrich E.L. et al., BioMagResBank, "
                 "Nucleic Acids Res. 36, D402-D408 (2008)")
FIDNET_CITATION = ("Karunanithy G., Hansen D.F., FID-Net, J. Biomol. NMR 75, 179-191 (2021), "
                   "doi:10.1007/s10858-021-00366-w; example data of github.com/gogulan-k/FID-Net")
TOCSY_FILES = ("ser", "acqus", "acqu2s", "pulseprogram", "audita.txt")


def _tocsy(amino: str, sha: tuple[str, ...], sizes: tuple[int, ...], direct_phase: tuple,
           indirect_phase: tuple, how: str) -> dict:
    """A BMRB TOCSY entry: 2D 1H-1H mlevph (60 ms MLEV-17), 500 MHz, D2O, Bruker raw data.

    Processing: Bruker digital filter removed (``nmrglue.bruker.remove_digital_filter``),
    States-TPPI in F1 (acqu2s FnMODE 5), squared sine bell shifted by pi/2 in both
    dimensions (TopSpin WDW 4, SSB 2, as the operator's pdata), F2 zero-filled to 4096,
    F1 to 1024 (8 x the 128 complex points), phases from the L1/L2 search on the 2D spectrum
    (``how``), and DSS referencing: no SR is stored, DSS sits at -0.134 ppm on the carrier
    axis (O1 4.700 ppm), so both axes move by +0.134 ppm.
    """
    return {
        "label": f"L-{amino.capitalize()} TOCSY", "use": "tocsy", "kind": "2D raw (Bruker)",
        "repo": "AI4DBiological-Systems/NMRData",
        "commit": "6ae815d8ad22da16870359e5da56a61f90d21043",
        "dir": f"experiments_1D1H/BMRB/similar_settings/BMRB-500-100mM/L-{amino}",
        "files": {f: (f, h, s) for f, h, s in zip(TOCSY_FILES, sha, sizes, strict=True)},
        "licence": BMRB_LICENCE, "citation": BMRB_CITATION, "file": ".",
        "reference_ppm": 0.134,
        "direct": {"apod": {"kind": "sp", "off": 0.5, "end": 1.0, "pow": 2.0, "c": 0.5},
                   "p0": direct_phase[0], "p1": direct_phase[1]},
        "indirect": {"apod": {"off": 0.5, "end": 1.0, "pow": 2.0}, "p0": indirect_phase[0],
                     "p1": indirect_phase[1], "size": 1024},
        "how": how,
    }


# Reading and processing settings (the former nmrio.DATASETS; "file" is what read_2d reads,
# relative to the set folder). How the phases were found: F2 p0/p1 minimise the L1 norm of
# the real first-increment F2 spectrum inside the region (grid 2 deg / 15 deg); F1 p0 (p1 in
# {0, +-180}) minimises the L1/L2 ratio of the real 2D spectrum (absorption lines are the
# most compact; works for the negative CH2 peaks of the edited HSQC too); the sign of F1
# p0 was then chosen for positive main peaks and all checked on the contour plots of
# notebook 06 (azithromycin: redone on the 2D spectrum, see its entry). An entry's optional
# "quad" is read_2d's ``indirect_quad``. nmrglue's own test (GMB/ZF/FT/PS -36;
# SP/ZF/FT/PS -7) is a format test, not a phased spectrum; its windows are kept (its peaks
# are single positive lines, symmetric along F1, broad along F2 from the lb -8 GMB
# window). The methyl HMQC (uniformly 13C-1H labelled HDAC8, FID-Net's example) is
# processed exactly as its authors' own example run does (FID-Net fidnet/experiments.py
# run_examples + methyl/run_methyl.py): F2 EM 0.5 Hz, ZF, FT, PS p0 151 p1 0, 2.5..-0.5
# ppm; F1 SP off 0.42 end 0.98 pow 2 c 0.5, ZF, FT -alt -neg, PS 0 0. "-neg" is the
# States quadrature with the imaginary row negated ("quad"), "-alt" the sign alternation
# of odd t1 points ("alt" of process_indirect). An earlier L1 phase search on this set
# (F2 p0 -86 p1 -540, F1 p0 -51 p1 -180, no -alt/-neg) gave ridges along F2 and 1813
# "peaks" > 10 sigma; this processing gives discrete methyl peaks (Ile d1 near 13 ppm,
# Leu/Val 20-26 ppm 13C) with their 13C-13C doublets in F1.
#
# Azithromycin, re-checked on the 2D spectrum: with the first-increment F2 phase
# (p0 -100) every cross peak was an antisymmetric +/- pair along F2 (dispersion, e.g.
# NMe2 row 0.8 0.8 0.3 -0.5 -1 -0.9), and the F1 axis was mirrored about the centre of
# sw1 (methyls at 98-112 ppm 13C). Now: F2 p0/p1 and F1 p0 minimise the L1/L2 ratio of
# the real 2D spectrum (grids 3 / 15 / 3 deg) with the F1 quadrature conjugated
# (procpar f1coef "1 0 1 0 0 -1 0 1" with the imaginary row negated), F1 p0 sign for a
# positive NMe2. Checked against the known shifts: NMe2 2.27/40.3 (+), N-CH3 2.31/36.1
# (+), OCH3 3.34/49.2 (+), C1'' 5.15/94.7, C1' 4.43/103.1, CH2 C4'' 2.33/34.7, C9
# 2.51/70.3 and C4' 1.21/28.6 negative (edited HSQC), single symmetric F2 lines.
#
# MALT1 1H-15N HSQC (900 MHz, MRAi_2D repository, MIT): a *processed* NMRPipe spectrum.
# F1 is brought back to the time domain by read_pipe_ft2 and re-processed with the
# file's own F1 settings (no "indirect" entry: they come from the header), so the
# reference carries the original F1 sine-bell apodisation. F2 keeps the amide region.
#
# "use": "nus-r2" = a fully sampled 2D set for retrospective NUS (R² against the full
# spectrum); "nus-demo" = real NUS data without a reference; "tocsy" = real TOCSY spectra of
# free amino acids (the classification paper). "files": local name -> (name in the source
# folder "dir", sha256, bytes).
REGISTRY: dict[str, dict] = {
    "fidnet_methyl_hmqc": {
        "label": "methyl HMQC", "use": "nus-r2", "kind": "2D time domain (NMRPipe)",
        "repo": "gogulan-k/FID-Net", "commit": "c1da5b86770dbd81c94e22fef6e021b6682ce18e",
        "dir": "example/methyl",
        "files": {"test.fid": ("test.fid", "8f18cb530180b8d2bbe2ff602d5c935a383214247ed2b3f4"
                               "ac823b055be074c8", 3876864)},
        "licence": "MIT (FID-Net, Copyright (c) 2021 Gogulan Karunanithy)",
        "citation": FIDNET_CITATION + " (methyl example, HDAC8 1H-13C HMQC, 700 MHz)",
        "file": "test.fid",
        "quad": (1, 0, 0, 0, 0, 0, -1, 0),
        "direct": {"apod": {"kind": "em", "lb": 0.5, "c": 0.5},
                   "p0": 151.0, "p1": 0.0, "region_ppm": (2.5, -0.5)},
        "indirect": {"apod": {"off": 0.42, "end": 0.98, "pow": 2.0}, "p0": 0.0, "p1": 0.0,
                     "alt": True},
        "how": "the data authors' own processing (FID-Net example run): F2 EM 0.5, PS 151; "
               "F1 SP 0.42, FT -alt -neg",
    },
    "nmrglue_2d_time_complex": {
        "label": "13C-15N", "use": "nus-r2", "kind": "2D time domain (NMRPipe)",
        "repo": "jjhelmus/nmrglue", "commit": "fbac8a1dba039155875bdc6bac0678550f5146d3",
        "dir": "tests/pipe_proc_tests",
        "files": {"time_complex.fid": ("time_complex.fid", "f067efa8e0d4c4ccae6cdb673d000512"
                                       "928ea6723006653eabd41bb9f40982b8", 3986048)},
        "licence": "BSD-3-Clause (nmrglue, Copyright (c) 2010-2015 Jonathan J. Helmus)",
        "citation": "Helmus J.J., Jaroniec C.P., Nmrglue: an open source Python package for the "
                    "analysis of multidimensional NMR data, J. Biomol. NMR 55, 355-367 (2013); "
                    "test data of github.com/jjhelmus/nmrglue",
        "file": "time_complex.fid",
        "direct": {"apod": {"kind": "gmb", "gb": 0.1, "lb": -8.0, "c": 0.5},
                   "p0": -6.0, "p1": -60.0, "region_ppm": (30.0, -10.0)},
        "indirect": {"apod": {"off": 0.5, "end": 1.0, "pow": 2.0}, "p0": 3.0, "p1": 0.0},
        "how": "F2 L1 search in 30..-10 ppm; F1 L1/L2 search (-177) + 180 for positive peaks",
    },
    "openvnmrj_azithromycin_ghsqcad": {
        "label": "azithromycin HSQC", "use": "nus-r2", "kind": "2D raw (Varian)",
        "repo": "OpenVnmrJ/OpenVnmrJ", "commit": "5710eba542af65f1f4c2a2d2219df96981a9c7ae",
        "dir": "src/craft/fidlib/Azithromycin/Azithromycin_gHSQCAD_01.fid",
        "files": {f"Azithromycin_gHSQCAD_01.fid/{f}": (f, h, s) for f, h, s in (
            ("fid", "96617190b23617de2390fe153e5a9a3599c9b247de7c94099e8197b4c7e3eb87", 689696),
            ("procpar", "859cb92a8efa9c8eed181ec1c9c8b91787540f2f9d86eba34fc51ceb85e08628",
             30973),
            ("text", "0d7a65fcd47641ca6703eb8e2601f3ae4ad1908512e2a91c3110ce2f29f90350", 73),
            ("log", "34c58a438087951492d4d09ba4df491a3a115e91999966a16b824b8f1bf46a91", 92))},
        "licence": "Apache-2.0 (OpenVnmrJ)",
        "citation": "OpenVnmrJ, CRAFT example FID library (github.com/OpenVnmrJ/OpenVnmrJ): "
                    "azithromycin gHSQCAD, 400 MHz, CDCl3",
        "file": "Azithromycin_gHSQCAD_01.fid",
        "quad": (1, 0, 1, 0, 0, 1, 0, -1),
        "direct": {"apod": {"kind": "sp", "off": 0.5, "end": 0.98, "pow": 2.0, "c": 0.5},
                   "p0": -15.0, "p1": -15.0, "region_ppm": (6.0, 0.5)},
        "indirect": {"apod": {"off": 0.5, "end": 0.98, "pow": 2.0}, "p0": -90.0, "p1": 0.0},
        "how": "2D L1/L2 search of F2 p0/p1 and F1 p0; F1 quadrature: conjugated procpar "
               "f1coef (pass 'quad' as read_2d(indirect_quad=...)); checked on known shifts",
    },
    "mrai_malt1_hsqc": {
        "label": "MALT1 HSQC", "use": "nus-r2", "kind": "2D processed spectrum (NMRPipe)",
        "repo": "Amir-Jahangiri/MRAi_2D", "commit": "af449dcded01735554ef0e977bd709595f563666",
        "dir": "Spectra",
        "files": {"malt1_hsqc.ft2": ("Malt.ft2", "b56da55b8b1cddcd55418326340f15893d88298a5cd6"
                                     "bc5ee477a744debe3dda", 2099200)},
        "licence": "MIT (MRAi_2D, Copyright (c) 2023 Amir Jahangiri)",
        "citation": "Jahangiri A. et al., NMR spectrum reconstruction as a pattern recognition "
                    "problem, J. Magn. Reson. (2023), doi:10.1016/j.jmr.2022.107342; "
                    "github.com/Amir-Jahangiri/MRAi_2D",
        "file": "malt1_hsqc.ft2",
        "direct": {"region_ppm": (10.5, 6.0)},
        "how": "processed by the data authors (NMRPipe); F1 undone exactly by read_pipe_ft2, "
               "F2 amide region 10.5..6.0 ppm",
    },
    "fidnet_hdac_nus": {
        "label": "HDAC NUS", "use": "nus-demo", "kind": "2D NUS, F2 processed (NMRPipe) + schedule",
        "repo": "gogulan-k/FID-Net", "commit": "c1da5b86770dbd81c94e22fef6e021b6682ce18e",
        "dir": "example/nus",
        "files": {"hdac_ex.ft1": ("hdac_ex.ft1", "f231c7b1c65db5d493d67419dc90317ee5d5d7e137cd70"
                                  "e304ce44498eaaf5c6", 80384),
                  "ss_hdac.out": ("ss_hdac.out", "9ded65b8f843527191d9e08ba87a166b7b69ea95a45ee9"
                                  "39665692064b152300", 95)},
        "licence": "MIT (FID-Net, Copyright (c) 2021 Gogulan Karunanithy)",
        "citation": FIDNET_CITATION + " (NUS example: HDAC 1H-13C methyl, 800 MHz, 24 of 192 t1)",
        "file": "hdac_ex.ft1",
        "how": "NUS data without a reference (qualitative only); F1 phase in notebook 06",
    },
    "bmrb_threonine_tocsy": _tocsy(
        "Threonine",
        ("fb52d554a69486f4ac7724e275a6199620ff5caf237ed96a69e029d7d6954ca2",
         "48dab0fd17d91db095d02da204541104bfec06c6c64b279284e42a4eeb2581af",
         "8848db4e1013d5977f8bc9caa4ba685fbfa2268b2cb129cdb14147e9b55bcd67",
         "810e8833cbcbe630482f9e367f4adc73e8c974d6a4b351ac81ca0f43afb1e99d",
         "b60255c56d44cebe14bac81b3ddaebaa7b4d93d5aa01dd0be551ab340202da7a"),
        (2097152, 9004, 483, 4519, 892), (51.0, -285.0), (-180.0, 180.0),
        "F2 p0/p1 (grid 3/15 deg) and F1 p0 (p1 in {0, +-180}) minimise the L1/L2 ratio of "
        "the real 2D spectrum in -0.4..5.3 ppm; positive diagonal. Cross-check: the F2 phases "
        "that make the DSS (0 ppm) and HDO (4.85 ppm) diagonal singlets pure absorption are "
        "p0 42, p1 -284"),
    "bmrb_valine_tocsy": _tocsy(
        "Valine",
        ("72535fbf2e107e00e9bf69b1d8344f4119250d6e7d5d0b222f52ca43671182a6",
         "f43e85406fa6c36ee50714399ea6ae4a7e66b2247186e6a9ee0ef9f6b65b4c1d",
         "c46420c27161cafc37882120783f8a7d0f56a72c7b25d708741482e54a870b17",
         "810e8833cbcbe630482f9e367f4adc73e8c974d6a4b351ac81ca0f43afb1e99d",
         "46469212e8890ba06b44e6171f3457b66a1892b47aa8127fc0d579c783266c93"),
        (2097152, 9005, 483, 4519, 892), (147.0, -315.0), (177.0, 180.0),
        "F2 p0/p1 (grid 3/15 deg) and F1 p0 (p1 in {0, +-180}) minimise the L1/L2 ratio of "
        "the real 2D spectrum in -0.4..5.3 ppm; positive diagonal. Cross-check: the F2 phases "
        "that make the DSS and HDO diagonal singlets pure absorption are p0 162, p1 -324 (the "
        "two sets' receiver phases differ by ~70 deg; both methods agree on that)"),
}


def names(use: str | None = None) -> list[str]:
    """The registry's set names (all, or those whose ``use`` is ``use``), in registry order."""
    return [n for n, e in REGISTRY.items() if use is None or e["use"] == use]


def entry(name: str) -> dict:
    """The registry entry of ``name`` (ValueError naming the known sets otherwise)."""
    if name not in REGISTRY:
        raise ValueError(f"unknown data set {name!r}; known: {', '.join(REGISTRY)}")
    return REGISTRY[name]


def files(name: str) -> list[dict]:
    """``[{"local", "url", "sha256", "size"}]`` for each file of the set ``name``."""
    e = entry(name)
    return [{"local": local, "sha256": sha, "size": size,
             "url": RAW_URL.format(repo=e["repo"], commit=e["commit"], path=f"{e['dir']}/{remote}")}
            for local, (remote, sha, size) in e["files"].items()]


def data_dir() -> Path:
    """The cache: ``$NMRLIB_DATA_DIR``, else pooch's per-user cache for nmrlib."""
    import pooch

    return Path(os.environ.get("NMRLIB_DATA_DIR") or pooch.os_cache("nmrlib")).expanduser()


def mirror_dir() -> Path | None:
    """The offline mirror ``$NMRLIB_DATA_MIRROR`` (None when unset or empty)."""
    value = os.environ.get("NMRLIB_DATA_MIRROR", "")
    return Path(value).expanduser().resolve() if value else None


sha256 = file_sha256  # the registry's name for it


def _refuse(name: str, f: dict, where: Path, got: str, todo: str) -> ValueError:
    return ValueError(f"data set {name}: {where} has sha256 {got[:16]}..., the registry says "
                      f"{f['sha256'][:16]}...: not used; {todo}")


def _from_mirror(name: str, f: dict, target: Path) -> bool:
    """Copy the mirror's copy of ``f`` to ``target`` after checking it; False if none."""
    mirror = mirror_dir()
    source = mirror / name / f["local"] if mirror else None
    if source is None or not source.is_file():
        return False
    got = sha256(source)
    if got != f["sha256"]:
        raise _refuse(name, f, source, got, f"replace it with {f['url']} or unset "
                      "NMRLIB_DATA_MIRROR to download it")
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_output(target, overwrite=True) as tmp:
        shutil.copyfile(source, tmp)
        if sha256(tmp) != f["sha256"]:
            raise OSError(f"data set {name}: copying {source} to {target.parent} changed it")
    return True


def _download(name: str, f: dict, folder: Path) -> None:
    """Download ``f`` into ``folder`` with pooch (sha256 checked before it is moved in place)."""
    import pooch
    import requests

    pooch.get_logger().setLevel("WARNING")  # errors stay one line; `data fetch` reports
    downloader = pooch.HTTPDownloader(progressbar=False, timeout=60)
    try:
        pooch.retrieve(f["url"], known_hash=f"sha256:{f['sha256']}", fname=f["local"],
                       path=folder, downloader=downloader)
    except requests.exceptions.RequestException as err:
        code = getattr(err.response, "status_code", None)
        raise OSError(f"data set {name}: cannot download {f['url']} "
                      f"({f'HTTP {code}' if code else type(err).__name__}); offline? set "
                      "NMRLIB_DATA_MIRROR=DIR to a "
                      f"folder holding DIR/{name}/{f['local']}, or put the file at "
                      f"{folder / f['local']} (the cache, NMRLIB_DATA_DIR)") from None
    except ValueError as err:  # pooch: hash mismatch (the bad download is deleted)
        raise ValueError(f"data set {name}: {f['url']} does not match the registry's sha256, "
                         "not used (the source changed?); put a verified copy in "
                         f"NMRLIB_DATA_MIRROR or report it ({str(err).splitlines()[0]})") from None


def fetch(name: str, *, force: bool = False) -> Path:
    """The folder holding every file of set ``name``, each checked against its sha256.

    Cached files are checked and used; missing ones come from the mirror, else from the
    network. ``force``: fetch every file again (from the mirror or the network).
    """
    folder = data_dir() / name
    for f in files(name):
        target = folder / f["local"]
        if force:
            target.unlink(missing_ok=True)
        if target.is_file():
            got = sha256(target)
            if got == f["sha256"]:
                continue
            raise _refuse(name, f, target, got, "delete it or run `python -m nmrlib data "
                          f"fetch {name} --force` to fetch it again")
        if not _from_mirror(name, f, target):
            _download(name, f, folder)
    return folder


def path(name: str) -> Path:
    """What :func:`nmrlib.nus.nmrio.read_2d` reads for set ``name`` (fetched and checked)."""
    return (fetch(name) / entry(name)["file"]).resolve()


def status(name: str) -> str:
    """Cache state of set ``name``: ``yes`` (every file there, sha256 as registered), ``no``
    (some missing) or ``CORRUPT`` (a file whose sha256 differs)."""
    folder = data_dir() / name
    state = "yes"
    for f in files(name):
        target = folder / f["local"]
        if not target.is_file():
            state = "no"
        elif sha256(target) != f["sha256"]:
            return "CORRUPT"
    return state


def main(argv: list[str]) -> int:
    """``python -m nmrlib data list | fetch NAME... [--all] [--force] | path NAME``."""
    from nmrlib.core.cli import CliParser

    parser = CliParser(prog="python -m nmrlib data",
                       description="The real NMR data sets: list, fetch (checked by sha256), path.")
    sub = parser.add_subparsers(dest="action", required=True, parser_class=CliParser)
    sub.add_parser("list", help="name, kind, size, licence and whether it is cached")
    fetch_p = sub.add_parser("fetch", help="fetch sets into the cache (checked by sha256)")
    fetch_p.add_argument("names", nargs="*", metavar="NAME")
    fetch_p.add_argument("--all", action="store_true", help="every set of the registry")
    fetch_p.add_argument("--force", action="store_true", help="fetch cached files again")
    path_p = sub.add_parser("path", help="print what nmrlib reads for a set (fetched first)")
    path_p.add_argument("name", metavar="NAME")
    try:
        args = parser.parse_args(argv[1:])
    except SystemExit as stop:  # -h, or a usage error already reported on one line
        return int(stop.code or 0)
    if args.action == "list":
        print(f"cache: {data_dir()}; mirror: {mirror_dir() or '(NMRLIB_DATA_MIRROR unset)'}")
        print(f"{'name':<31} {'kind':<44} {'MB':>5}  {'cached':<7} licence")
        for n, e in REGISTRY.items():
            mb = sum(f["size"] for f in files(n)) / 1e6
            print(f"{n:<31} {e['kind']:<44} {mb:5.2f}  {status(n):<7} "
                  f"{e['licence'].split(' (')[0]}")
    elif args.action == "fetch":
        if args.all == bool(args.names):
            raise ValueError("data fetch: give set names or --all, not both (see `python -m "
                             "nmrlib data list`)")
        chosen = list(REGISTRY) if args.all else args.names
        for n in chosen:
            entry(n)
        for n in chosen:
            print(f"{n}: {fetch(n, force=args.force)}")
    else:
        print(path(args.name))
    return 0
