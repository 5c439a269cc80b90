"""Convert scikit-learn's copy of the UCI digits data into ember's bundled array file.

Run once from the repository root (needs scikit-learn, which ember itself never imports):

    python tools/make_digits.py

It reads ``sklearn/datasets/data/digits.csv.gz`` (1,797 rows of 64 pixel counts 0..16 and a
label 0..9), checks it against ``sklearn.datasets.load_digits`` and writes
``src/ember/datasets/digits.npz`` with ``images`` (uint8, 1797×8×8) and ``target`` (uint8, 1797),
compressed. The data's source and licence are credited in ``src/ember/datasets/DIGITS_LICENSE.md``.
"""
from __future__ import annotations

import gzip
import hashlib
import os
from pathlib import Path

import numpy as np
import sklearn.datasets

OUT = Path(__file__).resolve().parents[1] / "src" / "ember" / "datasets" / "digits.npz"


def main() -> None:
    csv = Path(os.path.dirname(sklearn.datasets.__file__)) / "data" / "digits.csv.gz"
    with gzip.open(csv, "rt") as fh:
        rows = np.loadtxt(fh, delimiter=",")
    images = rows[:, :-1].astype(np.uint8).reshape(-1, 8, 8)
    target = rows[:, -1].astype(np.uint8)
    ref = sklearn.datasets.load_digits()
    assert images.shape == (1797, 8, 8) and np.array_equal(images, ref.images.astype(np.uint8))
    assert np.array_equal(target, ref.target)
    np.savez_compressed(OUT, images=images, target=target)
    digest = hashlib.sha256(images.tobytes() + target.tobytes()).hexdigest()
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes); sha256 of images+target bytes: {digest}")


if __name__ == "__main__":
    main()
