"""The MusicLab calibration's targets, recomputed from the experiment's released data.

Salganik, Dodds and Watts (2006, Science 311:854-856) show their Gini coefficients and
unpredictability only in figures (Figs. 1 and 2), so `musiclab.toml` takes its targets
from the data they released: the Princeton Office of Population Research "MusicLab data"
("Version 2", generated 2005-12-22), files `dynamics_downloads_download_w{1..9}_v{1,2}.txt`
(worlds 1-8: social influence; world 9: independent; v1: experiment 1, v2: experiment 2),
one row per download: participant id, world, 48 zeros and ones (songs in lexicographic
order), timestamp. A copy is in the GitHub repository UM-CSS/CSSLabs-Experiments under
`external/CM/musiclab_data/`.

    python scenarios/calibration/musiclab_targets.py FOLDER [--experiment 2]

prints, for the experiment, the mean Gini of downloads over the 8 social worlds, the Gini
of the independent world (whole, and the mean of its two halves of random participants),
the unpredictability U of the social worlds (28 pairs) and of the independent world split
in two (mean of 1 000 random splits, and the 2.5-97.5% range over splits), each with a
bootstrap standard deviation over each world's participants (300 resamples).
"""

from __future__ import annotations

import argparse
import itertools
from pathlib import Path

import numpy as np

SONGS = 48


def participants(path: Path) -> np.ndarray:
    """Downloads per participant of one world's file (participants, 48) int."""
    rows = np.array([[int(field) for field in line.split(",")[:SONGS + 2]]
                     for line in path.read_text().splitlines()
                     if line.strip() and not line.startswith("%")])
    ids, row_of = np.unique(rows[:, 0], return_inverse=True)
    counts = np.zeros((len(ids), SONGS), dtype=np.int64)
    np.add.at(counts, row_of, rows[:, 2:])
    return counts


def gini(downloads: np.ndarray) -> float:
    """Gini coefficient of downloads across songs, n^2 normalisation (as the simulator's)."""
    values = np.sort(downloads.astype(np.float64))
    n, cumulative = len(values), np.cumsum(values)
    return float((n + 1 - 2 * cumulative.sum() / cumulative[-1]) / n)


def unpredictability(worlds: list[np.ndarray]) -> float:
    """Mean over songs of the mean absolute difference of market shares between world pairs."""
    shares = [world / world.sum() for world in worlds]
    return float(np.mean([np.abs(shares[a] - shares[b])
                          for a, b in itertools.combinations(range(len(shares)), 2)]))


def halves(independent: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The independent world's downloads split between two random halves of its participants."""
    order = rng.permutation(len(independent))
    half = len(independent) // 2
    return independent[order[:half]].sum(axis=0), independent[order[half:]].sum(axis=0)


def targets(social: list[np.ndarray], independent: np.ndarray, rng: np.random.Generator,
            splits: int) -> dict[str, float]:
    """The four targets (and the whole independent world's Gini) of one data set."""
    split = [halves(independent, rng) for _ in range(splits)]
    return {
        "gini_social": float(np.mean([gini(world.sum(axis=0)) for world in social])),
        "gini_independent_halves": float(np.mean([(gini(a) + gini(b)) / 2 for a, b in split])),
        "gini_independent_whole": gini(independent.sum(axis=0)),
        "unpredictability_social": unpredictability([world.sum(axis=0) for world in social]),
        "unpredictability_independent": float(np.mean([unpredictability(list(pair))
                                                       for pair in split])),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, help="folder of the MusicLab download files")
    parser.add_argument("--experiment", type=int, choices=(1, 2), default=2)
    parser.add_argument("--resamples", type=int, default=300)
    parser.add_argument("--seed", type=int, default=2006)
    args = parser.parse_args()
    worlds = [participants(args.folder / f"dynamics_downloads_download_w{w}_v{args.experiment}.txt")
              for w in range(1, 10)]
    social, independent = worlds[:8], worlds[8]
    rng = np.random.default_rng(args.seed)
    point = targets(social, independent, rng, splits=1000)
    split_u = sorted(unpredictability(list(halves(independent, rng))) for _ in range(1000))
    resampled = [targets([w[rng.integers(0, len(w), len(w))] for w in social],
                         independent[rng.integers(0, len(independent), len(independent))],
                         rng, splits=20) for _ in range(args.resamples)]
    print(f"experiment {args.experiment}: participants who downloaded, social worlds "
          f"{[len(w) for w in social]}, independent {len(independent)}; downloads "
          f"{sum(int(w.sum()) for w in social)} and {int(independent.sum())}")
    for name, value in point.items():
        spread = np.std([r[name] for r in resampled], ddof=1)
        print(f"{name:30s} {value:.4f}   bootstrap sd {spread:.4f}")
    print(f"unpredictability_independent over 1 000 splits: 2.5-97.5% "
          f"{split_u[25]:.4f}-{split_u[975]:.4f}")


if __name__ == "__main__":
    main()
