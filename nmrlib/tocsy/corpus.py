"""The simulated 2D TOCSY data set of the 20 amino acids (Yip et al., section III).

Sample ``i`` of class ``c`` (``c`` = index in :data:`nmrlib.tocsy.residues.RESIDUES`) is a pure
function of ``(seed, c, i, params)``: its shifts come from ``nmrlib.core.repro.rng(seed, c, i)``,
its optional noise from ``rng(seed, c, i, 1)``, and the simulation is deterministic for a
given backend (regenerating with the same parameters on the same backend gives
bit-identical files: CPU chunks are computed with one thread per process, so the bits do
not depend on the core count; across BLAS libraries/devices agreement is to ~1e-12).

On-disk layout (``root``):

* ``manifest.json``: format, nmrlib version, git commit, the generation ``params``, classes,
  chunk counts and ``complete``. A directory made with other parameters is never mixed
  with new samples (ValueError).
* ``chunks/CC_RES_KKKK.npy``: complex64 (m, 2, n1, n2) States data of samples
  ``KKKK*chunk_size ...`` of class CC; ``chunks/CC_RES_KKKK_shifts.npy``: their site shifts
  (ppm, float64). Each file is written to a temporary name and renamed, shifts first, so a
  data file exists only complete; an interrupted run resumes at the first missing chunk.

The per-class split is a permutation from ``rng(seed, c, SPLIT_KEY)``: the first 70 % train,
the next 20 % validation, the rest test.

Profiles (the ONE place the sizes live): ``smoke`` (tests, seconds), ``quick`` (CPU,
minutes: 100 per class at 128 x 128), ``paper`` (1,000 per class at 256 x 256, 21 GB
complex64).

Reading a finished data set (layout, manifest, checksums, the torch ``Dataset``) is
:mod:`nmrlib.tocsy.store`.
"""

from __future__ import annotations

import json
import os
import shutil
from contextlib import nullcontext
from pathlib import Path

import numpy as np
import torch

from nmrlib import __version__
from nmrlib.core.cli import CliParser
from nmrlib.core.repro import atomic_output, rng, source_fingerprint, torch_threads, write_json
from nmrlib.core.shards import owner, parse_shard, shard_name
from nmrlib.tocsy.residues import (
    ACQUISITION,
    CONTEXTS,
    DEFAULT_CONTEXT,
    RESIDUES,
    spin_system,
)
from nmrlib.tocsy.spin import DEFAULT_SELECTION, PRECISIONS, check_selection
from nmrlib.tocsy.store import (
    FORMAT,
    SPLITS,
    TocsyDataset,
    _checksums,
    _chunk_done,
    _damaged_chunks,
    chunk_path,
    load_manifest,
    load_shifts,
    n_chunks,
    read_manifest,
    split_indices,
    summary,
)

# The data set's public face: making it (here) and reading it (re-exported from store).
__all__ = ["DEFAULTS", "PROFILES", "SPLITS", "TocsyDataset", "chunk_path", "load_manifest",
           "load_shifts", "main", "params_for", "read_manifest", "sample_spectrum",
           "simulate_chunk", "simulate_dataset", "split_indices", "summary"]

# selection: the TOCSY mixing model of nmrlib.tocsy.spin ("lock": ideal spin lock with trim pulses,
# the physics of a real MLEV-17 TOCSY and the strong-lock limit of Spinach's tocsy.m;
# "in-phase": the in-phase-only filter of data sets made before it existed). Manifests
# without the key were made with "in-phase".
# precision: "single" computes the "lock" propagation in float32 (about 2x faster; largest
# deviation from double ~2e-7 of a spectrum's maximum point, the size of the complex64
# rounding the chunks are stored with anyway); None picks "single" for "lock" and "double"
# (the only one) for "in-phase". Manifests without the key were made in "double".
DATASET_SELECTIONS = ("lock", "in-phase")


DEFAULTS = dict(seed=0, context=DEFAULT_CONTEXT, **ACQUISITION, snr=None, amp_tol=1e-7,
                selection=DEFAULT_SELECTION, precision=None, n_per_class=1000, chunk_size=50,
                batch=8)


