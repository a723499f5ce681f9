"""Paper 1 (Yip et al.): amino-acid classification from simulated 2D 1H-1H TOCSY.

The pipeline, one module per step:

1. :mod:`~nmrlib.tocsy.residues` -- the 20 residues' spin systems (BMRB shifts, J) per
   context (``protein-h2o``, the default, with the slowly exchanging side-chain NH of
   :mod:`~nmrlib.tocsy.exchangeable`; ``protein``; ``free``).
2. :mod:`~nmrlib.tocsy.spin` -- the TOCSY physics: spin-network algebra, the mixing
   models (ideal lock, Spinach-style dense propagation) and the public simulator
   (``tocsy_fid``, ``states_spectrum``).
3. :mod:`~nmrlib.tocsy.corpus` -- the resumable, checksummed data set of 20 x N spectra
   (``python -m nmrlib simulate``); :mod:`~nmrlib.tocsy.store` reads it.
4. :mod:`~nmrlib.tocsy.audio` -- each States channel read as 8 kHz audio.
5. :mod:`~nmrlib.tocsy.models` and :mod:`~nmrlib.tocsy.pretrained` -- the speaker-embedding
   classifiers (speechbrain x-vector, ECAPA-TDNN S/L, DEEP Picker) behind a Mel filterbank or
   a Conv1d encoder, and the verified VoxCeleb ECAPA weights of Table II.
6. :mod:`~nmrlib.tocsy.training` -- configurations, splits, the training loop
   (``python -m nmrlib train``).
7. :mod:`~nmrlib.tocsy.tables` -- Tables I-III from the results JSON;
   :mod:`~nmrlib.tocsy.contexts` -- Table III per residue context.
8. :mod:`~nmrlib.tocsy.real` and :mod:`~nmrlib.tocsy.real_classify` -- the BMRB Thr/Val
   TOCSY against the simulator, and a classifier applied to them.

Importing this package is light; each name below is imported on first use.
"""

from importlib import import_module

_PUBLIC = {
    "RESIDUES": "residues", "ACQUISITION": "residues", "CONTEXTS": "residues",
    "DEFAULT_CONTEXT": "residues",
    "spin_system": "residues",
    "tocsy_fid": "spin", "states_spectrum": "spin", "add_noise": "spin",
    "network_from_spins": "spin",
    "simulate_dataset": "corpus", "sample_spectrum": "corpus", "TocsyDataset": "corpus",
    "load_manifest": "corpus",
    "CONFIGURATIONS": "training", "configuration": "training",
    "run_configuration": "training", "learning_curve": "training",
}
__all__ = sorted(_PUBLIC)


def __getattr__(name: str):
    if name in _PUBLIC:
        return getattr(import_module(f"nmrlib.tocsy.{_PUBLIC[name]}"), name)
    raise AttributeError(f"module 'nmrlib.tocsy' has no attribute {name!r}")
