"""Training throughput of the eq. (2) classifiers and of the data pipeline (spectra/s).

Model: one full training step (forward of the 4 channels, cross-entropy, backward, Adam)
on a batch of 20 stacked spectra of ``--length`` samples per channel, per encoder x
embedding model; random inputs (the cost does not depend on the values). CUDA with
float16 autocast when ``--device cuda``.

Data pipeline: what the training loop does to get a batch from disk: TocsyDataset
reads (memory-mapped chunks), crop, stack, collate — without the preload cache that
``nmrlib.tocsy.training`` uses for small splits, i.e. the worst case of the paper profile.

    OMP_NUM_THREADS=2 python bench/bench_classifier.py --length 1024 --data data/quick/tocsy
"""

from __future__ import annotations

import argparse
import json
import time

import torch

from nmrlib.core.repro import environment_report, set_threads
from nmrlib.tocsy.models import EMBEDDINGS, ENCODERS, build_classifier


def model_throughput(encoder: str, embedding: str, length: int, device: str,
                     batch: int = 20, steps: int = 3, warmup: int = 1) -> float:
    """Spectra per second of full training steps."""
    torch.manual_seed(0)
    model = build_classifier(encoder, embedding).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    amp = device.startswith("cuda")
    scaler = torch.amp.GradScaler("cuda", enabled=amp)
    x = torch.randn(batch, 4, length, device=device)
    y = torch.randint(0, 20, (batch,), device=device)
    for step in range(warmup + steps):
        if step == warmup:
            if amp:
                torch.cuda.synchronize()
            start = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        with torch.autocast(device_type=torch.device(device).type, dtype=torch.float16,
                            enabled=amp):
            loss = torch.nn.functional.cross_entropy(model(x), y)
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
    if amp:
        torch.cuda.synchronize()
    return batch * steps / (time.perf_counter() - start)


def pipeline_throughput(root: str, crop, batch: int = 20, n_batches: int = 20,
                        workers: int = 0) -> float:
    """Spectra per second read from disk, cropped, stacked and collated (no cache)."""
    from nmrlib.tocsy.corpus import TocsyDataset
    from nmrlib.tocsy.training import PreparedSplit

    split = PreparedSplit(TocsyDataset(root, "train"), crop=crop, preload=False)
    order = torch.randperm(len(split), generator=torch.Generator().manual_seed(0)).numpy()
    order = order[: batch * n_batches]
    start = time.perf_counter()
    seen = 0
    for x, _ in split.batches(batch, order, workers=workers):
        seen += len(x)
    return seen / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--length", type=int, default=1024,
                        help="samples per channel (1024 = quick crop 16 x 64; 65536 = paper)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--encoders", nargs="+", default=list(ENCODERS))
    parser.add_argument("--embeddings", nargs="+", default=list(EMBEDDINGS))
    parser.add_argument("--data", help="TocsyDataset root for the pipeline figure")
    parser.add_argument("--crop", type=int, nargs=2, help="crop for the pipeline figure")
    parser.add_argument("--workers", type=int, default=0, help="DataLoader processes")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    args = parser.parse_args()
    set_threads(args.threads)
    torch.set_num_threads(args.threads)
    print(f"device {args.device}, {torch.get_num_threads()} threads, batch 20, "
          f"{args.length} samples/channel")
    figures = {}
    for encoder in args.encoders:
        for embedding in args.embeddings:
            rate = model_throughput(encoder, embedding, args.length, args.device,
                                    steps=args.steps)
            figures[f"{encoder}-{embedding}"] = rate
            print(f"train  {encoder:>6} + {embedding:<12} {rate:9.2f} spectra/s")
    if args.data:
        rate = pipeline_throughput(args.data, args.crop, workers=args.workers)
        figures["data_pipeline"] = rate
        slowest, fastest = min(figures.values()), max(v for k, v in figures.items()
                                                      if k != "data_pipeline")
        print(f"data pipeline ({args.workers} workers) {rate:9.1f} spectra/s "
              f"= {rate / fastest:.1f}x the fastest model, {rate / slowest:.0f}x the slowest")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"args": vars(args), "spectra_per_s": figures,
                       "environment": environment_report()}, fh, indent=2)


if __name__ == "__main__":
    main()
