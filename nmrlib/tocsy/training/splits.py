"""The data set's train/validation/test splits, prepared as tensors (optionally cropped to
the first ``(n1, n2)`` points and capped per class).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from nmrlib.core.distributed import ALONE, World, share


class PreparedSplit:
    """A split of a :class:`TocsyDataset` cropped, stacked and optionally held in memory.

    Items are ``(x, label)`` with x float32 (4, n1 * n2), the paper's stacked channels.
    """

    def __init__(self, dataset, crop: tuple[int, int] | None = None,
                 max_per_class: int | None = None, preload: bool | None = None):
        import torch

        self.dataset = dataset
        n1, n2 = int(dataset.n1), int(dataset.n2)
        self.crop = (n1, n2) if crop is None else (int(crop[0]), int(crop[1]))
        if not (2 <= self.crop[0] <= n1 and 2 <= self.crop[1] <= n2):
            raise ValueError(f"crop {self.crop} must lie within the dataset's ({n1}, {n2})")
        self.indices = self._select(max_per_class)
        self.labels = None
        self._cache = None
        size = len(self.indices) * 4 * self.crop[0] * self.crop[1] * 4
        if preload or (preload is None and size <= 2**31):
            xs, ys = zip(*(self._load(i) for i in self.indices), strict=True) if self.indices \
                else ((), ())
            self._cache = torch.stack(xs) if xs else torch.empty(0, 4, self.length)
            self.labels = np.asarray(ys, dtype=np.int64)

    @property
    def length(self) -> int:
        return self.crop[0] * self.crop[1]

    def _select(self, max_per_class: int | None) -> list[int]:
        if max_per_class is None:
            return list(range(len(self.dataset)))
        labels = getattr(self.dataset, "labels", None)
        if labels is None:
            labels = [int(self.dataset[i][1]) for i in range(len(self.dataset))]
        seen: dict[int, int] = {}
        keep = []
        for index, label in enumerate(np.asarray(labels).tolist()):
            if seen.get(label, 0) < max_per_class:
                seen[label] = seen.get(label, 0) + 1
                keep.append(index)
        return keep

    def _load(self, index: int):
        x, label = self.dataset[index]
        x = x[..., : self.crop[0], : self.crop[1]]
        return x.reshape(x.shape[0], -1).contiguous(), int(label)

    def __len__(self) -> int:
        return len(self.indices)

    def labels_array(self) -> np.ndarray:
        """Labels of all items, in order (read once from the dataset when not preloaded)."""
        if self.labels is None:
            self.labels = np.asarray([int(self.dataset[i][1]) for i in self.indices], np.int64)
        return self.labels

    def __getitem__(self, item: int):
        if self._cache is not None:
            return self._cache[item], int(self.labels[item])
        return self._load(self.indices[item])

    def batches(self, batch_size: int, order=None, workers: int = 0, pin_memory: bool = False,
                world: World = ALONE):
        """Yield (x, y) batches in ``order`` (default: dataset order).

        Preloaded splits are sliced in memory; others are read in this process
        (``workers=0``) or by a torch ``DataLoader`` with ``workers`` processes, in exactly
        the same order. In a parallel ``world`` each batch is this rank's share of the
        global batch (:func:`nmrlib.core.distributed.share`).
        """
        import torch

        order = np.arange(len(self)) if order is None else np.asarray(order)
        chunks = [share(order[start:start + batch_size], world)
                  for start in range(0, len(order), batch_size)]
        if self._cache is not None:
            for chunk in chunks:
                yield self._cache[torch.as_tensor(chunk)], torch.as_tensor(self.labels[chunk])
            return
        if workers == 0:  # numpy collation: a single-threaded copy, immune to OMP contention
            for chunk in chunks:
                items = [self[int(i)] for i in chunk]
                x = torch.from_numpy(np.stack([item[0].numpy() for item in items]))
                yield (x.pin_memory() if pin_memory else x), torch.as_tensor(
                    [item[1] for item in items])
            return
        yield from torch.utils.data.DataLoader(
            self, batch_sampler=[chunk.tolist() for chunk in chunks], num_workers=workers,
            pin_memory=pin_memory, persistent_workers=False)


def load_splits(data_root: str | Path, crop=None, max_per_class: int | None = None,
                max_val_per_class: int | None = None) -> tuple[dict, dict]:
    """The train/val/test :class:`PreparedSplit` of the dataset at ``data_root`` and its params.

    ``max_per_class`` caps the training split and ``max_val_per_class`` the validation
    split (first samples per class); the test split is always complete.
    """
    from nmrlib.tocsy.corpus import TocsyDataset

    root = Path(data_root)
    if not root.exists():
        raise FileNotFoundError(f"dataset not found at {root}: run `python -m nmrlib simulate`")
    splits = {}
    for split in ("train", "val", "test"):
        cap = {"train": max_per_class, "val": max_val_per_class, "test": None}[split]
        splits[split] = PreparedSplit(TocsyDataset(root, split, stacked=False), crop, cap)
    params = dict(getattr(splits["train"].dataset, "params", {}) or {})
    return splits, params
