"""internal-rl: hierarchical RL inside the residual stream of an autoregressive model (Kobayashi et al., 2025)."""

__version__ = "0.1.0"

from internal_rl import envs as _envs  # noqa: E402,F401  registers the Gymnasium id internal_rl/GridPinpad-v0
