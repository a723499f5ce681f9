"""Malformed inputs for nmrlib's long-job surfaces (issue 20), registered into the fuzz set.

The notebook runner, classifier training (``train``), DLNMR training (``train-dlnmr``), data
set simulation (``simulate``), their checkpoints and manifests, DLNMR weight files and
pretrained folders. :func:`register` adds the cases to ``tests/fuzz_cases.py``'s list (it
receives that module's ``add``, ``Api`` and ``Cli``, so this file imports nothing of it).

The small valid inputs the cases damage -- a tiny TOCSY data set (fast in-phase physics),
a finished classifier run's checkpoint and a DLNMR smoke checkpoint -- are made once per
fixture folder by :func:`job_base` (about 3 s).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np

CONFIG = "conv1d-deep_picker"
DATA = dict(profile="smoke", n_per_class=10, chunk_size=5, n1=8, n2=8, batch=5,
            selection="in-phase")
MARKER = "code-ran.txt"     # what a crafted pickle would write if it were ever executed


def job_base(base: Path) -> Path:
    """``base/jobs``: ``tocsy/`` (data set), ``ckpt/`` + ``results/`` (a finished run),
    ``dl/checkpoint.pt`` (DLNMR smoke run); built on first use."""
    jobs = base / "jobs"
    if (jobs / "done").is_file():
        return jobs
    from dataclasses import replace

    from nmrlib.core.repro import torch_threads
    from nmrlib.nus.train_dl import PROFILES, train
    from nmrlib.tocsy.corpus import simulate_dataset
    from nmrlib.tocsy.training import run_configuration

    with torch_threads(1):
        root = simulate_dataset(jobs / "tocsy", workers=1, progress=False, **DATA)
        run_configuration(CONFIG, root, epochs=1, batch_size=20, results_dir=jobs / "results",
                          checkpoint_dir=jobs / "ckpt", progress=False)
        train(replace(PROFILES["smoke"], size=64, batch_size=32), jobs / "dl", progress=False)
    (jobs / "done").write_text("ok\n")
    return jobs


DL_ARGS = ["--profile", "smoke", "--size", "64", "--batch-size", "32"]  # the fixture's run


def _evil_pickle(path: Path, marker: Path) -> Path:
    """A torch file whose unpickling would run ``open(marker, 'w')``."""
    import torch

    class Evil:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    torch.save({"fingerprint": "x", "settings": {}, "payload": Evil()}, path)
    return path


def _damage(kind: str) -> Callable[[bytes], bytes]:
    """Byte-level damage of a checkpoint or weight file."""
    return {
        "empty": lambda raw: b"",
        "truncated": lambda raw: raw[: len(raw) // 2],
        "zeroed": lambda raw: b"\0" * len(raw),
        "random": lambda raw: np.random.default_rng(0).bytes(len(raw)),
    }[kind]


def _checkpoint(jobs: Path) -> Path:
    (path,) = (jobs / "ckpt").rglob("*.pt")
    return path


def _train_argv(env, jobs: Path, *extra: str, data: Path | None = None) -> list[str]:
    return ["train", CONFIG, "--data", str(data or jobs / "tocsy"), "--epochs", "1",
            "--batch-size", "20", "--results", str(env.tmp / "results"),
            "--checkpoints", str(env.tmp / "ckpt"), *extra]


def _copied_set(env, jobs: Path) -> Path:
    return Path(shutil.copytree(jobs / "tocsy", env.tmp / "tocsy"))


def _edit_manifest(edit: Callable[[dict], object]) -> Callable:
    def build(env, jobs):
        root = _copied_set(env, jobs)
        path = root / "manifest.json"
        manifest = json.loads(path.read_text())
        changed = edit(manifest)
        path.write_text(changed if isinstance(changed, str) else json.dumps(manifest))
        return root
    return build


def _chunk_edit(edit: Callable[[Path], None]) -> Callable:
    def build(env, jobs):
        from nmrlib.tocsy.corpus import chunk_path

        root = _copied_set(env, jobs)
        edit(chunk_path(root, 2, 1))
        return root
    return build


def _nan_same_size(path: Path) -> None:
    array = np.load(path)
    array[:] = np.nan
    with open(path, "r+b") as fh:   # the same header and size: only the sha256 tells
        np.save(fh, array)


MANIFEST_CASES = [
    ("manifest-not-json", _edit_manifest(lambda m: "{not json"), "damaged \\(not JSON"),
    ("manifest-no-complete", _edit_manifest(lambda m: m.pop("complete")),
     "'complete' is missing"),
    ("manifest-params-text", _edit_manifest(lambda m: m["params"].update(n1="8")),
     "params 'n1' = '8' is not an integer"),
    ("manifest-incomplete", _edit_manifest(lambda m: m.update(complete=False)),
     "is incomplete"),
    ("manifest-other-format", _edit_manifest(lambda m: m.update(format="v0")),
     "not a nmrlib-tocsy-v1 manifest"),
    ("manifest-sha-not-table", _edit_manifest(lambda m: m.update(sha256=[1, 2])),
     "'sha256' is not a table"),
    ("chunk-nan-same-size", _chunk_edit(_nan_same_size), "does not match its recorded sha256"),
    ("chunk-truncated", _chunk_edit(lambda p: p.write_bytes(p.read_bytes()[:-64])),
     "truncated"),
    ("chunk-missing", _chunk_edit(lambda p: p.unlink()), "is missing"),
    ("chunk-random", _chunk_edit(lambda p: p.write_bytes(os.urandom(p.stat().st_size))),
     "no valid .npy header"),
]


def register(add, Api, Cli) -> None:  # noqa: N803 - the harness's classes
    """Add every job-surface case through the harness's ``add``."""
    _notebook_cases(add, Api, Cli)
    _train_cases(add, Api, Cli)
    _checkpoint_cases(add, Api, Cli)
    _dlnmr_cases(add, Api, Cli)
    _weights_cases(add, Api, Cli)
    _simulate_cases(add, Api, Cli)
    _pretrained_cases(add, Api, Cli)
    _other_command_cases(add, Api, Cli)


