"""Tasks of gridworld-pinpad (SPEC §1.3, Table A1).

A task is an ordered tuple of colour ids. Colours come in pairs that form the *abstract subgoals*
A = 0-1, B = 2-3, C = 4-5, D = 6-7 (subgoal k covers colours 2k and 2k+1), so the pretraining task "ACA" is the
colour sequence 0-1-4-5-0-1.

The sixteen pretraining tasks use exactly the abstract transitions A->{C,D}, B->{A,D}, C->{A,B}, D->{B,C};
the post-training task ABCDAB uses only the four missing ones (A->B, B->C, C->D, D->A), so solving it needs
compositions never seen in the pretraining data.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

Task = tuple[int, ...]

SUBGOAL_LETTERS = "ABCD"
PRETRAIN_LETTERS: tuple[str, ...] = (
    "ACA",
    "ACB",
    "ADB",
    "BAC",
    "BDB",
    "BDC",
    "CAC",
    "CAD",
    "CBD",
    "DBA",
    "DBD",
    "DCA",
    "ADC",
    "BAD",
    "CBA",
    "DCB",
)  # Table A1, in the SPEC's order
POST_LETTERS = "ABCDAB"


def task_from_letters(letters: str) -> Task:
    """Colour sequence of an abstract-subgoal string: ``task_from_letters("ACA") == (0, 1, 4, 5, 0, 1)``."""
    colours: list[int] = []
    for ch in letters.upper():
        if ch not in SUBGOAL_LETTERS:
            raise ValueError(
                f"unknown abstract subgoal {ch!r} in {letters!r}; expected letters from {SUBGOAL_LETTERS!r}"
            )
        k = SUBGOAL_LETTERS.index(ch)
        colours += [2 * k, 2 * k + 1]
    if not colours:
        raise ValueError("empty task string")
    return tuple(colours)


def subgoal_of(colour: int | np.ndarray) -> int | np.ndarray:
    """Abstract subgoal id (pair index) of a colour: colour // 2 (works elementwise on arrays)."""
    return colour // 2


