"""Expert episode datasets: generation (batched over a World), on-disk format, length-bucketed batches; vector.py
reads the datasets of worlds with float observations (ant-pinpad); segments.py and counterfactual.py read the subgoal
segments of a batch and move its residuals to counterfactual previous subgoals (steer/discover.memory_swap)."""

from internal_rl.data.generate import generate_dataset, process_count, rollout_expert
from internal_rl.data.loader import EpisodeBatch, EpisodeDataset, LengthBucketSampler, obs_onehot_torch
from internal_rl.data.store import FORMAT_NAME, FORMAT_VERSION, META_FILE, clean_stale_temps, read_meta
from internal_rl.data.vector import Dataset, VectorBatch, VectorEpisodes

__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "META_FILE",
    "EpisodeBatch",
    "Dataset",
    "EpisodeDataset",
    "LengthBucketSampler",
    "VectorBatch",
    "VectorEpisodes",
    "clean_stale_temps",
    "generate_dataset",
    "process_count",
    "obs_onehot_torch",
    "read_meta",
    "rollout_expert",
]