# --------------------------------------------------------------------------- notebook

NOTEBOOK = '# %% tags=["parameters"]\nx = 1\n\n# %%\nprint(x)\n'
FAILING = '# %% tags=["parameters"]\nx = 1\n\n# %%\nraise RuntimeError("boom")\n'


def _notebook_cases(add, Api, Cli) -> None:
    def nb(env, text=NOTEBOOK, name="nb.py"):
        return env.text(name, text)

    def cli(*args):
        return ["notebook", "--profile", "smoke", *map(str, args)]

    add("nb-output-is-source", "is the notebook source itself", lambda env: Cli(
        cli(nb(env), "--output", env.tmp / "nb.py"), guard=[env.tmp / "nb.py"]))
    add("nb-output-is-source-overwrite", "is the notebook source itself", lambda env: Cli(
        cli(nb(env), "--output", env.tmp / "nb.py", "--overwrite"), guard=[env.tmp / "nb.py"]))
    add("nb-output-exists", "exists; pass overwrite", lambda env: Cli(
        cli(nb(env), "--output", env.text("old.ipynb", "{}")), guard=[env.tmp / "old.ipynb"]))
    add("nb-output-not-ipynb", "must end in .ipynb", lambda env: Cli(
        cli(nb(env), "--output", env.tmp / "out.txt")))
    add("nb-output-is-folder", "is a folder", lambda env: Cli(
        cli(nb(env), "--output", _mkdir(env.tmp / "dir.ipynb"), "--overwrite")))
    add("nb-output-fifo", "not a regular file", lambda env: Cli(
        cli(nb(env), "--output", env.fifo("pipe.ipynb"), "--overwrite"),
        guard=[env.tmp / "pipe.ipynb"]))
    add("nb-source-missing", "not found", lambda env: Cli(cli(env.tmp / "none.py")))
    add("nb-source-folder", "is not a regular file", lambda env: Cli(
        cli(_mkdir(env.tmp / "src.py"))))
    add("nb-no-parameters-cell", "exactly one cell tagged 'parameters'", lambda env: Cli(
        cli(nb(env, "# %%\nx = 1\n"), "--output", env.tmp / "o.ipynb")))
    add("nb-parameter-not-literal", "is not a literal", lambda env: Cli(
        cli(nb(env, '# %% tags=["parameters"]\nx = f(1)\n'), "--output", env.tmp / "o.ipynb")))
    add("nb-param-undeclared", "not declared in its parameters cell", lambda env: Cli(
        cli(nb(env), "--output", env.tmp / "o.ipynb", "-p", "y=2")))
    add("nb-param-no-equals", "-p expects NAME=VALUE", lambda env: Cli(
        cli(nb(env), "-p", "y")))
    add("nb-unknown-profile", "invalid choice", lambda env: Cli(
        ["notebook", "--profile", "fast", str(nb(env))]))
    add("nb-output-two-sources", "--output needs exactly one source", lambda env: Cli(
        cli(nb(env), nb(env, name="b.py"), "--output", env.tmp / "o.ipynb")))
    add("nb-failing-run-keeps-output", "nb.py failed in cell \\d+: RuntimeError: boom",
        lambda env: Cli(cli(nb(env, FAILING), "--output", env.text("old.ipynb", "{}"),
                            "--overwrite"), guard=[env.tmp / "old.ipynb", env.tmp / "nb.py"]))


