"""Shortest paths on gridworld-pinpad layouts (SPEC §1.1, §1.4): distance maps, task completion, solvability.

Functions of a batched :class:`~internal_rl.envs.core.EnvState` (same glossary as ``core.py``). The distance maps
are cached in ``state.cache`` under ``"dist"`` for the whole episode; the shortest-path expert reads them from
there. :func:`internal_rl.envs.core.reset` uses :func:`solvable` to resample unsolvable layouts.
"""

from __future__ import annotations

import numpy as np

from internal_rl.envs.grid import EMPTY, UNREACHABLE, EnvState, move_table


def _unpack(bits: np.ndarray, n: int) -> np.ndarray:
    """(..., ) uint64 cell sets -> (..., n) uint8 membership."""
    b8 = bits.astype("<u8", copy=False).view(np.uint8).reshape(*bits.shape, 8)
    return np.unpackbits(b8, axis=-1, bitorder="little")[..., :n]


def distance_maps(state: EnvState) -> np.ndarray:
    """(B, O, N) uint8: BFS steps from each cell to colour k, moving through empty cells only (walls and all other
    colours are obstacles); 0 on colour k itself, UNREACHABLE (255) where k cannot be reached or the cell is an
    obstacle. The distance of action a from cell s is ``dist[k, move(s, a)]`` (no-op moves land on s).

    Breadth-first search over 64-bit cell sets: each layer is a few shifts of (B, O) uint64 arrays. Cached in
    ``state.cache`` (valid for the whole episode).
    """
    cached = state.cache.get("dist")
    if cached is not None:
        return cached
    p = state.params
    G, N = p.size, p.num_cells
    cellbit = np.left_shift(np.uint64(1), np.arange(N, dtype=np.uint64))  # (N,)
    col = np.arange(N) % G
    not_left = np.bitwise_or.reduce(cellbit[col > 0])  # cells that have a left neighbour
    not_right = np.bitwise_or.reduce(cellbit[col < G - 1])
    full = np.bitwise_or.reduce(cellbit)
    empty = np.packbits(state.occ == EMPTY, axis=1, bitorder="little")  # (B, ceil(N/8)) uint8
    empty = np.pad(empty, ((0, 0), (0, 8 - empty.shape[1]))).view("<u8")  # (B, 1) uint64
    reached = cellbit[state.colors]  # (B, O) uint64: layer 0 = the colour cell itself
    frontier = reached
    # Distances are accumulated in binary: bit_sets[j] holds the cells whose distance has bit j set.
    bit_sets = [np.zeros_like(reached) for _ in range(max(1, (N - 1).bit_length()))]
    g, one = np.uint64(G), np.uint64(1)
    for d in range(1, N):
        nb = (
            (frontier >> g)
            | ((frontier << g) & full)
            | ((frontier & not_left) >> one)
            | ((frontier & not_right) << one)
        )  # (B, O) neighbours of the frontier
        frontier = nb & empty & ~reached
        if not frontier.any():
            break
        reached = reached | frontier
        for j in range(d.bit_length()):
            if d >> j & 1:
                bit_sets[j] |= frontier
    dist = np.zeros((*reached.shape, N), dtype=np.uint8)  # (B, O, N)
    for j, bits in enumerate(bit_sets):
        dist += _unpack(bits, N) << j
    dist[_unpack(reached, N) == 0] = UNREACHABLE
    state.cache["dist"] = dist
    return dist


def steps_to(state: EnvState, start: np.ndarray, colour: np.ndarray) -> np.ndarray:
    """(B,) shortest number of moves from cell ``start`` onto ``colour`` (UNREACHABLE if impossible)."""
    dist = distance_maps(state)
    B = state.num_envs
    nb = move_table(state.params.size)[start]  # (B, 4)
    d = dist[np.arange(B)[:, None], np.maximum(colour, 0)[:, None], nb]  # (B, 4)
    return d.min(1)


def shortest_completion(state: EnvState) -> np.ndarray:
    """(B,) int64 fewest actions that complete the rest of each task from the current state (a large number if
    some next colour cannot be reached from the previous one without entering a wall or another colour)."""
    B, K = state.num_envs, state.task.shape[1]
    rows = np.arange(B)
    total = np.zeros(B, dtype=np.int64)
    prev = state.agent
    for k in range(K):  # over task positions (<= 12), not environments
        tgt = state.task[:, k]
        active = (k >= state.progress) & (k < state.task_len)
        legs = steps_to(state, prev, tgt).astype(np.int64)  # moves to a neighbour of the colour on a shortest path
        legs = np.where(legs < UNREACHABLE, legs + 1, 10**6)  # + the move onto the colour
        total += np.where(active, legs, 0)
        prev = np.where(active, state.colors[rows, np.maximum(tgt, 0)], prev)
    return total


def solvable(state: EnvState) -> np.ndarray:
    """(B,) whether the rest of each task can be completed before the horizon: every next colour reachable from
    the previous one (from the agent for the first remaining one) without entering a wall or any other colour,
    and the shortest way through all of them no longer than the steps left. (The horizon clause only matters for
    long tasks: about 1% of the post-training task's reachable layouts need more than 100 steps.)"""
    return shortest_completion(state) <= state.params.max_steps - state.t
