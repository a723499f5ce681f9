"""Predictions and their scores: confusion matrix ``[true, predicted]``, accuracy and
per-class precision/recall/F1, the most confused pairs, the summary over seeds.
"""

from __future__ import annotations

import numpy as np

from nmrlib.tocsy.training.splits import PreparedSplit


def confusion_matrix(y_true, y_pred, n_classes: int) -> np.ndarray:
    """Counts ``[true, predicted]``."""
    cm = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(cm, (np.asarray(y_true, int), np.asarray(y_pred, int)), 1)
    return cm


def classification_metrics(cm: np.ndarray) -> dict:
    """Accuracy, per-class precision/recall/F1 (0 where undefined) and macro F1 from ``cm``."""
    cm = np.asarray(cm, dtype=float)
    tp = np.diag(cm)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(cm.sum(0) > 0, tp / cm.sum(0), 0.0)
        recall = np.where(cm.sum(1) > 0, tp / cm.sum(1), 0.0)
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    total = cm.sum()
    return {
        "accuracy": float(tp.sum() / total) if total else float("nan"),
        "precision": precision.tolist(), "recall": recall.tolist(), "f1": f1.tolist(),
        "macro_f1": float(f1.mean()),
        "support": cm.sum(1).astype(int).tolist(),
    }


def most_confused_pairs(cm: np.ndarray, classes, k: int = 5) -> list[tuple[str, str, int]]:
    """The ``k`` largest symmetric off-diagonal counts as (class a, class b, errors a<->b)."""
    cm = np.asarray(cm)
    sym = cm + cm.T
    pairs = [(int(sym[i, j]), i, j) for i in range(len(cm)) for j in range(i + 1, len(cm))
             if sym[i, j] > 0]
    pairs.sort(key=lambda p: (-p[0], p[1], p[2]))
    return [(classes[i], classes[j], n) for n, i, j in pairs[:k]]


def predict(model, split: PreparedSplit, batch_size: int, device: str, amp: bool,
            workers: int = 0) -> np.ndarray:
    """Predicted labels for every item of ``split`` (model in eval mode, no gradients)."""
    import torch

    model.eval()
    preds = []
    with torch.no_grad():
        for x, _ in split.batches(batch_size, workers=workers,
                                  pin_memory=device.startswith("cuda")):
            with torch.autocast(device_type=torch.device(device).type, dtype=torch.float16,
                                enabled=amp):
                logits = model(x.to(device, non_blocking=True))
            preds.append(logits.argmax(1).cpu().numpy())
    return np.concatenate(preds) if preds else np.zeros(0, dtype=np.int64)


def summarise(runs: list[dict], n_classes: int) -> dict:
    """Mean / sd (ddof 1) / min / max of test accuracy over seeds, mean per-class F1, summed cm."""
    acc = np.array([r["test"]["accuracy"] for r in runs])
    f1 = np.array([r["test"]["f1"] for r in runs])
    cm = np.sum([np.asarray(r["test"]["confusion"]) for r in runs], axis=0)
    return {
        "n_seeds": len(runs), "accuracy_mean": float(acc.mean()),
        "accuracy_sd": float(acc.std(ddof=1)) if len(acc) > 1 else None,
        "accuracy_min": float(acc.min()), "accuracy_max": float(acc.max()),
        "f1_mean": f1.mean(0).tolist(), "macro_f1_mean": float(f1.mean()),
        "confusion_sum": cm.tolist(),
        "train_spectra_per_s_mean": float(np.mean(
            [h["train_spectra_per_s"] for r in runs for h in r["history"]])),
    }