def _mkdir(path: Path) -> Path:
    path.mkdir()
    return path


# --------------------------------------------------------------------------- train


def _train_cases(add, Api, Cli) -> None:
    values = [
        ("epochs-0", ["--epochs", "0"], "epochs must be an integer >= 1"),
        ("epochs-negative", ["--epochs", "-3"], "epochs must be an integer >= 1"),
        ("batch-size-0", ["--batch-size", "0"], "batch_size must be an integer >= 1"),
        ("lr-nan", ["--lr", "nan"], "learning rate must be a finite number"),
        ("lr-negative", ["--lr=-1e-3"], "learning rate must be a finite number"),
        ("lr-inf", ["--lr", "inf"], "learning rate must be a finite number"),
        ("seed-negative", ["--seeds", "-1"], "a seed must be an integer >= 0"),
        ("max-per-class-0", ["--max-per-class", "0"], "max_per_class must be an integer"),
        ("workers-negative", ["--workers", "-2"], "workers must be an integer >= 0"),
        ("crop-too-big", ["--crop", "64", "64"], "crop .* must lie within"),
        ("lr-schedule-unknown", ["--lr-schedule", "cosine"], "invalid choice"),
        ("device-cuda-missing", ["--device", "cuda"], "no CUDA device"),
    ]
    for label, extra, match in values:
        add(f"train-{label}", match, lambda env, extra=extra: Cli(
            _train_argv(env, job_base(env.base), *extra),
            guard=[job_base(env.base) / "tocsy" / "manifest.json"]))
    add("train-unknown-config", "unknown configuration", lambda env: Cli(
        ["train", "conv1d-whisper", "--data", str(job_base(env.base) / "tocsy")]))
    add("train-no-name", "give a configuration name", lambda env: Cli(["train"]))
    add("train-data-missing", "dataset not found", lambda env: Cli(
        _train_argv(env, job_base(env.base), data=env.tmp / "none")))
    add("train-data-empty-folder", "missing manifest.json", lambda env: Cli(
        _train_argv(env, job_base(env.base), data=_mkdir(env.tmp / "empty"))))
    add("train-results-below-file", "Not a directory|File exists", lambda env: Cli(
        [*_train_argv(env, job_base(env.base)), "--results", str(env.text("f", "x") / "r")]))
    for label, build, match in MANIFEST_CASES:
        add(f"train-{label}", match, lambda env, build=build: Cli(
            _train_argv(env, job_base(env.base), data=build(env, job_base(env.base)))))
    add("train-pretrained-folder-missing", "not run: pretrained folder .* does not exist",
        lambda env: Cli(["train", "conv1d-ecapa_l-pretrained_frozen", "--data",
                         str(job_base(env.base) / "tocsy"), "--results", str(env.tmp / "r"),
                         "--pretrained-source", str(env.tmp / "nowhere")]))


