"""The exact integer KNN of PROTOCOL.md ("The model"), in numpy int64.

Every distance is an exact integer: a weighted difference is at most 4096 * 9999 < 2^25.3, its
square below 2^50.6, and the sum of four below 2^52.6 < 2^53, so int64 never overflows.

Neighbours are the k rows with the smallest ``(distance, row index)``; the vote goes to the
class with the most neighbours, a tie to the class listed first (the smallest class code).
"""
from __future__ import annotations

import numpy as np

NO_ROW = np.iinfo(np.int64).max  # distance and index of an empty neighbour slot (fewer rows than k)


def weighted(rows_units: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Rows in units times the weights: the space distances are measured in."""
    out: np.ndarray = np.asarray(rows_units, dtype=np.int64) * weights
    return out


def distances(points_w: np.ndarray, query_w: np.ndarray) -> np.ndarray:
    """``sum_j (w_j * (a_j - b_j))^2`` from one weighted query to every weighted point."""
    diff = points_w - query_w
    out: np.ndarray = np.einsum("ij,ij->i", diff, diff)
    return out


def distance_matrix(queries_w: np.ndarray, points_w: np.ndarray) -> np.ndarray:
    """Distances from each query (rows) to each point (columns)."""
    if len(queries_w) * len(points_w) <= 4096:  # small (a block's rows): one broadcast
        diff = queries_w[:, None, :] - points_w[None, :, :]
        small: np.ndarray = np.einsum("qpj,qpj->qp", diff, diff)
        return small
    out = np.zeros((len(queries_w), len(points_w)), dtype=np.int64)
    for j in range(queries_w.shape[1]):
        diff = queries_w[:, j, None] - points_w[None, :, j]
        out += diff * diff
    return out


def nearest(dist: np.ndarray, k: int) -> np.ndarray:
    """Row indices of the k smallest ``(distance, index)``, in that order (fewer if fewer rows)."""
    n = len(dist)
    if n <= k:
        return np.lexsort((np.arange(n), dist))
    kth = np.partition(dist, k - 1)[k - 1]
    candidates = np.flatnonzero(dist <= kth)  # ascending index, so a stable sort by distance breaks ties by index
    order = np.argsort(dist[candidates], kind="stable")[:k]
    return candidates[order]


def merge(nb_dist: np.ndarray, nb_idx: np.ndarray, new_dist: np.ndarray, new_idx: np.ndarray,
          k: int) -> tuple[np.ndarray, np.ndarray]:
    """Fold new candidate rows into each query's current k neighbours.

    ``nb_*`` are (queries, k); ``new_dist`` is (queries, m) for the rows ``new_idx`` (m,).
    Returns the k smallest ``(distance, index)`` of the union, per query.
    """
    cat_d = np.concatenate([nb_dist, new_dist], axis=1)
    cat_i = np.concatenate([nb_idx, np.broadcast_to(new_idx, new_dist.shape)], axis=1)
    order = np.lexsort((cat_i, cat_d), axis=-1)[:, :k]
    return np.take_along_axis(cat_d, order, axis=1), np.take_along_axis(cat_i, order, axis=1)


def neighbours_of(queries_w: np.ndarray, points_w: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(distances, indices), each (queries, k), of every query among all points: one vectorised pass."""
    q = len(queries_w)
    nb_d = np.full((q, k), NO_ROW, dtype=np.int64)
    nb_i = np.full((q, k), NO_ROW, dtype=np.int64)
    if len(points_w) == 0:
        return nb_d, nb_i
    matrix = distance_matrix(queries_w, points_w)
    for t in range(q):
        idx = nearest(matrix[t], k)
        nb_d[t, :len(idx)] = matrix[t, idx]
        nb_i[t, :len(idx)] = idx
    return nb_d, nb_i


def votes(neighbour_codes: np.ndarray, valid: np.ndarray, n_classes: int) -> np.ndarray:
    """Per query, how many of its neighbours are in each class (queries, classes)."""
    counts = np.zeros((neighbour_codes.shape[0], n_classes), dtype=np.int64)
    rows = np.repeat(np.arange(neighbour_codes.shape[0]), neighbour_codes.shape[1])
    np.add.at(counts, (rows[valid.ravel()], neighbour_codes.ravel()[valid.ravel()]), 1)
    return counts


def predict_codes(counts: np.ndarray) -> np.ndarray:
    """The class with the most votes; ``argmax`` takes the first maximum, the class listed first."""
    out: np.ndarray = np.argmax(counts, axis=1)
    return out
