"""Scoring candidates: predicted engagement x affinity, author penalty, softmax keys.
"""

from __future__ import annotations

import numpy as np

from simulation.kernels.compiler import compiled, kernel, prange


def softmax_keys(scores: np.ndarray, noise: np.ndarray, temperature: float) -> np.ndarray:
    """score / temperature + Gumbel noise (any shape); at temperature 0 the noise only breaks ties."""
    return scores + 1e-9 * noise if temperature == 0 else scores / temperature + noise


def candidate_keys(candidates: np.ndarray, affinity: np.ndarray, source: np.ndarray,
                   predicted: np.ndarray, authors: np.ndarray, boost: np.ndarray | None,
                   first_live: int, gamma: float, penalty: float, temperature: float,
                   rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Stage 2: each candidate's sort key and allowance priority (A, Q), -inf and 0 if empty.

    score = predicted (n_live,) x max(affinity, 0)^gamma, x ``boost`` (n_sources, C)
    [source, author] when given (a lever's score multiplier for its own source's
    candidates, 1 elsewhere), x ``penalty`` for all but an author's best candidate in
    the feed; key = score / temperature + Gumbel noise, so that
    the top keys are a softmax sample. ``authors`` (n_live,) are the live posts'
    creators. Noise and priorities are drawn for the valid candidates, in row order.
    """
    valid = candidates >= 0
    n_valid = int(valid.sum())
    noise, priority_draws = rng.gumbel(size=n_valid), rng.random(n_valid)
    if compiled():
        return _candidate_keys(candidates, affinity, source, predicted, authors,
                               boost if boost is not None else np.ones((0, 0)), first_live,
                               gamma, penalty, temperature, noise, priority_draws)
    local = np.where(valid, candidates - first_live, 0)
    scores = predicted[local] * affinity_weight(np.maximum(affinity, np.float32(0.0)), gamma)
    author = authors[local]
    if boost is not None:
        scores = scores * boost[np.maximum(source, 0), author]
    scores = penalise_repeated_authors(author, scores, valid, penalty)
    keys = np.full(candidates.shape, -np.inf)
    keys[valid] = softmax_keys(scores[valid], noise, temperature)
    priority = np.zeros(candidates.shape)
    priority[valid] = priority_draws
    return keys, priority


def affinity_weight(affinity: np.ndarray, gamma: float) -> np.ndarray:
    """affinity (float32, >= 0) ^ gamma in float64; squares and identities are exact."""
    affinity = affinity.astype(np.float64)
    if gamma == 2.0:
        return affinity * affinity
    if gamma == 1.0:
        return affinity
    return affinity**gamma


@kernel()
def _candidate_keys(candidates, affinity, source, predicted, authors, boost, first_live, gamma,
                    penalty, temperature, noise, priority_draws):  # pragma: no cover
    n_rows, width = candidates.shape
    keys = np.full((n_rows, width), -np.inf)
    priority = np.zeros((n_rows, width))
    offset = np.zeros(n_rows + 1, dtype=np.int64)  # where each row's draws start
    for row in range(n_rows):
        count = 0
        for j in range(width):
            if candidates[row, j] >= 0:
                count += 1
        offset[row + 1] = offset[row] + count
    n_authors = authors.max() + 1 if len(authors) else 1
    n_blocks = max(1, -(-n_rows // 1024))
    for block in prange(n_blocks):
        best_in = np.full(n_authors, -1, dtype=np.int64)  # row whose best is in best_at
        best_at = np.zeros(n_authors, dtype=np.int64)
        scores = np.zeros(width)
        for row in range(block * 1024, min(n_rows, (block + 1) * 1024)):
            for j in range(width):
                if candidates[row, j] < 0:
                    continue
                local = candidates[row, j] - first_live
                weight = np.float64(max(affinity[row, j], np.float32(0.0)))
                if gamma == 2.0:
                    weight = weight * weight
                elif gamma != 1.0:
                    weight = weight**gamma
                score = predicted[local] * weight
                author = authors[local]
                if len(boost):
                    score = score * boost[source[row, j], author]
                scores[j] = score
                if best_in[author] != row:
                    best_in[author], best_at[author] = row, j
                elif score > scores[best_at[author]]:
                    best_at[author] = j
            draw = offset[row]
            for j in range(width):
                if candidates[row, j] < 0:
                    continue
                score = scores[j]
                if penalty != 1.0 and best_at[authors[candidates[row, j] - first_live]] != j:
                    score = score * penalty
                keys[row, j] = (score + 1e-9 * noise[draw] if temperature == 0
                                else score / temperature + noise[draw])
                priority[row, j] = priority_draws[draw]
                draw += 1
    return keys, priority


def penalise_repeated_authors(authors: np.ndarray, scores: np.ndarray, valid: np.ndarray,
                              penalty: float) -> np.ndarray:
    """Multiply by ``penalty`` every valid candidate but the best of each author in a row (A, Q).

    The best is the highest score; among equal scores, the leftmost.
    """
    if penalty == 1.0:
        return scores
    if compiled():
        return _penalise(np.ascontiguousarray(authors, dtype=np.int64), scores, valid,
                         int(authors.max(initial=0)) + 1, penalty)
    # Sort each row by author, then by score (best first), then by column (lexsort is stable).
    grouped = np.where(valid, authors, np.iinfo(np.int64).max)
    order = np.lexsort((-scores, grouped), axis=1)
    sorted_authors = np.take_along_axis(grouped, order, axis=1)
    sorted_valid = np.take_along_axis(valid, order, axis=1)
    repeat = np.zeros_like(valid)
    repeat[:, 1:] = (sorted_authors[:, 1:] == sorted_authors[:, :-1]) & sorted_valid[:, 1:]
    penalised = np.empty_like(repeat)
    np.put_along_axis(penalised, order, repeat, axis=1)
    return np.where(penalised, scores * penalty, scores)


@kernel()
def _penalise(authors, scores, valid, n_authors, penalty):  # pragma: no cover
    n_rows, width = scores.shape
    result = scores.copy()
    n_blocks = max(1, -(-n_rows // 1024))
    for block in prange(n_blocks):
        best_in = np.full(n_authors, -1, dtype=np.int64)  # row whose best is in best_at
        best_at = np.zeros(n_authors, dtype=np.int64)
        for row in range(block * 1024, min(n_rows, (block + 1) * 1024)):
            for j in range(width):
                if not valid[row, j]:
                    continue
                author = authors[row, j]
                if best_in[author] != row:
                    best_in[author], best_at[author] = row, j
                elif scores[row, j] > scores[row, best_at[author]]:
                    best_at[author] = j
            for j in range(width):
                if valid[row, j] and best_at[authors[row, j]] != j:
                    result[row, j] = scores[row, j] * penalty
    return result