PROFILES: dict[str, dict] = {
    "smoke": dict(n_per_class=10, n1=32, n2=32, chunk_size=5, batch=5),
    "quick": dict(n_per_class=300, n1=16, n2=64, chunk_size=50),
    "paper": dict(n_per_class=1000, n1=256, n2=256, chunk_size=50),
}


def params_for(profile: str | None = None, **overrides) -> dict:
    """Full generation parameters: DEFAULTS, then the profile (default quick), then overrides."""
    profile = profile or "quick"
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}: expected one of {sorted(PROFILES)}")
    unknown = set(overrides) - set(DEFAULTS)
    if unknown:
        raise ValueError(f"unknown dataset parameter(s) {sorted(unknown)}; known: "
                         f"{sorted(DEFAULTS)}")
    params = {**DEFAULTS, **PROFILES[profile], **overrides}
    if params["n_per_class"] < 10 or params["chunk_size"] < 1 or params["batch"] < 1:
        raise ValueError("need n_per_class >= 10 (every split non-empty), chunk_size >= 1, "
                         "batch >= 1")
    if params["selection"] not in DATASET_SELECTIONS:
        raise ValueError(f"unknown selection {params['selection']!r} for a data set: expected "
                         f"one of {DATASET_SELECTIONS} ('spinach' is a dense check for small "
                         "networks, see nmrlib.tocsy.spin)")
    if params["precision"] is None:
        params["precision"] = "single" if params["selection"] == "lock" else "double"
    check_selection(params["selection"], precision=params["precision"])
    return json.loads(json.dumps(params))  # JSON-normalised, so comparisons are exact


def simulate_chunk(params: dict, c: int, k: int, device: str | None = None):
    """Shifts (m, n_sites) and complex64 data (m, 2, n1, n2) of chunk k of class c."""
    from nmrlib.tocsy.spin import add_noise

    system = spin_system(RESIDUES[c], params["context"])
    lo = k * params["chunk_size"]
    ids = range(lo, min(lo + params["chunk_size"], params["n_per_class"]))
    shifts = np.stack([system.sample(rng(params["seed"], c, i)) for i in ids])
    acq = {key: params[key] for key in ACQUISITION}
    out = []
    # one thread per process on CPU: the bits do not depend on the core count
    with torch_threads(1) if device is None else nullcontext():
        for b in range(0, len(shifts), params["batch"]):
            data = system.network().fid(shifts[b:b + params["batch"]], **acq,
                                        amp_tol=params["amp_tol"], device=device,
                                        selection=params.get("selection", "in-phase"),
                                        precision=params.get("precision", "double"))
            out.append(data.cpu().numpy())
    data = np.concatenate(out)
    if params["snr"] is not None:
        for j, i in enumerate(ids):
            data[j] = add_noise(data[j], params["snr"], rng(params["seed"], c, i, 1))
    return shifts, data.astype(np.complex64)


