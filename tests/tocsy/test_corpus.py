"""The TOCSY data set: determinism, chunked storage, resuming, refusing to mix, the Dataset."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from nmrlib.core.repro import rng
from nmrlib.tocsy import corpus as ds
from nmrlib.tocsy.residues import RESIDUES, spin_system


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    return ds.simulate_dataset(tmp_path_factory.mktemp("tocsy") / "smoke", profile="smoke",
                               workers=1, backend="cpu", progress=False)


def test_profiles_and_parameters():
    assert set(ds.PROFILES) == {"smoke", "quick", "paper"}
    paper = ds.params_for("paper")
    assert (paper["n_per_class"], paper["n1"], paper["n2"]) == (1000, 256, 256)
    size = len(RESIDUES) * paper["n_per_class"] * 2 * paper["n1"] * paper["n2"] * 8
    assert size < 25e9  # complex64, fits a 64 GB disk with room to spare
    assert ds.params_for("smoke", seed=3)["seed"] == 3
    with pytest.raises(ValueError, match="unknown profile"):
        ds.params_for("huge")
    with pytest.raises(ValueError, match="unknown dataset parameter"):
        ds.params_for("smoke", n3=4)


def test_dataset_items_splits_and_channels(smoke):
    params = ds.load_manifest(smoke)["params"]
    sets = {s: ds.TocsyDataset(smoke, s) for s in ds.SPLITS}
    assert [len(sets[s]) for s in ds.SPLITS] == [140, 40, 20]
    for c in range(len(RESIDUES)):
        idx = ds.split_indices(params, c)
        assert [len(idx[s]) for s in ds.SPLITS] == [7, 2, 1]
        assert sorted(np.concatenate(list(idx.values())).tolist()) == list(range(10))
    train = sets["train"]
    assert train.classes == RESIDUES and (train.n1, train.n2) == (32, 32)
    assert train.params == params
    x, label = train[15]
    assert x.dtype == torch.float32 and x.shape == (4, 32, 32) and isinstance(label, int)
    raw = train.raw(15)
    np.testing.assert_array_equal(x.numpy(), np.stack([raw[0].real, raw[0].imag,
                                                       raw[1].real, raw[1].imag]))
    xs, label_s = ds.TocsyDataset(smoke, "train", stacked=True)[15]
    assert xs.shape == (4, 32 * 32) and label_s == label
    torch.testing.assert_close(xs, x.reshape(4, -1))
    # first point of the cos channel counts the protons of the residue (noise-free, T2 damping 1)
    code = RESIDUES[label]
    assert x[0, 0, 0].item() == pytest.approx(spin_system(code).n_protons, rel=1e-5)
    with pytest.raises(ValueError, match="split"):
        ds.TocsyDataset(smoke, "dev")


def test_sample_is_a_pure_function_and_regenerates_bit_identically(smoke):
    params = ds.load_manifest(smoke)["params"]
    c = RESIDUES.index("LYS")
    shifts, data = ds.simulate_chunk(params, c, 1)
    assert np.array_equal(data, np.load(ds.chunk_path(smoke, c, 1)))
    assert np.array_equal(shifts, np.load(ds.chunk_path(smoke, c, 1, "_shifts")))
    i = params["chunk_size"] + 2  # sample 7 of LYS
    assert np.array_equal(shifts[2], spin_system("LYS").sample(rng(params["seed"], c, i)))


def test_resume_after_interruption_equals_a_clean_run(smoke, tmp_path):
    root = tmp_path / "resumed"
    ds.simulate_dataset(root, profile="smoke", workers=1, backend="cpu", max_chunks=13,
                        progress=False)
    assert json.loads((root / "manifest.json").read_text())["complete"] is False
    with pytest.raises(ValueError, match="incomplete"):
        ds.TocsyDataset(root, "train")
    # a crash mid-write leaves only a temporary file behind
    (root / "chunks" / "05_GLN_0001.npy.999.part").write_bytes(b"garbage")
    with pytest.raises(ValueError, match="mix backends"):  # bits differ between backends
        ds.simulate_dataset(root, profile="smoke", backend="cuda", progress=False)
    ds.simulate_dataset(root, profile="smoke", workers=1, progress=False)
    assert json.loads((root / "manifest.json").read_text())["complete"] is True
    # a complete data set is accepted as it is, whichever backend asks
    assert ds.simulate_dataset(root, profile="smoke", backend="cuda", progress=False) == root
    clean = sorted(p.name for p in (smoke / "chunks").glob("*.npy"))
    assert sorted(p.name for p in (root / "chunks").glob("*.npy")) == clean
    for name in clean:
        assert np.array_equal(np.load(root / "chunks" / name), np.load(smoke / "chunks" / name))


def test_refuses_to_mix_parameters(smoke, tmp_path):
    with pytest.raises(ValueError, match="different parameters"):
        ds.simulate_dataset(smoke, profile="smoke", seed=1, workers=1, progress=False)
    stray = tmp_path / "stray"
    (stray / "chunks").mkdir(parents=True)
    np.save(stray / "chunks" / "00_ALA_0000.npy", np.zeros(1))
    with pytest.raises(ValueError, match="no manifest"):
        ds.simulate_dataset(stray, profile="smoke", workers=1, progress=False)
    with pytest.raises(FileNotFoundError):
        ds.TocsyDataset(tmp_path / "nothing", "train")


def test_noise_is_seeded_per_sample(smoke):
    params = dict(ds.load_manifest(smoke)["params"], snr=20.0)
    _, noisy = ds.simulate_chunk(params, 0, 0)
    _, again = ds.simulate_chunk(params, 0, 0)
    _, clean = ds.simulate_chunk(dict(params, snr=None), 0, 0)
    assert np.array_equal(noisy, again) and not np.array_equal(noisy, clean)
    rms = np.sqrt(np.mean(np.abs(noisy[0] - clean[0]) ** 2))
    assert rms == pytest.approx(np.abs(clean[0]).max() / 20.0, rel=0.1)


def test_free_context_data_set_chunk_and_pickling(smoke):
    import pickle

    params = dict(ds.load_manifest(smoke)["params"], context="free")
    shifts, data = ds.simulate_chunk(params, RESIDUES.index("VAL"), 0)
    assert shifts.shape == (5, len(spin_system("VAL", "free").names)) == (5, 4)
    assert np.allclose(data[:, 0, 0, 0].real, 8.0)  # HA, HB, 2 x CH3 (no HN in D2O)
    train = ds.TocsyDataset(smoke, "train")
    train[0]
    assert pickle.loads(pickle.dumps(train))._chunks == {}