# --------------------------------------------------------------------------- checkpoints


def _damaged_checkpoint(env, kind: str) -> list[str]:
    jobs = job_base(env.base)
    shutil.copytree(jobs / "ckpt", env.tmp / "ckpt")
    (path,) = (env.tmp / "ckpt").rglob("*.pt")
    if kind == "crafted":
        _evil_pickle(path, env.tmp / MARKER)
    elif kind == "not-dict":
        import torch

        torch.save([1, 2, 3], path)
    elif kind == "missing-keys":
        import torch

        torch.save({"fingerprint": "x"}, path)
    else:
        path.write_bytes(_damage(kind)(path.read_bytes()))
    return _train_argv(env, jobs)


def _checkpoint_cases(add, Api, Cli) -> None:
    cases = [
        ("crafted", "holds objects other than tensors .* refusing to load it"),
        ("empty", "checkpoint .*seed0-.*\\.pt is damaged or not a torch file"),
        ("truncated", "checkpoint .*seed0-.*\\.pt is damaged or not a torch file"),
        ("zeroed", "checkpoint .*seed0-.*\\.pt is damaged or not a torch file"),
        ("random", "checkpoint .*seed0-.*\\.pt is damaged or not a torch file"),
        ("not-dict", "holds a list, not a dict"),
        ("missing-keys", "lacks 'key', 'model', 'optimizer'"),
    ]
    for kind, match in cases:
        add(f"train-checkpoint-{kind}", match, lambda env, kind=kind: Cli(
            _damaged_checkpoint(env, kind)))


# --------------------------------------------------------------------------- train-dlnmr


def _dl_argv(env, *extra: str, copy: bool = False) -> list[str]:
    out = env.tmp / "dl"
    if copy:
        shutil.copytree(job_base(env.base) / "dl", out)
    return ["train-dlnmr", *DL_ARGS, "--out-dir", str(out), *extra]


def _dl_damaged(env, kind: str) -> list[str]:
    argv = _dl_argv(env, copy=True)
    path = env.tmp / "dl" / "checkpoint.pt"
    if kind == "crafted":
        _evil_pickle(path, env.tmp / MARKER)
    else:
        path.write_bytes(_damage(kind)(path.read_bytes()))
    return argv


