"""What several test files share: a matrix of one block written beside a test (``tiny_matrix``
trains in seconds), its specs, the environment of child processes, image and network helpers, and
fixtures for the committed matrix and for a command that must not train. Test files import the helpers explicitly
(``from conftest import tiny_matrix``); pytest finds the fixtures by name."""
import os
import tempfile
from pathlib import Path

import numpy as np
import pytest
import yaml

import bench.training.train
from bench.experiment.matrix import DEFAULT_MATRIX, expand, load_matrix

ROOT = Path(__file__).resolve().parents[1]
# finite stand-ins cache their items on disk (data/cache.py): tests keep them out of ~/.cache
os.environ.setdefault("RWP_STANDIN_CACHE", tempfile.mkdtemp(prefix="rwp-standins-"))
# child processes: one thread (the numbers of --threads 1), output unbuffered (read while they run)
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}
TINY_RECIPE = {"iterations": 6, "batch_size": 2, "patch_size": 32, "lr": 0.001, "scheduler": {"type": "none"},
               "epoch_iterations": 2}


def one_block_matrix(folder: Path, rows, model="DnCNN", dataset="SIDD", recipe=None, **smoke) -> Path:
    """``folder/matrix.yaml``: the committed matrix with one table (1) of one block of ``rows``; the
    smoke profile's recipe updated by ``recipe``, its other fields replaced by ``smoke``."""
    m = yaml.safe_load(Path(DEFAULT_MATRIX).read_text())
    m["profiles"]["smoke"]["recipe"].update(recipe or {})
    m["profiles"]["smoke"].update(smoke)
    m["tables"] = {1: {"title": "tiny", "blocks": [{"models": [model], "datasets": [dataset], "rows": list(rows)}]}}
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "matrix.yaml"
    path.write_text(yaml.safe_dump(m, sort_keys=False))
    return path


def tiny_matrix(folder: Path, rows=("Original",), model="DnCNN", dataset="SIDD", **recipe) -> Path:
    """A one-block matrix whose smoke runs take seconds: TINY_RECIPE (fields overridden by
    ``recipe``), one validation image, photos at most 64 pixels on a side."""
    return one_block_matrix(folder, rows, model, dataset, recipe={**TINY_RECIPE, **recipe},
                            evaluation={"val_images": 1}, dataset_options={"max_side": 64})


def specs_of(path, profile="smoke", seeds=(0,)):
    """The spec of every cell of the matrix file at ``path``, in printed order."""
    return [e.spec for e in expand(load_matrix(path), profile=profile, seeds=seeds)]


def one_line(text: str) -> str:
    """The only line of ``text`` (a one-line error message); fails if there are more."""
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    return lines[0]


def as_uint8_hwc(t):
    """A CHW tensor in [0, 1] as the HWC uint8 image it was made from."""
    return np.round(t.permute(1, 2, 0).numpy() * 255).astype(np.uint8)


def dihedral(a):
    """The 8 flips/rotations of an HWC array."""
    for k in range(4):
        r = np.rot90(a, k)
        yield r
        yield r[:, ::-1]


def is_window_of(patch_hwc, image_hwc) -> bool:
    """Whether the square patch is a window of the image or of one of its flips/rotations."""
    p = patch_hwc.shape[0]
    for view in dihedral(image_hwc):
        windows = np.lib.stride_tricks.sliding_window_view(view, (p, p), axis=(0, 1))
        if np.any(np.all(windows == np.moveaxis(patch_hwc, -1, 0)[None, None], axis=(2, 3, 4))):
            return True
    return False


def n_params(net) -> int:
    return sum(p.numel() for p in net.parameters())


@pytest.fixture(scope="module")
def matrix():
    """The committed bench/experiment/matrix.yaml, loaded and validated."""
    return load_matrix()


@pytest.fixture
def no_training(monkeypatch):
    """Fail the test if anything trains (checks that must stop a command before training)."""
    monkeypatch.setattr(bench.training.train, "run", lambda *a, **k: pytest.fail("trained despite bad input"))