def sample_spectrum(code: str, index: int, *, seed: int, acquisition: dict,
                    context: str = DEFAULT_CONTEXT, selection: str = DEFAULT_SELECTION,
                    snr: float | None = None,
                    device: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Sample ``index`` of residue ``code`` in ``context`` -- the data set's shift draw
    ``rng(seed, class, index)`` -- simulated at ``acquisition`` (``ACQUISITION`` keys: n1,
    n2, sw_hz, field_mhz, carrier_ppm, tau_mix, ...), for display and comparison.

    Returns (site shifts in ppm, complex States data (2, n1, n2)); with ``snr`` (peak
    time-domain SNR) complex noise from ``rng(seed, class, index, 2)`` is added, a key of its
    own so display noise never repeats the data set's (key 1).
    """
    from nmrlib.tocsy.spin import add_noise

    system = spin_system(code, context)
    shifts = system.sample(rng(seed, system.label, index))
    data = system.network().fid(shifts[None], **acquisition, device=device,
                                selection=selection)[0].cpu().numpy()
    if snr is not None:
        data = add_noise(data, snr, rng(seed, system.label, index, 2))
    return shifts, data


def _save(path: Path, array: np.ndarray) -> None:
    with atomic_output(path, overwrite=True) as tmp, open(tmp, "wb") as fh:
        np.save(fh, array)


def _make_chunk(root: str, params: dict, c: int, k: int, device: str | None) -> int:
    shifts, data = simulate_chunk(params, c, k, device)
    _save(chunk_path(Path(root), c, k, "_shifts"), shifts)
    _save(chunk_path(Path(root), c, k), data)
    return len(data)


def _worker_init(parent_pid: int) -> None:
    """A simulation worker: one thread, and it exits as soon as its parent is gone.

    A parent killed with SIGKILL cannot stop its pool, so each worker watches for it: once
    the worker has been re-parented, it ends at once (a chunk in flight is lost, never
    half-written: chunks are renamed into place complete).
    """
    import threading
    import time

    from nmrlib.core.repro import set_threads

    set_threads(1)

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(PARENT_POLL_S)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


PARENT_POLL_S = 0.2


SIMULATOR_FILES = (
    "tocsy/corpus.py", "tocsy/store.py", "tocsy/residues.py", "tocsy/exchangeable.py",
    "data/aminoacids.json", "data/aminoacids_h2o.json",
    *(f"tocsy/spin/{name}.py"
      for name in ("__init__", "algebra", "checks", "mixing", "network", "acquisition")),
)


def simulator_version() -> str:
    """sha256 (12 hex) of the code and tables that define a sample: a data set made by other
    simulator code is never resumed or reused as if it were current."""
    return source_fingerprint(SIMULATOR_FILES)


def _stale_reason(manifest: dict, params: dict) -> str | None:
    """Why a data set's manifest does not match ``params`` and this code, or None."""
    if manifest.get("format") != FORMAT or manifest.get("params") != params:
        return f"made with different parameters ({manifest.get('params')})"
    if manifest.get("simulator") != simulator_version():
        return (f"made by other simulator code ({manifest.get('simulator')}, now "
                f"{simulator_version()})")
    return None


def _manifest(params: dict, backend: str, complete: bool) -> dict:
    from nmrlib.core.repro import git_commit

    return {"format": FORMAT, "nmrlib_version": __version__, "git_commit": git_commit(),
            "simulator": simulator_version(),
            "params": params, "backend": backend, "classes": list(RESIDUES),
            "chunks_per_class": n_chunks(params), "complete": complete}


def simulate_dataset(out_dir, *, profile: str | None = None, workers: int | None = None,
                     backend: str | None = None, max_chunks: int | None = None,
                     progress: bool = True, replace_stale: bool = False,
                     shard: tuple[int, int] = (0, 1), **overrides) -> Path:
    """Generate (or resume, or just check) the data set of ``profile`` + ``overrides``.

    ``backend`` "cpu" (default): ``workers`` processes (default: all cores; one thread
    each); "cuda": batches of ``batch`` on the GPU in this process (the spin systems are
    small, so many CPU processes are usually faster; opt in where they are not). A complete
    data set with the same parameters is accepted whatever backend made it; an incomplete
    one is only resumed with its own backend (floating-point bits differ between them).
    ``max_chunks`` stops after that many new chunks (used to test resuming). A data set
    made with other parameters or by other simulator code (:func:`simulator_version`), or
    with a damaged manifest, is refused, or with ``replace_stale`` deleted and simulated
    anew. Workers exit when this process dies, even by SIGKILL.

    ``shard=(i, n)`` simulates only the chunks of shard i of n (:mod:`nmrlib.core.shards`: chunk
    ``c * chunks_per_class + k`` belongs to shard ``(c * chunks_per_class + k) % n``), so n
    machines, or a scheduler's job array, can fill one folder side by side; whichever shard
    finds every chunk present marks the set complete, bit-identical to a one-machine run. A
    shard that finishes before the others names the shards still missing.
    """
    from tqdm.auto import tqdm

    params = params_for(profile, **overrides)
    backend = _check_backend(backend, workers)
    if shard[1] > 1 and replace_stale:
        raise ValueError("--replace-stale cannot be combined with --shard (one shard would "
                         "delete the others' chunks): replace the data set in one run first")
    root = Path(out_dir)
    if not _open_for_resume(root, params, backend, replace_stale, shard):
        return root                                   # complete and intact
    jobs = _pending_chunks(root, params, shard)
    if max_chunks is not None:
        jobs = jobs[:max_chunks]
    total = len(RESIDUES) * params["n_per_class"]
    bar = tqdm(total=total, desc=f"TOCSY {root}", unit="spectra", disable=not progress)
    bar.update(total - sum(min(params["chunk_size"], params["n_per_class"] - k *
                               params["chunk_size"]) for _, k in jobs))
    if backend == "cuda" or (workers or os.cpu_count() or 1) == 1:
        device = "cuda" if backend == "cuda" else None
        for c, k in jobs:
            bar.update(_make_chunk(str(root), params, c, k, device))
    else:
        _run_pool(root, params, jobs, workers, bar)
    bar.close()
    missing = _pending_chunks(root, params)
    record = read_manifest(root)
    if not missing and not record["complete"]:
        write_json(root / "manifest.json",
                   dict(record, complete=True, sha256=_checksums(root, params)))
    elif missing and max_chunks is None:
        print(f"{root}: shard {shard_name(*shard)} done; still missing: "
              f"{_missing_shards(missing, params, shard[1])}")
    return root


def _item(params: dict, c: int, k: int) -> int:
    """Chunk (c, k) as a flat work-item index (the unit of sharding)."""
    return c * n_chunks(params) + k


def _missing_shards(missing: list[tuple[int, int]], params: dict, count: int) -> str:
    """The shards (``I/N``) that still own one of the ``missing`` chunks, with counts."""
    from collections import Counter

    owners = Counter(owner(_item(params, c, k), count) for c, k in missing)
    return ", ".join(f"shard {shard_name(i, count)} ({n} chunk{'s' * (n > 1)})"
                     for i, n in sorted(owners.items()))


def _check_backend(backend: str | None, workers: int | None) -> str:
    """The backend to use ("cpu" by default); ValueError for an unknown one or bad workers."""
    backend = backend or "cpu"
    if backend not in ("cpu", "cuda"):
        raise ValueError(f"backend must be 'cpu' or 'cuda', got {backend!r}")
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int)
                                or workers < 1):
        raise ValueError(f"workers must be a positive integer, got {workers!r}")
    return backend


