"""Training loop: seeding, resume after interruption, metrics, JSON result, CLI, configurations."""

from __future__ import annotations

import json
import sys
import types

import numpy as np
import pytest
import torch

from nmrlib.tocsy import training
from nmrlib.tocsy.training import (
    CONFIGURATIONS,
    classification_metrics,
    configuration,
    confusion_matrix,
    most_confused_pairs,
    run_configuration,
)

torch.set_num_threads(2)
N1, N2, PER_CLASS = 8, 64, 10


class FakeTocsy(torch.utils.data.Dataset):
    """Stand-in with the TocsyDataset contract: class-dependent tones, 70/20/10 per class."""

    def __init__(self, root, split, *, stacked=False):
        self.n1, self.n2, self.stacked = N1, N2, stacked
        self.classes = tuple(f"R{c:02d}" for c in range(20))
        self.params = {"fake": True, "n1": N1, "n2": N2}
        cut = {"train": (0, 7), "val": (7, 9), "test": (9, 10)}[split]
        self.items = [(c, i) for c in range(20) for i in range(*cut)]
        self.labels = np.array([c for c, _ in self.items])

    def __len__(self):
        return len(self.items)

    def __getitem__(self, index):
        c, i = self.items[index]
        gen = np.random.default_rng([c, i])
        t = np.arange(N1 * N2) / 8000.0
        x = np.stack([np.cos(2 * np.pi * (200 + 150 * c) * t + k) for k in range(4)])
        x = (x + 0.3 * gen.standard_normal(x.shape)).astype(np.float32)
        x = torch.from_numpy(x)
        return (x if self.stacked else x.reshape(4, N1, N2)), c


@pytest.fixture
def fake_dataset(monkeypatch, tmp_path):
    module = types.ModuleType("nmrlib.tocsy.corpus")
    module.TocsyDataset = FakeTocsy
    monkeypatch.setitem(sys.modules, "nmrlib.tocsy.corpus", module)
    root = tmp_path / "data"
    root.mkdir()
    return root


def _run(root, tmp_path, **kw):
    args = dict(seeds=(0,), epochs=2, device="cpu", progress=False,
                results_dir=tmp_path / "results", checkpoint_dir=tmp_path / "ckpt")
    args.update(kw)
    return run_configuration("conv1d-deep_picker", root, **args)


def _strip(run):
    return {k: v for k, v in run.items() if k not in ("timings", "history")}


def test_twelve_configurations_with_unique_names():
    names = [c.name for c in CONFIGURATIONS]
    assert len(names) == 12 == len(set(names))
    assert sum(c.table == "I" for c in CONFIGURATIONS) == 8
    assert {c.pretrained for c in CONFIGURATIONS if c.table == "II"} == {"frozen", "trainable"}
    assert configuration("fbank-ecapa_l-pretrained_frozen").pretrained == "frozen"
    with pytest.raises(ValueError, match="unknown configuration"):
        configuration("fbank-resnet")
    with pytest.raises(ValueError, match="only for ecapa_l"):
        configuration("fbank", "xvector", "frozen")


def test_cli_lists_names(capsys):
    assert training.main(["train", "--list"]) == 0
    assert capsys.readouterr().out.split() == [c.name for c in CONFIGURATIONS]
    training.main(["train", "--list", "--params"])
    first = capsys.readouterr().out.splitlines()[0].split()
    assert first == ["fbank-xvector", "fbank", "xvector", "none"]


def test_metrics_by_hand():
    cm = confusion_matrix([0, 0, 1, 1, 2], [0, 1, 1, 1, 0], 3)
    assert cm.tolist() == [[1, 1, 0], [0, 2, 0], [1, 0, 0]]
    m = classification_metrics(cm)
    assert m["accuracy"] == pytest.approx(0.6)
    assert m["f1"] == pytest.approx([0.5, 0.8, 0.0])
    assert most_confused_pairs(cm, "abc", k=2) == [("a", "b", 1), ("a", "c", 1)]


def test_train_writes_json_and_is_seeded(fake_dataset, tmp_path):
    result = _run(fake_dataset, tmp_path, crop=(4, 64), seeds=(0, 1), max_per_class=4)
    stored = json.loads((tmp_path / "results/classification/conv1d-deep_picker.json").read_text())
    assert stored["status"] == "ok" and stored["seeds"] == [0, 1]
    assert stored["data"]["n_train"] == 80 and stored["data"]["length"] == 256
    assert {"environment", "parameters", "summary", "timings"} <= set(stored)
    run = stored["runs"][0]
    assert len(run["history"]) == 2 and 1 <= run["best_epoch"] <= 2
    assert np.asarray(run["test"]["confusion"]).sum() == 20
    assert stored["summary"]["accuracy_sd"] is not None
    again = _run(fake_dataset, tmp_path / "again", crop=(4, 64), seeds=(0,), max_per_class=4)
    assert _strip(again["runs"][0]) == _strip(result["runs"][0])


