"""Training and evaluation of the eq. (2) classifiers (Yip et al., section IV).

Protocol (the paper's): Adam, learning rate 1e-3, batch 20, 10 epochs, cross-entropy,
the dataset's per-class 70/20/10 train/validation/test split; the epoch with the best
validation accuracy is kept (model selection) and evaluated once on the test split
(accuracy, per-class precision/recall/F1, confusion matrix ``[true, predicted]``).

Reproducibility: a run is a pure function of (configuration, seed, hyper-parameters,
data). The initial weights come from ``seed``; the order of epoch ``e`` from
``rng(seed, e)``. After every epoch the full state (model, optimiser, AMP scaler,
history, best weights) is written atomically to
``<checkpoint_dir>/<name>/seed<k>-<hash>.pt``, where the hash covers the configuration,
settings, data parameters and the code (:func:`code_version`); an interrupted run
resumes from the last finished epoch and gives the same numbers as an uninterrupted one,
a finished one is read back, and other settings or code train afresh under another name
(never mixed).

Devices: CUDA with float16 autocast + GradScaler when available (the Fbank front end
runs in float32), CPU otherwise. One JSON per configuration,
``<results_dir>/classification/<name>.json``, holds every seed's run, the summary over
seeds, parameter counts, timings and the environment report.

Learning-rate schedule: ``lr_schedule="constant"`` is the paper's (Adam at ``lr``
throughout); ``"onecycle"`` (our choice for the short CPU runs of the quick profile) is
torch's ``OneCycleLR`` over all optimiser steps: a linear warm-up over the first 10 % of
the steps from ``lr / 25`` to ``lr``, then a cosine decay to ``lr / 25e4`` (Smith &
Topin, arXiv 1708.07120). It is stepped per batch and checkpointed with the optimiser.

Reduced profiles: ``crop=(n1, n2)`` keeps the first n1 t1 increments and n2 t2 points
of every spectrum, which is exactly the experiment acquired with fewer points at the
same sweep width (coarser resolution); ``max_per_class`` / ``max_val_per_class`` cap
the training / validation samples per class (the first ones in the dataset's own
order); the test split is never reduced.

Layout: :mod:`.configs` (the configurations and run settings), :mod:`.splits` (prepared
splits), :mod:`.scores` (predictions and metrics), :mod:`.loop` (one seed, checkpointed)
and :mod:`.run` (all seeds, the learning curve, the ``train`` command).
"""

from nmrlib.tocsy.training.configs import (
    CONFIGURATIONS,
    LR_SCHEDULES,
    PRETRAINED_MODES,
    TABLE_I_EMBEDDINGS,
    TABLE_I_ENCODERS,
    Configuration,
    check_run_settings,
    configuration,
)
from nmrlib.tocsy.training.loop import (
    CODE_FILES,
    code_version,
    make_scheduler,
    train_one_seed,
)
from nmrlib.tocsy.training.run import learning_curve, main, result_path, run_configuration
from nmrlib.tocsy.training.scores import (
    classification_metrics,
    confusion_matrix,
    most_confused_pairs,
    predict,
    summarise,
)
from nmrlib.tocsy.training.splits import PreparedSplit, load_splits

__all__ = [
    "CODE_FILES",
    "CONFIGURATIONS",
    "Configuration",
    "LR_SCHEDULES",
    "PRETRAINED_MODES",
    "PreparedSplit",
    "TABLE_I_EMBEDDINGS",
    "TABLE_I_ENCODERS",
    "check_run_settings",
    "classification_metrics",
    "code_version",
    "configuration",
    "confusion_matrix",
    "learning_curve",
    "load_splits",
    "main",
    "make_scheduler",
    "most_confused_pairs",
    "predict",
    "result_path",
    "run_configuration",
    "summarise",
    "train_one_seed",
]
