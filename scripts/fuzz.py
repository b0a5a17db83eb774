#!/usr/bin/env python3
"""Hostile-input fuzzing of the emzoo command line (not part of CI: it runs for as long as asked).

    python3 scripts/fuzz.py [--seconds 300] [--seed 1] [--emzoo .build/release/emzoo] [--keep DIR]

Starting from the bundled specs (models/*.json), data sampled from them and their fitted
results, each case mutates one input — the spec's JSON (a key removed, a value replaced by a
value of another type, a huge, negative, non-finite or empty one, an array reshaped), the data
(bytes flipped, inserted or deleted, a line cut short or doubled, a field made text, huge, NaN,
inf or empty, CR line ends, a BOM, NULs) or a result read back by predict / score / impute /
decode / plot — and runs one command on it. Every run must end the way the contract says:

- exit status 0, 1 or 2, never a signal (a trap, a bus error) and never a hang (time limit);
- on status 2, exactly one line on stderr, at most 300 characters, printable, starting "emzoo: ";
- on a status other than 0, no output file left behind (no partial output);
- no input file changed.

A failing case is written to DIR/case-N (the inputs, the command line in cmd.txt and what
happened in what.txt) so that it can be replayed; the script exits 1 when any case failed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TIME_LIMIT = 60.0
# Small sizes keep a case fast: a hang, not a slow fit, is what the time limit is for.
SMALL_N = 300


def run(cmd: list[str], cwd: Path) -> tuple[int | None, str, str, float]:
    start = time.monotonic()
    try:
        p = subprocess.run(cmd, cwd=cwd, capture_output=True, timeout=TIME_LIMIT)
        return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace"), time.monotonic() - start
    except subprocess.TimeoutExpired:
        return None, "", "", time.monotonic() - start


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "-"


# ----------------------------------------------------------------------------
# Mutations
# ----------------------------------------------------------------------------

ODD_VALUES = [None, True, False, 0, -1, 1, 2, 0.5, -0.0, 1e308, -1e308, 1e-320, 2**53 + 1, 10**30,
              "", "x", "NaN", "inf", "-inf", "1e400", [], [[]], [0], [[0, 1]], {}, {"a": 1},
              [1e308, 1e308], [-1, 2], [0.5] * 50, "\u0000", "é" * 200, "\"quoted\"", 3.5, -7]


def mutate_json(value, rng: random.Random):
    """A copy of `value` with one node changed."""
    value = json.loads(json.dumps(value))
    paths = []

    def walk(node, path):
        paths.append(path)
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, path + [k])
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, path + [i])

    walk(value, [])
    path = rng.choice(paths[1:] or paths)
    parent = value
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1] if path else None
    if last is None:
        return rng.choice(ODD_VALUES)
    action = rng.random()
    if action < 0.15 and isinstance(parent, dict):
        del parent[last]
    elif action < 0.25 and isinstance(parent, list) and len(parent) > 0:
        del parent[last]
    elif action < 0.35 and isinstance(parent, list):
        parent.append(json.loads(json.dumps(parent[last])))
    elif action < 0.45 and isinstance(parent, dict):
        parent[rng.choice(["unknown", "components", "covariance", "weights", "means", "tolerance",
                           "states", "emission", "symbols", "threads", "restarts", "init", "fixed"])] = rng.choice(ODD_VALUES)
    elif action < 0.6 and isinstance(parent[last], (int, float)) and not isinstance(parent[last], bool):
        parent[last] = rng.choice([0, -parent[last], parent[last] * 1e300, parent[last] + 1, 1e-300, 10**9, -10**9])
    else:
        parent[last] = rng.choice(ODD_VALUES)
    return value


def mutate_text(data: bytes, rng: random.Random) -> bytes:
    lines = data.split(b"\n")
    action = rng.randrange(12)
    if action == 0 and data:  # flip bytes
        b = bytearray(data)
        for _ in range(rng.randint(1, 5)):
            b[rng.randrange(len(b))] = rng.randrange(256)
        return bytes(b)
    if action == 1:  # cut the file
        return data[: rng.randrange(len(data) + 1)]
    if action == 2 and len(lines) > 2:  # a line cut short
        i = rng.randrange(1, len(lines))
        lines[i] = lines[i][: rng.randrange(len(lines[i]) + 1)]
    elif action == 3 and len(lines) > 2:  # a line doubled or removed
        i = rng.randrange(1, len(lines))
        if rng.random() < 0.5:
            lines.insert(i, lines[i])
        else:
            del lines[i]
    elif action == 4 and len(lines) > 2:  # a field replaced
        i = rng.randrange(1, len(lines))
        fields = lines[i].split(b",")
        j = rng.randrange(len(fields))
        fields[j] = rng.choice([b"", b"NA", b"nan", b"inf", b"-inf", b"1e400", b"-1e400", b"abc", b"1,2",
                                b"0x10", b"1e-400", b"  3 ", b"\"4\"", b"-0", b"9" * 400, b"1.5", b"-3",
                                b"100000000000", b"\x00", b"\xff\xfe"])
        lines[i] = b",".join(fields)
    elif action == 5:  # CR line ends
        return data.replace(b"\n", b"\r\n" if rng.random() < 0.5 else b"\r")
    elif action == 6:  # a BOM, or NULs
        return (b"\xef\xbb\xbf" + data) if rng.random() < 0.5 else data.replace(b",", b"\x00,", 1)
    elif action == 7 and lines:  # the header changed
        header = lines[0].split(b",")
        j = rng.randrange(len(header))
        header[j] = rng.choice([b"", header[0], b"sequence", b"latent", b"x" * 300, b"\"a,b\""])
        lines[0] = b",".join(header)
    elif action == 8:  # blank lines
        i = rng.randrange(len(lines) + 1)
        lines.insert(i, rng.choice([b"", b"\r", b" ", b",,"]))
    elif action == 9:  # an extra column
        lines = [ln + b",1" if ln else ln for ln in lines]
    elif action == 10:  # only the header, or nothing
        return rng.choice([lines[0] + b"\n", b"", b"\n"])
    else:  # a column of one value
        header = lines[0].split(b",")
        j = rng.randrange(len(header))
        value = rng.choice([b"0", b"1", b"", b"5"])
        for i in range(1, len(lines)):
            fields = lines[i].split(b",")
            if j < len(fields):
                fields[j] = value
                lines[i] = b",".join(fields)
    return b"\n".join(lines)


# ----------------------------------------------------------------------------
# Cases
# ----------------------------------------------------------------------------

def prepare_seeds(emzoo: Path, work: Path) -> list[dict]:
    """Each bundled spec with its sampled data and fitted result."""
    seeds = []
    for spec_path in sorted((REPO / "models").glob("*.json")):
        name = spec_path.stem
        d = work / "seeds" / name
        d.mkdir(parents=True, exist_ok=True)
        spec = json.loads(spec_path.read_text())
        spec.pop("data", None)
        spec.setdefault("fit", {})
        spec["fit"]["restarts"] = 1
        spec["fit"].pop("standardErrors", None)
        (d / "spec.json").write_text(json.dumps(spec, indent=1))
        code, _, err, _ = run([str(emzoo), "sample", "spec.json", "--n", str(SMALL_N), "--seed", "3",
                               "--output", "data.csv"], d)
        if code != 0:
            print(f"seed {name}: sample failed: {err.strip()}", file=sys.stderr)
            continue
        code, _, err, _ = run([str(emzoo), "fit", "spec.json", "--data", "data.csv", "--output", "result.json",
                               "--quiet", "--max-iterations", "50"], d)
        if code != 0:
            print(f"seed {name}: fit failed: {err.strip()}", file=sys.stderr)
            continue
        try:
            import numpy as np
            names = (d / "data.csv").read_text().split("\n", 1)[0].split(",")
            matrix = np.genfromtxt(d / "data.csv", delimiter=",", skip_header=1)
            keep = [j for j, c in enumerate(names) if c not in ("sequence", "latent")]
            np.save(d / "data.npy", np.atleast_2d(matrix)[:, keep].astype(np.float64))
        except Exception:  # noqa: BLE001 - without numpy, CSV only
            pass
        seeds.append({"name": name, "dir": d, "spec": spec, "result": json.loads((d / "result.json").read_text()),
                      "hmm": spec["model"] == "hmm"})
    return seeds


def make_case(seed: dict, rng: random.Random, case_dir: Path) -> list[str]:
    """Writes the case's inputs into case_dir and returns the command line (after `emzoo`)."""
    case_dir.mkdir(parents=True)
    src = seed["dir"]
    data_name = ["data.csv"]
    spec, data, result = seed["spec"], (src / "data.csv").read_bytes(), seed["result"]
    target = rng.choice(["spec", "data", "result", "data", "spec"])
    if target == "spec":
        spec = mutate_json(spec, rng)
    elif target == "data":
        data = mutate_text(data, rng)
    else:
        result = mutate_json(result, rng)
    if rng.random() < 0.05:  # malformed JSON text
        text = json.dumps(spec if target == "spec" else result)
        cut = rng.randrange(len(text) + 1)
        (case_dir / "spec.json").write_text(text[:cut] if target == "spec" else json.dumps(spec))
        (case_dir / "result.json").write_text(text[:cut] if target != "spec" else json.dumps(result))
    else:
        (case_dir / "spec.json").write_text(json.dumps(spec))
        (case_dir / "result.json").write_text(json.dumps(result))
    (case_dir / "data.csv").write_bytes(data)
    if target == "data" and rng.random() < 0.3 and (src / "data.npy").exists():
        # A NumPy file instead: its header or its bytes mutated.
        raw = bytearray((src / "data.npy").read_bytes())
        header_end = raw.index(b"\n") + 1
        if rng.random() < 0.5:
            header = raw[10:header_end].decode("latin-1")
            header = rng.choice([
                header.replace("<f8", rng.choice(["<f4", ">f8", "<i8", "|b1", "<c16", "O", "<U3"])),
                header.replace("False", "True"),
                header.replace("(", "(" + rng.choice(["0, ", "1, ", "99999999999, ", "-1, "]), 1),
                header[: rng.randrange(len(header))],
                header.replace("'shape'", "'shapes'"),
            ])
            raw = raw[:10] + header.encode("latin-1") + raw[header_end:]
        else:
            for _ in range(rng.randint(1, 4)):
                raw[rng.randrange(len(raw))] = rng.randrange(256)
            if rng.random() < 0.5:
                raw = raw[: rng.randrange(len(raw) + 1)]
        (case_dir / "data.npy").write_bytes(bytes(raw))
        (case_dir / "data.csv").unlink()
        data_name[0] = "data.npy"
    if target == "result":
        command = rng.choice(["predict", "score", "impute", "plot"] + (["decode"] if seed["hmm"] else []))
    else:
        command = rng.choice(["fit", "fit", "fit", "check", "select", "sample", "init"])
    out = ["--output", "out.json"]
    if command == "fit":
        return ["fit", "spec.json", "--data", data_name[0], "--quiet", "--max-iterations", "30"] + out + \
            rng.choice([[], ["--threads", "2"], ["--accelerate", "none"], ["--restarts", "2"], ["--tolerance", "0"]])
    if command == "check":
        return ["check", "spec.json", "--n", "200", "--seed", "5"]
    if command == "select":
        key = "--components"
        return ["select", "spec.json", "--data", data_name[0], key, "1...2", "--output", "out.json"]
    if command == "sample":
        return ["sample", "spec.json", "--n", str(rng.choice([0, 1, 5, 50])), "--seed", "2", "--output", "out.csv"]
    if command == "init":
        return ["init", data_name[0], "--model", rng.choice(["gaussian-mixture", "poisson-mixture", "hmm"]),
                "--output", "out.json"]
    if command == "plot":
        return ["plot", "result.json", "--data", data_name[0], "--output", "plots"]
    return [command, "result.json", "--data", data_name[0], "--output", "out.csv"]


