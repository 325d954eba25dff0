"""internal-rl: hierarchical RL inside the residual stream of an autoregressive model (Kobayashi et al., 2025)."""

__version__ = "0.1.0"