def letters_of(task: Sequence[int]) -> str:
    """Inverse of :func:`task_from_letters` for tasks made of whole pairs, e.g. (0, 1, 4, 5) -> "AC"."""
    task = tuple(int(c) for c in task)
    if len(task) % 2 or any(
        task[i] != 2 * (task[i] // 2) or task[i + 1] != task[i] + 1 for i in range(0, len(task), 2)
    ):
        raise ValueError(f"task {task} is not a sequence of whole colour pairs")
    return "".join(SUBGOAL_LETTERS[c // 2] for c in task[::2])


PRETRAIN_TASKS: list[Task] = [task_from_letters(s) for s in PRETRAIN_LETTERS]
POST_TASK: Task = task_from_letters(POST_LETTERS)  # (0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3)


TASK_SETS = ("table_a1", "all_transitions", "table_a1_chains")


def all_transition_tasks(min_pairs: int = 3, max_pairs: int = 6, held_out: str = POST_LETTERS) -> list[Task]:
    """The control task set (issue: discovery on an in-distribution post task): every abstract sequence of
    ``min_pairs``..``max_pairs`` pairs without a repeated consecutive pair, except ``held_out``.

    All 12 ordered transitions X->Y (X != Y) occur, so the post task ABCDAB is a new *combination* of seen
    transitions and of a seen length. Lengths are equally likely: a sequence of n pairs is listed
    3**(max_pairs - n) times (there are 4 * 3**(n-1) sequences of length n), so drawing uniformly from the list
    gives a uniform length, then a uniform sequence of that length. These are the chains (:func:`chain_tasks`) of
    every transition.
    """
    every = [task_from_letters(a + b) for a in SUBGOAL_LETTERS for b in SUBGOAL_LETTERS if a != b]
    return chain_tasks(every, min_pairs, max_pairs, held_out)


def chain_tasks(
    tasks: Sequence[Sequence[int]], min_pairs: int = 3, max_pairs: int = 6, held_out: str = POST_LETTERS
) -> list[Task]:
    """Longer tasks made of the transitions of ``tasks`` only (ours, E28: D* for the steering and discovery fits,
    ``data.meta_tasks: chains``): every abstract sequence of ``min_pairs``..``max_pairs`` pairs whose consecutive
    pairs are all transitions of ``tasks``, except ``held_out``. Lengths are equally likely (each sequence of n
    pairs is listed round(m / c) times, c the number of sequences of n pairs and m the largest such number), so
    uniform draws give a (near-)uniform length, then a uniform sequence. On Table A1 no post-task transition can
    occur: only the lengths grow (to the post task's six pairs).
    """
    from itertools import product

    allowed = set().union(*(abstract_transitions(t) for t in tasks))
    by_length = {
        n: [
            w
            for w in ("".join(p) for p in product(SUBGOAL_LETTERS, repeat=n))
            if w != held_out and all((a, b) in allowed for a, b in zip(w, w[1:], strict=False))
        ]
        for n in range(min_pairs, max_pairs + 1)
    }
    if not all(by_length.values()):
        empty = [n for n, words in by_length.items() if not words]
        raise ValueError(f"no chain of {empty} pairs uses only the transitions of the given tasks")
    most = max(len(words) for words in by_length.values())
    repeats = {n: round(most / len(words)) for n, words in by_length.items()}
    return [task_from_letters(w) for n, words in by_length.items() for w in words for _ in range(repeats[n])]


def pretraining_tasks(task_set: str = "table_a1") -> list[Task]:
    """The pretraining task list of a named set: ``table_a1`` (the paper's 16), ``all_transitions`` (the control
    set) or ``table_a1_chains`` (ours, E31: chains of 3-6 pairs of Table A1's eight transitions; its three-pair
    chains are Table A1, and no post-task transition occurs)."""
    if task_set == "table_a1":
        return list(PRETRAIN_TASKS)
    if task_set == "all_transitions":
        return all_transition_tasks()
    if task_set == "table_a1_chains":
        return chain_tasks(PRETRAIN_TASKS)
    raise ValueError(f"unknown task set {task_set!r}; choose from {', '.join(TASK_SETS)}")


def validate_task(task: Iterable[int] | str, num_colors: int = 8) -> Task:
    """Return ``task`` as a tuple of ints, or raise ValueError naming what is wrong.

    Accepts a colour sequence or a letter string ("ACA"). Every colour must be in [0, num_colors), and a colour
    may not directly follow itself (the agent stands on it after the visit, so the rule "visit = move onto it
    from another cell" would need a detour through an empty cell; no task of the paper has this).
    """
    if isinstance(task, str):
        task = task_from_letters(task)
    try:
        task = list(task)
        out = tuple(int(c) for c in task)
    except (TypeError, ValueError) as e:
        raise ValueError(f"a task must be a sequence of integer colour ids, got {task!r}") from e
    if any(isinstance(c, bool) or float(c) != int(c) for c in task):
        raise ValueError(f"a task must be a sequence of integer colour ids, got {task!r}")
    if not out:
        raise ValueError("a task needs at least one colour")
    for i, c in enumerate(out):
        if not 0 <= c < num_colors:
            raise ValueError(f"unknown colour {c} at position {i} of task {out}: colours are 0..{num_colors - 1}")
        if i and c == out[i - 1]:
            raise ValueError(
                f"colour {c} repeats at positions {i - 1} and {i} of task {out}; consecutive repeats are not supported"
            )
    return out


def pad_tasks(
    tasks: Sequence[Iterable[int] | str], num_colors: int = 8, width: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Validated tasks as a (B, Kmax) int64 array padded with -1, and their lengths (B,) int64."""
    valid = [validate_task(t, num_colors) for t in tasks]
    lens = np.array([len(t) for t in valid], dtype=np.int64)
    kmax = int(lens.max()) if len(valid) else 1
    if width is not None:
        if width < kmax:
            raise ValueError(f"pad width {width} is shorter than the longest task ({kmax})")
        kmax = width
    out = np.full((len(valid), kmax), -1, dtype=np.int64)
    for i, t in enumerate(valid):
        out[i, : len(t)] = t
    return out, lens


def abstract_transitions(task: Sequence[int]) -> set[tuple[str, str]]:
    """Set of abstract transitions (X, Y) between consecutive pairs of a task, e.g. ACA -> {(A,C), (C,A)}."""
    letters = letters_of(task)
    return {(a, b) for a, b in zip(letters, letters[1:], strict=False)}
