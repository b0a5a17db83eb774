"""Shared helpers for the emzoo benchmark harness: paths, CSV I/O, JSON I/O.

Everything here is plain numpy/stdlib so that it can be imported both by the
driver (run.py), by the peer worker subprocess (peers.py) and by the
independent log-likelihood checker (crosscheck.py).
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import numpy as np

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
DATA_DIR = BENCH_DIR / "data"          # git-ignored (see bench/.gitignore)
DEFAULT_EMZOO = REPO_DIR / ".build" / "release" / "emzoo"

# Environment variables that make OpenBLAS pick a slower kernel / blocking on
# this machine. Python peers (and emzoo) are run in subprocesses WITHOUT them.
SLOW_BLAS_ENV_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def clean_env() -> tuple[dict, dict]:
    """Return (environment without SLOW_BLAS_ENV_VARS, the removed variables)."""
    env = dict(os.environ)
    removed = {k: env.pop(k) for k in SLOW_BLAS_ENV_VARS if k in env}
    return env, removed


# ----------------------------------------------------------------------------
# CSV
# ----------------------------------------------------------------------------

def write_csv(path: Path, names: list[str], columns: list[np.ndarray]) -> None:
    """Write columns as a header + comma-separated CSV.

    Float columns are written with repr() (shortest string that round-trips,
    so the CSV holds exactly the float64 values the peers use); NaN is written
    as an empty field (= missing). Integer columns are written as integers.
    """
    n = len(columns[0])
    columns = [np.asarray(c) for c in columns]

    def fmt(c: np.ndarray) -> list[str]:
        if c.dtype.kind in "iub":
            return [str(v) for v in c.astype(np.int64).tolist()]
        return ["" if v != v else repr(v) for v in c.astype(np.float64).tolist()]

    tmp = path.with_suffix(path.suffix + ".tmp")
    with open(tmp, "w") as f:
        f.write(",".join(names) + "\n")
        chunk = 100_000
        for start in range(0, n, chunk):
            cols = [fmt(c[start:start + chunk]) for c in columns]
            f.write("\n".join(",".join(r) for r in zip(*cols)))
            f.write("\n")
    os.replace(tmp, path)


def read_csv(path: Path | str) -> tuple[list[str], np.ndarray]:
    """Read a header + comma-separated numeric CSV into a float64 array.

    Empty fields, NA, NaN (any case) are read as NaN. Uses numpy's C parser
    after rewriting empty/NA fields to 'nan' with str.replace (fast).
    """
    with open(path) as f:
        text = f.read()
    header, _, body = text.partition("\n")
    names = [h.strip().strip('"') for h in header.strip().split(",")]
    body = "\n" + body.replace("\r", "").rstrip("\n") + "\n"
    for tok in ("", "NA"):
        body = body.replace("\n" + tok + ",", "\nnan,").replace("," + tok + "\n", ",nan\n")
        for _ in range(2):  # twice: replacements of adjacent fields overlap
            body = body.replace("," + tok + ",", ",nan,").replace("\n" + tok + "\n", "\nnan\n")
    body = body.lstrip("\n")
    if not body.strip():
        return names, np.empty((0, len(names)))
    data = np.loadtxt(io.StringIO(body), delimiter=",", ndmin=2, dtype=np.float64)
    if data.shape[1] != len(names):
        raise ValueError(f"{path}: header has {len(names)} columns, data has {data.shape[1]}")
    return names, data


def sequence_lengths(seq_ids: np.ndarray) -> np.ndarray:
    """Lengths of runs of consecutive equal sequence ids (one run = one sequence)."""
    seq_ids = np.asarray(seq_ids)
    if len(seq_ids) == 0:
        return np.zeros(0, dtype=np.int64)
    breaks = np.flatnonzero(seq_ids[1:] != seq_ids[:-1]) + 1
    edges = np.concatenate([[0], breaks, [len(seq_ids)]])
    return np.diff(edges).astype(np.int64)


# ----------------------------------------------------------------------------
# JSON
# ----------------------------------------------------------------------------

def to_jsonable(obj):
    """Convert numpy arrays/scalars (nested) to plain JSON types."""
    if isinstance(obj, dict):
        return {k: to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    return obj


def write_json(path: Path, obj) -> None:
    tmp = Path(str(path) + ".tmp")
    with open(tmp, "w") as f:
        json.dump(to_jsonable(obj), f, indent=1)
    os.replace(tmp, path)


def read_json(path: Path | str):
    with open(path) as f:
        return json.load(f)
