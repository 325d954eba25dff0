"""The base model's configuration (SPEC §2): its family, sizes, observation encoder and heads; the run config's
``model`` section is one (config/sections.py). Defaults are the paper's gridworld model."""

from __future__ import annotations

from dataclasses import dataclass

from internal_rl.train.fields import added_later

ENCODERS = ("linear", "dense", "conv", "egocentric", "vector")
ACTION_KINDS = ("categorical", "gaussian")  # action heads (models/actions.py)
KINDS = ("transformer", "hawk")  # base-model families (models/transformer.py, models/hawk.py)


@dataclass(frozen=True)
class TransformerConfig:
    """Base-model architecture; defaults are the paper's gridworld model (SPEC §2)."""

    depth: int = 6  # L, number of blocks
    width: int = 256  # D = n_e, residual width
    heads: int = 4  # H attention heads (head dim K = width / heads)
    mlp: int = 512  # hidden size of the ReLU MLP
    num_buckets: int = 32  # T5 relative-position buckets (half exact, half log-spaced)
    max_distance: int = 128  # distance from which all pairs share the last bucket
    init_scale: float = 0.1  # variance-scaling factor: Var(W) = init_scale / fan_in
    encoder: str = "linear"  # linear (paper; embedding sum) | dense (literal 637->D) | conv | egocentric (spatial)
    conv_channels: int = 32  # channels of both 3x3 convolutions of the conv encoder
    grid_size: int = 7  # G, observation grid side
    num_channels: int = 13  # C, one-hot channels per cell (walls, colours, agent)
    num_actions: int = 4  # A, size of the action head
    kind: str = added_later("transformer")  # transformer | hawk (recurrent, models/hawk.py)
    lru_width: int = added_later(0)  # hawk: RG-LRU width R (0 = width)
    conv_width: int = added_later(4)  # hawk: temporal convolution width K
    action: str = added_later("categorical")  # categorical | gaussian (models/actions.py)
    obs_size: int = added_later(0)  # vector observations (encoder "vector", e.g. ant-pinpad's 41 floats)

    def __post_init__(self) -> None:
        for name in (
            "depth",
            "width",
            "heads",
            "mlp",
            "max_distance",
            "conv_channels",
            "grid_size",
            "num_channels",
            "num_actions",
        ):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                raise ValueError(f"{name}: must be a positive int, got {getattr(self, name)!r}")
        if self.width % self.heads:
            raise ValueError(f"width: {self.width} is not divisible by heads={self.heads}")
        if not isinstance(self.num_buckets, int) or self.num_buckets < 2:
            raise ValueError(f"num_buckets: must be an int >= 2, got {self.num_buckets!r}")
        if self.max_distance <= self.num_buckets // 2:
            raise ValueError(
                f"max_distance: must exceed num_buckets // 2 = {self.num_buckets // 2}, got {self.max_distance}"
            )
        if not self.init_scale > 0:
            raise ValueError(f"init_scale: must be > 0, got {self.init_scale!r}")
        if self.encoder not in ENCODERS:
            raise ValueError(f"encoder: must be one of {ENCODERS}, got {self.encoder!r}")
        if (self.encoder == "vector") != (self.obs_size > 0):
            raise ValueError(
                f"obs_size: > 0 exactly when encoder is 'vector' (float observations of that size), "
                f"got obs_size={self.obs_size} with encoder={self.encoder!r}"
            )
        if self.action not in ACTION_KINDS:
            raise ValueError(f"action: must be one of {ACTION_KINDS}, got {self.action!r}")
        if self.kind not in KINDS:
            raise ValueError(f"kind: must be one of {KINDS}, got {self.kind!r}")
        if not isinstance(self.lru_width, int) or self.lru_width < 0:
            raise ValueError(f"lru_width: must be an int >= 0 (0 = width), got {self.lru_width!r}")
        if not isinstance(self.conv_width, int) or self.conv_width < 1:
            raise ValueError(f"conv_width: must be a positive int, got {self.conv_width!r}")
        if self.kind == "hawk" and (self.lru_width or self.width) % self.heads:
            raise ValueError(
                f"lru_width: {self.lru_width or self.width} is not divisible by heads={self.heads} "
                "(the RG-LRU gates are block-diagonal over heads)"
            )

    @property
    def obs_dim(self) -> int:
        """O = G * G * C, size of the flat one-hot observation; ``obs_size`` for vector observations."""
        return self.obs_size if self.encoder == "vector" else self.grid_size * self.grid_size * self.num_channels

    @property
    def head_dim(self) -> int:
        return self.width // self.heads


__all__ = ["ACTION_KINDS", "ENCODERS", "KINDS", "TransformerConfig"]