def _dlnmr_cases(add, Api, Cli) -> None:
    values = [
        ("epochs-0", ["--epochs", "0"], "epochs must be an integer >= 1"),
        ("batch-size-0", ["--batch-size", "0"], "batch_size must be an integer >= 1"),
        ("size-0", ["--size", "0"], "size must be an integer >= 1"),
        ("n-4", ["--n", "4"], "n must be at least 8"),
        ("n-stages-0", ["--n-stages", "0"], "n_stages must be an integer >= 1"),
        ("lr-nan", ["--lr", "nan"], "learning rate must be a finite number"),
        ("extend-0", ["--extend", "0"], "extend must be an integer >= 1"),
        ("seed-negative", ["--seed", "-1"], "seed must be an integer >= 0"),
        ("peaks-reversed", ["--peaks", "5", "1"], "peaks must satisfy 1 <= low <= high"),
        ("tau-negative", ["--tau", "-5", "10"], "decay times tau must be > 0"),
        ("tau-nan", ["--tau", "nan", "10"], "tau range must be finite"),
        ("snapshot-every-0", ["--snapshot-every", "0"], "snapshot_every must be a positive"),
        ("threads-0", ["--threads", "0"], "thread count must be >= 1|threads"),
        ("init-missing", ["--init", "none.pt"], "DLNMR weights not found"),
    ]
    for label, extra, match in values:
        add(f"dlnmr-{label}", match, lambda env, extra=extra: _no_weights(Cli, env, extra))
    add("dlnmr-weights-is-folder", "is a folder; give a file name", lambda env: Cli(
        [*_dl_argv(env), "--weights", str(_mkdir(env.tmp / "w.pt"))]))
    add("dlnmr-epochs-negative-exports-nothing", "epochs must be an integer >= 1",
        lambda env: _no_weights(Cli, env, ["--epochs", "-2"]))
    for kind in ("crafted", "empty", "truncated", "zeroed", "random"):
        match = ("refusing to load it" if kind == "crafted"
                 else "checkpoint .*checkpoint.pt is damaged or not a torch file")
        add(f"dlnmr-checkpoint-{kind}", match, lambda env, kind=kind: Cli(
            _dl_damaged(env, kind)))
    add("dlnmr-checkpoint-other-settings", "written with other settings", lambda env: Cli(
        _dl_argv(env, "--lr", "0.002", copy=True)))


def _no_weights(Cli, env, extra: list[str]):  # noqa: N803
    """A ``train-dlnmr`` call that must fail without exporting ``w.pt``."""
    weights = env.tmp / "w.pt"
    return Cli([*_dl_argv(env, *extra), "--weights", str(weights)], absent=[weights])


# --------------------------------------------------------------------------- DLNMR weights


def _weights_file(env, blob) -> Path:
    import torch

    path = env.tmp / "weights.pt"
    torch.save(blob, path)
    return path


def _weights_with(config_edit: dict):
    def make(env):
        from dataclasses import asdict

        import torch

        from nmrlib.nus.dlnmr import DLNMR, DLNMRConfig

        model = DLNMR(DLNMRConfig(n_stages=1, n_layers=2))
        config = {**asdict(model.cfg), **config_edit}
        path = env.tmp / "weights.pt"
        torch.save({"config": config, "state_dict": model.state_dict()}, path)
        return path
    return make


def _weights_cases(add, Api, Cli) -> None:
    def reconstruct_with(make):
        def build(env):
            path = make(env)

            def call():
                from nmrlib.nus.dlnmr import load_weights

                return load_weights(path)
            return Api(call, errors=(ValueError, OSError))
        return build

    cases = [
        ("zero-stages", _weights_with({"n_stages": 0}), "n_stages must be an integer >= 1"),
        ("even-kernel", _weights_with({"kernel_size": 4}), "kernel_size must be odd"),
        ("lambda-nan", _weights_with({"lambda_dc": float("nan")}), "lambda_dc must be"),
        ("crafted", lambda env: _evil_pickle(env.tmp / "weights.pt", env.tmp / MARKER),
         "refusing to load it"),
        ("not-dict", lambda env: _weights_file(env, [1, 2]), "holds a list, not a dict"),
        ("no-state-dict", lambda env: _weights_file(env, {"config": {}}), "lacks 'state_dict'"),
        ("folder", lambda env: _mkdir(env.tmp / "w.pt"), "is not a regular file"),
    ]
    for label, make, match in cases:
        add(f"weights-{label}", match, reconstruct_with(make))


# --------------------------------------------------------------------------- simulate


def _simulate_argv(out: Path, *extra: str) -> list[str]:
    return ["simulate", "--profile", "smoke", "--selection", "in-phase", "--out", str(out),
            *extra]