def _open_for_resume(root: Path, params: dict, backend: str, replace_stale: bool,
                     shard: tuple[int, int] = (0, 1)) -> bool:
    """Prepare ``root`` for simulation; False when it already holds the complete set.

    Refuses (ValueError) a data set made with other parameters, other code, another backend
    or a damaged manifest (``replace_stale`` deletes it instead); damaged chunks of a
    complete set are deleted so that they are simulated again.
    """
    manifest = root / "manifest.json"
    if manifest.is_file():
        try:
            old = read_manifest(root)
            stale = _stale_reason(old, params)
        except ValueError as err:   # a damaged manifest: its data set cannot be trusted
            if not replace_stale:
                raise ValueError(f"{err}; pass --replace-stale to simulate it anew") from err
            stale = "with a damaged manifest"
        if stale and not replace_stale:
            raise ValueError(f"{root} holds a data set {stale}; refusing to mix samples: use "
                             "another output directory, delete it, or pass replace_stale "
                             "(`simulate --replace-stale`)")
        if stale:
            print(f"{root}: {stale}; simulating it anew")
            shutil.rmtree(root / "chunks", ignore_errors=True)
            manifest.unlink()
    if manifest.is_file():
        if old["complete"]:
            damaged = _damaged_chunks(root, params, old.get("sha256", {}))
            if not damaged:
                return False
            print(f"{root}: {len(damaged)} damaged chunk(s) ({damaged[0][2]}); simulating "
                  "them again")
            for c, k, _ in damaged:
                for kind in ("", "_shifts"):
                    chunk_path(root, c, k, kind).unlink(missing_ok=True)
            old = dict(old, complete=False)
            write_json(manifest, old)
        if old.get("backend") != backend:
            raise ValueError(f"{root} was started on {old.get('backend')}; resume it with "
                             f"backend={old.get('backend')!r} (refusing to mix backends)")
    elif (root / "chunks").is_dir() and any((root / "chunks").glob("*.npy")):
        raise ValueError(f"{root}/chunks holds samples but no manifest: refusing to mix")
    if backend == "cuda" and not torch.cuda.is_available():   # before anything is written
        raise ValueError("backend 'cuda' needs a CUDA device, and torch sees none: use "
                         "--backend cpu")
    (root / "chunks").mkdir(parents=True, exist_ok=True)
    for stale_part in (root / "chunks").glob("*.part"):   # left by a run that was killed
        c, k = _chunk_of(stale_part.name)
        if owner(_item(params, c, k), shard[1]) == shard[0]:   # never another shard's
            stale_part.unlink(missing_ok=True)
    if not manifest.is_file():  # records the version that started the data set
        write_json(manifest, _manifest(params, backend, complete=False))
    return True


