"""Expert episode datasets: generation (batched over the core), on-disk format, length-bucketed batches."""

from internal_rl.data.generate import generate_dataset, rollout_expert
from internal_rl.data.loader import EpisodeBatch, EpisodeDataset, LengthBucketSampler, obs_onehot_torch
from internal_rl.data.store import FORMAT_NAME, FORMAT_VERSION, META_FILE, clean_stale_temps, read_meta

__all__ = [
    "FORMAT_NAME", "FORMAT_VERSION", "META_FILE", "EpisodeBatch", "EpisodeDataset", "LengthBucketSampler",
    "clean_stale_temps", "generate_dataset", "obs_onehot_torch", "read_meta", "rollout_expert",
]