def _interrupted_then_resumed(root, path, monkeypatch, **kw):
    """Run into ``path``, interrupted (KeyboardInterrupt) in epoch 2, then resumed: its run."""
    calls = {"n": 0}
    real_predict = training.predict

    def interrupt_in_epoch_two(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return real_predict(*args, **kwargs)

    monkeypatch.setattr(training.loop, "predict", interrupt_in_epoch_two)
    with pytest.raises(KeyboardInterrupt):
        _run(root, path, **kw)
    monkeypatch.setattr(training.loop, "predict", real_predict)
    return _run(root, path, **kw)["runs"][0]


def test_resume_after_interruption_gives_the_same_result(fake_dataset, tmp_path, monkeypatch):
    reference = _run(fake_dataset, tmp_path / "ref", max_per_class=3)["runs"][0]
    resumed = _interrupted_then_resumed(fake_dataset, tmp_path / "cut", monkeypatch,
                                        max_per_class=3)
    assert _strip(resumed) == _strip(reference)
    # a finished run is not repeated, and other settings are refused
    assert _strip(_run(fake_dataset, tmp_path / "cut", max_per_class=3)["runs"][0]) == \
        _strip(reference)
    _run(fake_dataset, tmp_path / "cut", max_per_class=3, lr=1e-2)  # other settings: afresh
    assert len(list((tmp_path / "cut/ckpt/conv1d-deep_picker").glob("seed0-*.pt"))) == 2


def test_onecycle_schedule_warms_up_then_decays():
    params = [torch.nn.Parameter(torch.zeros(1))]
    optimiser = torch.optim.Adam(params, lr=1e-3)
    scheduler = training.make_scheduler(optimiser, "onecycle", 1e-3, 100)
    lrs = []
    for _ in range(100):
        lrs.append(optimiser.param_groups[0]["lr"])
        optimiser.step()
        scheduler.step()
    assert lrs[0] == pytest.approx(1e-3 / 25)
    assert int(np.argmax(lrs)) in (9, 10) and max(lrs) == pytest.approx(1e-3, rel=1e-3)
    assert lrs[-1] < 1e-5 and np.all(np.diff(lrs[11:]) < 0)
    constant = training.make_scheduler(torch.optim.Adam(params, lr=1e-3), "constant", 1e-3, 9)
    assert constant.get_last_lr() == [1e-3]
    with pytest.raises(ValueError, match="lr_schedule"):
        training.make_scheduler(optimiser, "cosine", 1e-3, 10)
    with pytest.raises(ValueError, match="lr_schedule"):
        run_configuration("conv1d-deep_picker", "nowhere", lr_schedule="step")


def test_onecycle_run_resumes_exactly(fake_dataset, tmp_path, monkeypatch):
    kw = dict(max_per_class=3, lr_schedule="onecycle")
    reference = _run(fake_dataset, tmp_path / "ref", **kw)
    assert reference["settings"]["lr_schedule"] == "onecycle"
    resumed = _interrupted_then_resumed(fake_dataset, tmp_path / "cut", monkeypatch, **kw)
    assert _strip(resumed) == _strip(reference["runs"][0])

    def losses(run):
        return [h["train_loss"] for h in run["history"]]

    assert losses(resumed) == losses(reference["runs"][0])
    constant = _run(fake_dataset, tmp_path / "const", max_per_class=3)["runs"][0]
    assert losses(constant) != losses(reference["runs"][0])     # the schedule is applied


def test_learning_curve_fixes_the_step_budget(fake_dataset, tmp_path):
    kw = dict(device="cpu", progress=False, results_dir=tmp_path / "r",
              checkpoint_dir=tmp_path / "c")
    rows = training.learning_curve("conv1d-deep_picker", fake_dataset, [2, 5], steps=9,
                                   batch_size=10, **kw)
    assert [r["n_per_class"] for r in rows] == [2, 5]
    assert [r["epochs"] for r in rows] == [3, 1] and [r["steps"] for r in rows] == [12, 10]
    assert all(0 <= r["accuracy_mean"] <= 1 and len(r["runs"]) == 1 for r in rows)
    stored = tmp_path / "r/learning_curve/n005/classification/conv1d-deep_picker.json"
    assert json.loads(stored.read_text())["data"]["n_train"] == 100
    with pytest.raises(ValueError, match="fewer than 9 training spectra per class"):
        training.learning_curve("conv1d-deep_picker", fake_dataset, [9], steps=1,
                                batch_size=10, **kw)
    with pytest.raises(ValueError, match="sizes, steps and batch_size"):
        training.learning_curve("conv1d-deep_picker", fake_dataset, [0], steps=1,
                                batch_size=10, **kw)


def test_pretrained_unavailable_is_recorded_not_substituted(fake_dataset, tmp_path):
    result = run_configuration("conv1d-ecapa_l-pretrained_frozen", fake_dataset,
                               pretrained_source=str(tmp_path / "no-such-folder"),
                               results_dir=tmp_path / "results", progress=False)
    assert result["status"].startswith("not run: ")
    assert "does not exist" in result["status"] and "runs" not in result


def test_bad_input(fake_dataset, tmp_path):
    with pytest.raises(ValueError, match="crop"):
        _run(fake_dataset, tmp_path, crop=(64, 64))
    with pytest.raises(FileNotFoundError):
        _run(tmp_path / "missing", tmp_path)


def test_streamed_and_preloaded_batches_agree(fake_dataset):
    from nmrlib.tocsy.training import PreparedSplit

    base = FakeTocsy(fake_dataset, "val")
    cached = PreparedSplit(base, crop=(4, 32), preload=True)
    streamed = PreparedSplit(base, crop=(4, 32), preload=False)
    order = np.random.default_rng(0).permutation(len(base))
    for (xa, ya), (xb, yb) in zip(cached.batches(7, order), streamed.batches(7, order),
                                  strict=True):
        assert torch.equal(xa, xb) and torch.equal(ya, yb)
    assert xa.shape[1:] == (4, 128)
    assert np.array_equal(streamed.labels_array(), base.labels)


def test_a_nan_loss_stops_the_run_and_writes_no_result(fake_dataset, tmp_path, monkeypatch):
    """Issue 20 #3: data that make the loss NaN never end as a result marked "ok"."""
    clean = FakeTocsy.__getitem__

    def poisoned(self, index):
        x, c = clean(self, index)
        return torch.full_like(x, float("nan")), c

    monkeypatch.setattr(FakeTocsy, "__getitem__", poisoned)
    with pytest.raises(ValueError, match="seed 0 epoch 1/1: the training loss became nan"):
        run_configuration("conv1d-deep_picker", fake_dataset, epochs=1, batch_size=20,
                          results_dir=tmp_path / "r", checkpoint_dir=tmp_path / "c",
                          progress=False)
    assert not (tmp_path / "r" / "classification" / "conv1d-deep_picker.json").exists()


@pytest.mark.parametrize("settings, match", [
    (dict(epochs=0), "epochs must be an integer >= 1"),
    (dict(epochs=-3), "epochs must be an integer >= 1"),
    (dict(batch_size=0), "batch_size must be an integer >= 1"),
    (dict(lr=float("nan")), "learning rate"),
    (dict(seeds=()), "at least one seed"),
])
def test_settings_without_an_honest_run_are_refused(fake_dataset, tmp_path, settings, match):
    """Issue 20 #4: no epoch, no batch or no seed is refused before anything is written."""
    kwargs = dict(epochs=1, batch_size=20, results_dir=tmp_path / "r",
                  checkpoint_dir=tmp_path / "c", progress=False) | settings
    with pytest.raises(ValueError, match=match):
        run_configuration("conv1d-deep_picker", fake_dataset, **kwargs)
    assert not (tmp_path / "r" / "classification").exists()


def test_the_cli_exits_non_zero_when_a_configuration_cannot_run(tmp_path, capsys):
    """Issue 20 (honest status): "not run" is exit 2 unless --keep-going asks for 0."""
    argv = ["train", "conv1d-ecapa_l-pretrained_frozen", "--data", str(tmp_path),
            "--results", str(tmp_path / "r"), "--pretrained-source", str(tmp_path / "none")]
    assert training.main(argv + ["--keep-going"]) == 0
    assert "not run" in capsys.readouterr().out
    with pytest.raises(ValueError, match="not run: pretrained folder"):
        training.main(argv)
    saved = json.loads((tmp_path / "r" / "classification" /
                        "conv1d-ecapa_l-pretrained_frozen.json").read_text())
    assert saved["status"].startswith("not run: ")