def _pending_chunks(root: Path, params: dict,
                    shard: tuple[int, int] = (0, 1)) -> list[tuple[int, int]]:
    """Chunks ``(c, k)`` of ``shard`` still to simulate, largest spin systems first (so a
    pool ends on short jobs)."""
    cost = [spin_system(code, params["context"]).network().n_transitions for code in RESIDUES]
    return sorted(((c, k) for k in range(n_chunks(params)) for c in range(len(RESIDUES))
                   if owner(_item(params, c, k), shard[1]) == shard[0]
                   and not _chunk_done(root, params, c, k)), key=lambda job: (-cost[job[0]], job))


def _chunk_of(name: str) -> tuple[int, int]:
    """(class, chunk) of a chunk file name ``CC_RES_KKKK[_shifts].npy``, or of its
    temporary ``.CC_RES_KKKK[_shifts].npy.<pid>.<random>.part`` (:func:`atomic_output`)."""
    c, _, k = name.lstrip(".").split(".")[0].split("_")[:3]
    return int(c), int(k)


def _run_pool(root: Path, params: dict, jobs, workers: int | None, bar) -> None:
    """Simulate ``jobs`` in worker processes (spawned, one thread each)."""
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor, as_completed

    n_workers = min(workers or os.cpu_count() or 1, max(len(jobs), 1))
    pool = ProcessPoolExecutor(n_workers, mp_context=mp.get_context("spawn"),
                               initializer=_worker_init, initargs=(os.getpid(),))
    try:
        futures = [pool.submit(_make_chunk, str(root), params, c, k, None) for c, k in jobs]
        for future in as_completed(futures):
            bar.update(future.result())
    except BaseException:   # Ctrl-C or a failed chunk: drop the queue, stop the workers
        workers_alive = list((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for process in workers_alive:   # a chunk in flight is lost, never half-written
            process.terminate()
        raise
    pool.shutdown()


def main(argv: list[str]) -> int:
    parser = CliParser(prog="python -m nmrlib simulate",
                       description="simulate the TOCSY data set for a profile")
    parser.add_argument("--profile", choices=sorted(PROFILES), default="quick")
    parser.add_argument("--out", default=None,
                        help="output directory (default data/<profile>/tocsy)")
    parser.add_argument("--workers", type=int, default=None, help="CPU processes (default: all)")
    parser.add_argument("--backend", choices=("cpu", "cuda"), default=None,
                        help="cpu (default): one process per core; cuda: batched on the GPU")
    parser.add_argument("--selection", choices=DATASET_SELECTIONS, default=None,
                        help=f"TOCSY mixing model (default {DEFAULTS['selection']}; see "
                             "nmrlib.tocsy.spin)")
    parser.add_argument("--precision", choices=PRECISIONS, default=None,
                        help="single: the lock propagation in float32, about 2x faster "
                             "(default: single for lock, double for in-phase)")
    parser.add_argument("--context", choices=CONTEXTS, default=None,
                        help=f"residue context (default {DEFAULTS['context']}; protein-h2o adds "
                             "the side-chain NH a TOCSY in H2O sees, see "
                             "nmrlib.tocsy.exchangeable)")
    parser.add_argument("--shard", default="0/1", metavar="I/N",
                        help="simulate only shard I of N (0 <= I < N; e.g. a Slurm array "
                             "task's $SLURM_ARRAY_TASK_ID/N); shards may share one --out")
    parser.add_argument("--replace-stale", action="store_true",
                        help="delete a data set made with other parameters or simulator code "
                             "and simulate it anew (default: refuse)")
    args = parser.parse_args(argv[1:])
    out = Path(args.out or Path("data") / args.profile / "tocsy")
    extra = {key: value for key in ("selection", "precision", "context")
             if (value := getattr(args, key)) is not None}
    root = simulate_dataset(out, profile=args.profile, workers=args.workers,
                            backend=args.backend, replace_stale=args.replace_stale,
                            shard=parse_shard(args.shard), **extra)
    if read_manifest(root)["complete"]:
        print(json.dumps(summary(root), indent=2))
    return 0