def _simulate_cases(add, Api, Cli) -> None:
    add("simulate-cuda-without-gpu", "needs a CUDA device", lambda env: Cli(
        _simulate_argv(env.tmp / "set", "--backend", "cuda"),
        absent=[env.tmp / "set" / "manifest.json"]))
    add("simulate-workers-0", "workers must be a positive integer", lambda env: Cli(
        _simulate_argv(env.tmp / "set", "--workers", "0")))
    add("simulate-unknown-profile", "invalid choice", lambda env: Cli(
        ["simulate", "--profile", "huge", "--out", str(env.tmp / "set")]))
    add("simulate-out-is-file", "Not a directory|File exists", lambda env: Cli(
        _simulate_argv(env.text("set", "x")), guard=[env.tmp / "set"]))
    add("simulate-damaged-manifest", "damaged .* pass --replace-stale", lambda env: Cli(
        _simulate_argv(_edit_manifest(lambda m: "{oops")(env, job_base(env.base)))))
    add("simulate-other-parameters", "made with different parameters", lambda env: Cli(
        _simulate_argv(_copied_set(env, job_base(env.base)))))
    for label, shard, match in (("shard-out-of-range", "3/3", "0 <= I < N"),
                                ("shard-zero-count", "0/0", "N >= 1"),
                                ("shard-text", "first", "takes I/N")):
        add(f"simulate-{label}", match, lambda env, shard=shard: Cli(
            _simulate_argv(env.tmp / "set", "--shard", shard),
            absent=[env.tmp / "set" / "manifest.json"]))
    add("simulate-shard-with-replace-stale", "cannot be combined with --shard", lambda env: Cli(
        _simulate_argv(env.tmp / "set", "--shard", "0/2", "--replace-stale")))
    add("simulate-api-n-per-class-5", "n_per_class >= 10", lambda env: Api(
        lambda: _simulate(env, n_per_class=5)))
    add("simulate-api-unknown-parameter", "unknown dataset parameter", lambda env: Api(
        lambda: _simulate(env, colour="red")))


def _simulate(env, **overrides):
    from nmrlib.tocsy.corpus import simulate_dataset

    return simulate_dataset(env.tmp / "set", workers=1, progress=False, **overrides)


# --------------------------------------------------------------------------- pretrained

WRONG_ARCHITECTURE = """\
compute_features: !new:speechbrain.lobes.features.Fbank
    n_mels: 24
mean_var_norm: !new:speechbrain.processing.features.InputNormalization
    norm_type: sentence
embedding_model: !new:torch.nn.Linear
    in_features: 24
    out_features: 8
modules:
    compute_features: !ref <compute_features>
    mean_var_norm: !ref <mean_var_norm>
    embedding_model: !ref <embedding_model>
pretrainer: !new:speechbrain.utils.parameter_transfer.Pretrainer
    loadables:
        embedding_model: !ref <embedding_model>
    paths:
        embedding_model: !ref <pretrained_path>/embedding_model.ckpt
pretrained_path: unset
"""


def _pretrained_cases(add, Api, Cli) -> None:
    def load(folder: Path):
        from nmrlib.tocsy.pretrained import load_pretrained_ecapa

        return lambda: load_pretrained_ecapa(folder)

    def wrong_architecture(env):
        """Another model's files: refused by the pinned sizes and sha256 before loading."""
        folder = _mkdir(env.tmp / "model")
        (folder / "hyperparams.yaml").write_text(WRONG_ARCHITECTURE)
        import torch

        torch.save(torch.nn.Linear(24, 8).state_dict(), folder / "embedding_model.ckpt")
        for name in ("mean_var_norm_emb.ckpt", "classifier.ckpt", "label_encoder.ckpt"):
            (folder / name).write_bytes(b"x")
        return Api(load(folder), errors=(RuntimeError, ValueError))

    add("pretrained-wrong-architecture", "hyperparams.yaml: .* not the pinned", wrong_architecture)
    add("pretrained-folder-missing", "does not exist", lambda env: Api(
        load(env.tmp / "nowhere"), errors=(RuntimeError,)))
    add("pretrained-folder-empty", "lacks hyperparams.yaml", lambda env: Api(
        load(_mkdir(env.tmp / "m")), errors=(RuntimeError,)))


