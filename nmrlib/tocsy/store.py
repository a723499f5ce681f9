"""A simulated TOCSY data set on disk: its layout, manifest and checksums, and reading it.

Layout: ``<root>/manifest.json`` and ``<root>/chunks/CC_RES_KKKK.npy`` (complex64 States
data, (chunk, 2, n1, n2)) with ``CC_RES_KKKK_shifts.npy`` (float64 site shifts in ppm).
The per-class split is drawn once from ``rng(seed, SPLIT_KEY, class)``. A data set is
complete when its manifest says so and records every chunk's sha256; reading checks them
(:func:`load_manifest`). Writing is :mod:`nmrlib.tocsy.corpus`.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from nmrlib.core.repro import file_sha256, rng
from nmrlib.tocsy.residues import RESIDUES

FORMAT = "nmrlib-tocsy-v1"


SPLIT_KEY = 10**6


SPLITS = ("train", "val", "test")


SPLIT_FRACTIONS = (0.7, 0.2, 0.1)


def n_chunks(params: dict) -> int:
    return -(-params["n_per_class"] // params["chunk_size"])


def chunk_path(root: Path, c: int, k: int, kind: str = "") -> Path:
    return Path(root) / "chunks" / f"{c:02d}_{RESIDUES[c]}_{k:04d}{kind}.npy"


def split_indices(params: dict, c: int) -> dict[str, np.ndarray]:
    """Sample indices of class ``c`` in each split (fixed by the seed)."""
    n = params["n_per_class"]
    order = rng(params["seed"], c, SPLIT_KEY).permutation(n)
    n_train = round(SPLIT_FRACTIONS[0] * n)
    n_val = round(SPLIT_FRACTIONS[1] * n)
    return {"train": np.sort(order[:n_train]), "val": np.sort(order[n_train:n_train + n_val]),
            "test": np.sort(order[n_train + n_val:])}


def _chunk_problem(root: Path, params: dict, c: int, k: int) -> str | None:
    """Why chunk (c, k) is not usable (missing, truncated, wrong shape), or None when it is.

    Checks the .npy headers and that each file holds exactly the bytes its header promises
    (a cut or padded file is caught without reading the data).
    """
    m = min(params["chunk_size"], params["n_per_class"] - k * params["chunk_size"])
    for path, dtype in zip(_chunk_files(root, c, k), (np.complex64, np.float64), strict=True):
        if not path.is_file():
            return f"{path.name} is missing"
        try:
            with open(path, "rb") as fh:
                read_header = {(1, 0): np.lib.format.read_array_header_1_0,
                               (2, 0): np.lib.format.read_array_header_2_0}.get(
                                   np.lib.format.read_magic(fh))
                if read_header is None:
                    raise ValueError("unsupported .npy format version")
                shape, _, stored = read_header(fh)
                offset = fh.tell()
        except (ValueError, OSError, SyntaxError) as err:
            return f"{path.name} has no valid .npy header ({err})"
        want = (m, 2, params["n1"], params["n2"]) if dtype is np.complex64 else (m, *shape[1:])
        if (shape, np.dtype(stored)) != (want, np.dtype(dtype)):
            return f"{path.name} holds {stored} {shape}, expected {np.dtype(dtype)} {want}"
        size = offset + int(np.prod(shape)) * np.dtype(dtype).itemsize
        if path.stat().st_size != size:
            return f"{path.name} is {path.stat().st_size} bytes, expected {size} (truncated?)"
    return None


def _chunk_done(root: Path, params: dict, c: int, k: int) -> bool:
    return _chunk_problem(root, params, c, k) is None


def _chunk_files(root: Path, c: int, k: int) -> tuple[Path, Path]:
    return chunk_path(root, c, k), chunk_path(root, c, k, "_shifts")


def _sha256(path: Path) -> str:
    """sha256 of ``path``, computed once per process for each (file, size, mtime)."""
    st = path.stat()
    return _sha256_cached(str(path.resolve()), st.st_size, st.st_mtime_ns)


@lru_cache(maxsize=65536)
def _sha256_cached(path: str, size: int, mtime_ns: int) -> str:
    return file_sha256(path)


def _checksums(root: Path, params: dict) -> dict[str, str]:
    """sha256 of every chunk file, by file name (recorded when a data set completes)."""
    return {path.name: _sha256(path) for c in range(len(RESIDUES))
            for k in range(n_chunks(params)) for path in _chunk_files(root, c, k)}


def _damaged_chunks(root: Path, params: dict, sha256: dict[str, str],
                    verify: bool = True) -> list[tuple[int, int, str]]:
    """Chunks ``(c, k, why)`` that are missing, truncated or (``verify``) differ from the
    checksums recorded when the data set was completed."""
    damaged = []
    for c in range(len(RESIDUES)):
        for k in range(n_chunks(params)):
            why = _chunk_problem(root, params, c, k)
            if why is None and verify and sha256:
                why = next((f"{p.name} does not match its recorded sha256"
                            for p in _chunk_files(root, c, k)
                            if sha256.get(p.name) != _sha256(p)), None)
            if why is not None:
                damaged.append((c, k, why))
    return damaged


MANIFEST_FIELDS = {"format": str, "params": dict, "classes": list, "complete": bool}


SIZE_PARAMS = ("n_per_class", "chunk_size", "n1", "n2", "batch", "seed")


def read_manifest(root) -> dict:
    """``root/manifest.json``, checked field by field (ValueError naming what is damaged)."""
    path = Path(root) / "manifest.json"
    if not path.is_file():
        raise FileNotFoundError(f"no TOCSY data set at {root} (missing manifest.json); "
                                "generate it with `python -m nmrlib simulate`")
    try:
        manifest = json.loads(path.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ValueError(f"{path} is damaged (not JSON: {err})") from err
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ValueError(f"{path} is not a {FORMAT} manifest")
    for key, kind in MANIFEST_FIELDS.items():
        if not isinstance(manifest.get(key), kind):
            raise ValueError(f"{path} is damaged: {key!r} is missing or not a {kind.__name__}")
    params = manifest["params"]
    for key in SIZE_PARAMS:
        value = params.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{path} is damaged: params {key!r} = {value!r} is not an integer "
                             ">= 0")
    if not isinstance(manifest.get("sha256", {}), dict):
        raise ValueError(f"{path} is damaged: 'sha256' is not a table of checksums")
    return manifest


def load_manifest(root) -> dict:
    """The manifest of the complete data set at ``root``, after checking every chunk.

    Every chunk must be present with the size its header promises and, where the data set
    recorded checksums when it was completed, match its sha256 (each file is hashed once
    per process). Anything else is a ValueError that says how to repair it.
    """
    manifest = read_manifest(root)
    if not manifest["complete"]:
        params = manifest["params"]
        missing = [(c, k) for c in range(len(RESIDUES)) for k in range(n_chunks(params))
                   if not _chunk_done(Path(root), params, c, k)]
        example = f", e.g. {chunk_path(Path(root), *missing[0]).name}" if missing else ""
        raise ValueError(f"the data set at {root} is incomplete ({len(missing)} chunk(s) "
                         f"missing{example}): rerun `python -m nmrlib simulate` with the same "
                         "parameters (and --shard I/N for each unfinished shard) to resume it")
    damaged = _damaged_chunks(Path(root), manifest["params"], manifest.get("sha256", {}))
    if damaged:
        raise ValueError(f"the data set at {root} is marked complete but {len(damaged)} "
                         f"chunk(s) are damaged, e.g. {damaged[0][2]}: rerun `python -m nmrlib "
                         "simulate` with the same parameters to repair it")
    return manifest


def load_shifts(root) -> dict[str, np.ndarray]:
    """Site shifts (ppm) of every sample, per residue code: (n_per_class, n_sites)."""
    params = load_manifest(root)["params"]
    return {code: np.concatenate([np.load(chunk_path(Path(root), c, k, "_shifts"))
                                  for k in range(n_chunks(params))])
            for c, code in enumerate(RESIDUES)}


class TocsyDataset(Dataset):
    """Items ``(x, label)``: x float32 (4, n1, n2) = [cos.re, cos.im, sin.re, sin.im], or
    (4, n1 * n2) with ``stacked=True`` (the paper's stacking transform); label = class index.
    """

    def __init__(self, root, split: str, *, stacked: bool = False):
        if split not in SPLITS:
            raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
        self.root = Path(root)
        manifest = load_manifest(self.root)
        self.params = manifest["params"]
        self.classes = tuple(manifest["classes"])
        if self.classes != RESIDUES:
            raise ValueError(f"{root}: unexpected class list {self.classes}")
        self.n1, self.n2 = self.params["n1"], self.params["n2"]
        self.split, self.stacked = split, stacked
        self.items = [(c, int(i)) for c in range(len(self.classes))
                      for i in split_indices(self.params, c)[split]]
        self._chunks: dict[tuple[int, int], np.ndarray] = {}

    def __len__(self) -> int:
        return len(self.items)

    def __getstate__(self) -> dict:  # DataLoader workers reopen the memory maps themselves
        return {**self.__dict__, "_chunks": {}}

    @property
    def labels(self) -> list[int]:
        return [c for c, _ in self.items]

    def raw(self, index: int) -> np.ndarray:
        """The complex64 States data (2, n1, n2) of item ``index``."""
        c, i = self.items[index]
        k, j = divmod(i, self.params["chunk_size"])
        if (c, k) not in self._chunks:
            self._chunks[(c, k)] = np.load(chunk_path(self.root, c, k), mmap_mode="r")
        return np.asarray(self._chunks[(c, k)][j])

    def __getitem__(self, index: int):
        from nmrlib.tocsy.audio import stack_transients

        z = self.raw(index)
        x = np.stack([z[0].real, z[0].imag, z[1].real, z[1].imag]).astype(np.float32)
        x = torch.from_numpy(x)
        if self.stacked:
            x = stack_transients(x)
        return x, self.items[index][0]


def summary(root) -> dict:
    """Sizes, split counts and disk use of the data set at ``root``."""
    manifest = load_manifest(root)
    params = manifest["params"]
    counts = {s: len(split_indices(params, 0)[s]) * len(RESIDUES) for s in SPLITS}
    disk = sum(f.stat().st_size for f in (Path(root) / "chunks").glob("*.npy"))
    return {"n_spectra": params["n_per_class"] * len(RESIDUES),
            "n_per_class": params["n_per_class"], "shape": [2, params["n1"], params["n2"]],
            "split_counts": counts, "disk_bytes": disk,
            "nmrlib_version": manifest["nmrlib_version"]}