def judge(code: int | None, err: str, case_dir: Path, before: dict[str, str], cmd: list[str]) -> str | None:
    if code is None:
        return f"no exit within {TIME_LIMIT:g} s"
    if code < 0:
        return f"killed by signal {-code} ({signal.Signals(-code).name})"
    if code not in (0, 1, 2):
        return f"exit status {code}"
    lines = err.rstrip("\n").split("\n") if err.strip() else []
    if code == 2:
        if len(lines) != 1:
            return f"status 2 with {len(lines)} lines on stderr"
        line = lines[0]
        if len(line) > 300 or not line.isprintable() or not line.startswith("emzoo: "):
            return f"status 2 with a malformed line ({len(line)} characters)"
    if code != 0:
        for name in ("out.json", "out.csv"):
            if (case_dir / name).exists():
                return f"status {code} left {name} behind"
        if (case_dir / "plots").exists() and any((case_dir / "plots").iterdir()):
            return f"status {code} left files in plots/"
    for name, h in before.items():
        if digest(case_dir / name) != h:
            return f"{name} changed"
    return None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=300)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--emzoo", type=Path, default=REPO / ".build/release/emzoo")
    ap.add_argument("--keep", type=Path, default=None, help="where failing cases go (default: a temporary directory)")
    args = ap.parse_args()
    emzoo = args.emzoo.resolve()
    if not os.access(emzoo, os.X_OK):
        ap.error(f"{emzoo}: not found (swift build -c release --product emzoo)")
    work = Path(tempfile.mkdtemp(prefix="emzoo-fuzz-"))
    keep = args.keep or work / "failures"
    keep.mkdir(parents=True, exist_ok=True)
    seeds = prepare_seeds(emzoo, work)
    rng = random.Random(args.seed)
    deadline = time.monotonic() + args.seconds
    cases = failures = 0
    statuses: dict[int | None, int] = {}
    while time.monotonic() < deadline:
        seed = rng.choice(seeds)
        case_dir = work / "case"
        shutil.rmtree(case_dir, ignore_errors=True)
        cmd = make_case(seed, rng, case_dir)
        before = {n: digest(case_dir / n) for n in ("spec.json", "data.csv", "data.npy", "result.json")}
        code, _, err, _ = run([str(emzoo)] + cmd, case_dir)
        cases += 1
        statuses[code] = statuses.get(code, 0) + 1
        problem = judge(code, err, case_dir, before, cmd)
        if problem:
            failures += 1
            kept = keep / f"case-{failures}"
            while kept.exists():   # a --keep folder may hold an earlier run's cases
                kept = kept.with_name(kept.name + "+")
            shutil.copytree(case_dir, kept)
            (kept / "cmd.txt").write_text("emzoo " + " ".join(cmd) + "\n")
            (kept / "what.txt").write_text(f"{problem}\nseed spec: {seed['name']}\nstderr:\n{err}")
            print(f"FAIL {kept}: {problem} (emzoo {' '.join(cmd)}; seed {seed['name']})", flush=True)
    print(f"{cases} cases, {failures} failures; exit statuses {dict(sorted(statuses.items(), key=str))}; "
          f"failing cases in {keep}")
    if not args.keep and failures == 0:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