# --------------------------------------------------------------------------- other commands


def _other_command_cases(add, Api, Cli) -> None:
    for command in ("env", "profile", "gpus", "report"):
        add(f"cmd-{command}-unknown-option", "unrecognized arguments: --bogus|required",
            lambda env, command=command: Cli([command, "--bogus"]))
    add("cmd-report-unknown-profile", "invalid choice", lambda env: Cli(
        ["report", "--profile", "bogus"]))
    add("cmd-golden-source-missing", "not found", lambda env: Cli(
        ["golden", str(env.tmp / "none.py")]))
    add("cmd-speech-out-is-file", "File exists|Not a directory", lambda env: Cli(
        ["speech", "--offline", "--out", str(env.text("speech", "x"))],
        guard=[env.tmp / "speech"]))
    add("cmd-unknown-command", "unknown command", lambda env: Cli(["simulat"]))
    add("data-unknown-set", "unknown data set 'nope'", lambda env: Cli(["data", "fetch", "nope"]))
    add("data-path-unknown-set", "unknown data set", lambda env: Cli(["data", "path", "x/../y"]))
    add("data-no-action", "required: action", lambda env: Cli(["data"]))
    add("tocsy-real-no-action", "required: action", lambda env: Cli(["tocsy-real"]))
    add("tocsy-real-n1-not-int", "invalid int value", lambda env: Cli(
        ["tocsy-real", "classify", "--n1", "x"]))
    add("data-corrupt-mirror-copy", "malt1_hsqc.ft2 has sha256 .* not used", lambda env: Api(
        _with_env(_bad_mirror(env), lambda: _realdata().fetch("mrai_malt1_hsqc"))))
    add("data-corrupt-cached-copy", "malt1_hsqc.ft2 has sha256 .* not used", lambda env: Api(
        _with_env(_bad_cache(env), lambda: _realdata().fetch("mrai_malt1_hsqc"))))
    add("nb-output-unwritable", "cannot write the executed notebook into /proc", lambda env: Cli(
        ["notebook", "--profile", "smoke", str(env.text("nb.py", NOTEBOOK)), "--output",
         "/proc/nmrlib-fuzz.ipynb", "--overwrite"]))


def _realdata():
    from nmrlib.core import realdata

    return realdata


def _with_env(variables: dict, call):
    """``call`` with the environment ``variables`` set, then as before."""
    def run():
        before = {key: os.environ.get(key) for key in variables}
        os.environ.update(variables)
        try:
            return call()
        finally:
            for key, value in before.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
    return run


def _bad_mirror(env) -> dict:
    """A mirror whose MALT1 copy is damaged, and an empty cache."""
    folder = _mkdir(env.tmp / "mirror")
    _mkdir(folder / "mrai_malt1_hsqc")
    (folder / "mrai_malt1_hsqc" / "malt1_hsqc.ft2").write_bytes(b"\0" * 4096)
    return {"NMRLIB_DATA_MIRROR": str(folder), "NMRLIB_DATA_DIR": str(env.tmp / "cache")}


def _bad_cache(env) -> dict:
    """A cache whose MALT1 copy is damaged, and no usable mirror."""
    cache = _mkdir(env.tmp / "cache")
    _mkdir(cache / "mrai_malt1_hsqc")
    (cache / "mrai_malt1_hsqc" / "malt1_hsqc.ft2").write_bytes(b"\0" * 4096)
    return {"NMRLIB_DATA_MIRROR": str(_mkdir(env.tmp / "empty-mirror")),
            "NMRLIB_DATA_DIR": str(cache)}
