"""Causal transformer base model over observations (SPEC §2, paper App. C.1 / D.1).

Reads o_1..o_t and predicts a_t (categorical over 4 actions) and o_{t+1} (independent Bernoulli per unit of
the 637-dim one-hot). Pre-norm blocks, T5-style causal relative-position attention bias, ReLU MLP.

Dimension letters: B batch, T time (new steps), S key length (cached + new), D width n_e, H heads,
K head dim (D / H), L depth, A actions, O observation size (7*7*13 = 637), N ones per observation (13).

Observations arrive compact: ``obs_idx`` (B, T, N) int64 holds the flat indices of the N ones of the one-hot
observation, flat index = (row * G + col) * C + channel.

The residual stream (Eq. 1):   e_0 = embed(o_t);  e_l = block_l(e_{l-1});  logits = heads(LN(e_L)).
``lower(obs, l)`` returns e_l and ``upper(e_l, l)`` finishes the pass, so a controller can replace e_l by
ê_l = e_l + U e_l in between; ``upper(lower(x, l), l) == forward(x)`` for every l in 0..L.

Incremental decoding: a :class:`KVCache` holds per-layer keys/values and a per-layer length. With a cache,
``lower``/``upper``/``forward`` process only the new steps at positions ``cache.lengths[layer]...``, attend to
everything cached and append; each call advances only the layers it runs. All batch rows share positions.
Use the cache under ``torch.no_grad()``: it is written in place.

Initialisation (exact rule): every weight matrix W mapping fan_in inputs (Linear, Conv2d, the embedding table
of the "linear" encoder with fan_in = O, as for the dense matrix it replaces) is drawn from a normal truncated
at ±2 std, rescaled so that Var(W) = init_scale / fan_in (Haiku/Flax ``VarianceScaling(init_scale, "fan_in",
"truncated_normal")``). Exception: the two hidden convolutions of the "conv" encoder use scale 2 (He init,
they feed ReLUs). Biases are 0, LayerNorms (1, 0), relative-position bias tables 0 (attention starts uniform
over the past).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from internal_rl.models.actions import GaussianHead, action_head
from internal_rl.models.egocentric import EgocentricEncoder
from internal_rl.models.residual import ResidualStreamModel
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


def observation_nll(obs_logits: Tensor, next_obs_idx: Tensor) -> Tensor:
    """-log p(o_{t+1} | o_{1:t}), independent Bernoullis summed over the O units: (..., O), (..., N) -> (...).

    Equals ``binary_cross_entropy_with_logits(obs_logits, one_hot).sum(-1)`` without building the one-hot:
    Σ_j softplus(x_j) - Σ_{j: o_j = 1} x_j (the N indices of an observation are distinct).
    """
    if obs_logits.dtype in (torch.bfloat16, torch.float16):  # a sum over 637 units: never in half precision
        obs_logits = obs_logits.float()
    return F.softplus(obs_logits).sum(-1) - obs_logits.gather(-1, next_obs_idx).sum(-1)


def next_observation_nll(cfg: TransformerConfig, obs_out: Tensor, next_obs: Tensor) -> Tensor:
    """-log p(o_{t+1} | o_{1:t}) (...): Bernoullis over the one-hot units (index observations), or a Gaussian with a
    learned diagonal covariance (vector observations; the obs head is a :class:`~internal_rl.models.actions.
    GaussianHead`)."""
    if cfg.encoder == "vector":
        return GaussianHead.dist(obs_out.float()).nll(next_obs.float())
    return observation_nll(obs_out, next_obs)


def one_hot_observation(obs_idx: Tensor, obs_dim: int, dtype: torch.dtype = torch.float32) -> Tensor:
    """(..., N) flat indices -> (..., O) 0/1 observation."""
    out = torch.zeros(*obs_idx.shape[:-1], obs_dim, dtype=dtype, device=obs_idx.device)
    return out.scatter_(-1, obs_idx, 1.0)


def relative_position_bucket(distance: Tensor, num_buckets: int, max_distance: int) -> Tensor:
    """T5 unidirectional bucketing of distance = query_pos - key_pos >= 0 (keys in the future are masked).

    Distances 0..num_buckets/2-1 get their own bucket; larger ones share log-spaced buckets up to
    max_distance, beyond which everything falls in the last bucket.
    """
    max_exact = num_buckets // 2
    log_ratio = torch.log(distance.clamp(min=1).float() / max_exact) / math.log(max_distance / max_exact)
    large = (max_exact + (log_ratio * (num_buckets - max_exact)).long()).clamp(max=num_buckets - 1)
    return torch.where(distance < max_exact, distance, large)


class KVCache:
    """Preallocated per-layer keys/values (B, H, max_len, K) and the number of positions filled per layer."""

    def __init__(self, k: list[Tensor], v: list[Tensor]):
        self.k, self.v = k, v
        self.lengths = [0] * len(k)

    @property
    def batch_size(self) -> int:
        return self.k[0].shape[0]

    @property
    def max_len(self) -> int:
        return self.k[0].shape[2]

    def reset(self) -> None:
        """Forget every cached step (buffers are reused)."""
        self.lengths = [0] * len(self.k)

    def select(self, rows: Tensor) -> KVCache:
        """A cache holding only ``rows`` (a bool mask or indices): = running those rows alone."""
        out = KVCache([x[rows] for x in self.k], [x[rows] for x in self.v])
        out.lengths = list(self.lengths)
        return out

    def append(self, layer: int, k_new: Tensor, v_new: Tensor) -> tuple[Tensor, Tensor]:
        """Write (B, H, T, K) new keys/values of ``layer``; return all of them so far, (B, H, S, K) each."""
        start = self.lengths[layer]
        end = start + k_new.shape[2]
        if end > self.max_len:
            raise ValueError(f"max_len: cache holds {self.max_len} steps, layer {layer} needs {end}")
        if k_new.shape[0] != self.batch_size:
            raise ValueError(f"batch_size: cache has {self.batch_size} rows, got {k_new.shape[0]}")
        self.k[layer][:, :, start:end] = k_new
        self.v[layer][:, :, start:end] = v_new
        self.lengths[layer] = end
        return self.k[layer][:, :, :end], self.v[layer][:, :, :end]


# ------------------------------------------------------------------------------------------------------------
# Observation encoders: (B, T, N) indices -> (B, T, D) = e_0
# ------------------------------------------------------------------------------------------------------------


class EmbeddingSumEncoder(nn.Module):
    """The paper's linear map W o + b of the one-hot o, computed as the sum of the N rows of Wᵀ o selects."""

    def __init__(self, cfg: TransformerConfig):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(cfg.obs_dim, cfg.width))  # (O, D) = Wᵀ of the dense map
        self.bias = nn.Parameter(torch.zeros(cfg.width))

    def forward(self, obs_idx: Tensor) -> Tensor:
        flat = obs_idx.reshape(-1, obs_idx.shape[-1])  # (B*T, N)
        e = F.embedding_bag(flat, self.weight, mode="sum")  # (B*T, D)
        return e.view(*obs_idx.shape[:-1], -1) + self.bias


class DenseEncoder(nn.Module):
    """Reference implementation of the same linear map: materialise the one-hot and multiply."""

    def __init__(self, cfg: TransformerConfig):
        super().__init__()
        self.obs_dim = cfg.obs_dim
        self.linear = nn.Linear(cfg.obs_dim, cfg.width)

    def forward(self, obs_idx: Tensor) -> Tensor:
        return self.linear(one_hot_observation(obs_idx, self.obs_dim, self.linear.weight.dtype))


class ConvEncoder(nn.Module):
    """Spatial encoder: one-hot grid (C, G, G) -> 2 x (3x3 conv, ReLU) -> flatten -> linear to D."""

    def __init__(self, cfg: TransformerConfig):
        super().__init__()
        self.cfg = cfg
        ch = cfg.conv_channels
        self.conv1 = nn.Conv2d(cfg.num_channels, ch, 3, padding=1)
        self.conv2 = nn.Conv2d(ch, ch, 3, padding=1)
        self.out = nn.Linear(ch * cfg.grid_size**2, cfg.width)

    def forward(self, obs_idx: Tensor) -> Tensor:
        G, C = self.cfg.grid_size, self.cfg.num_channels
        flat = obs_idx.reshape(-1, obs_idx.shape[-1])  # (B*T, N)
        grid = one_hot_observation(flat, self.cfg.obs_dim, self.out.weight.dtype)  # (B*T, O)
        grid = grid.view(-1, G, G, C).permute(0, 3, 1, 2)  # (B*T, C, G, G)
        h = F.relu(self.conv2(F.relu(self.conv1(grid))))  # (B*T, ch, G, G)
        return self.out(h.flatten(1)).view(*obs_idx.shape[:-1], -1)  # (B, T, D)


# ------------------------------------------------------------------------------------------------------------
# Blocks
# ------------------------------------------------------------------------------------------------------------


class CausalSelfAttention(nn.Module):
    """Multi-head causal attention with a T5 relative-position bias owned by this layer.

    Each layer has its own (num_buckets, H) bias table (T5 shares one table computed in its first layer; a
    table per layer costs 128 parameters per layer and lets every layer choose its own recency profile).
    """

    def __init__(self, cfg: TransformerConfig):
        super().__init__()
        self.cfg = cfg
        self.qkv = nn.Linear(cfg.width, 3 * cfg.width)
        self.proj = nn.Linear(cfg.width, cfg.width)
        self.rel_bias = nn.Embedding(cfg.num_buckets, cfg.heads)

    def attention_bias(self, start: int, t_new: int, t_total: int) -> Tensor:
        """Additive mask (1, H, T, S); queries start..start+T-1, keys 0..S-1: bias(q - k), -inf if k > q."""
        device = self.rel_bias.weight.device
        q_pos = torch.arange(start, start + t_new, device=device)
        k_pos = torch.arange(t_total, device=device)
        distance = q_pos[:, None] - k_pos[None, :]  # (T, S)
        buckets = relative_position_bucket(distance.clamp(min=0), self.cfg.num_buckets, self.cfg.max_distance)
        bias = self.rel_bias(buckets).permute(2, 0, 1)  # (H, T, S)
        return bias.masked_fill(distance < 0, float("-inf")).unsqueeze(0)  # (1, H, T, S)

    def forward(self, x: Tensor, cache: KVCache | None = None, layer: int = 0) -> Tensor:
        B, T, D = x.shape
        H, K = self.cfg.heads, self.cfg.head_dim
        q, k, v = self.qkv(x).split(D, dim=-1)  # (B, T, D) each
        q, k, v = (t.view(B, T, H, K).transpose(1, 2) for t in (q, k, v))  # (B, H, T, K)
        start = 0
        if cache is not None:
            start = cache.lengths[layer]
            k, v = cache.append(layer, k, v)  # (B, H, S, K)
        mask = self.attention_bias(start, T, k.shape[2]).to(q.dtype)  # (1, H, T, S); dtype for autocast
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)  # (B, H, T, K)
        return self.proj(y.transpose(1, 2).reshape(B, T, D))


class MLP(nn.Module):
    def __init__(self, cfg: TransformerConfig):
        super().__init__()
        self.fc = nn.Linear(cfg.width, cfg.mlp)
        self.proj = nn.Linear(cfg.mlp, cfg.width)

    def forward(self, x: Tensor) -> Tensor:
        return self.proj(F.relu(self.fc(x)))


class Block(nn.Module):
    """Pre-norm residual block: x + attn(LN(x)), then + mlp(LN(x))."""

    def __init__(self, cfg: TransformerConfig):
        super().__init__()
        self.ln1 = nn.LayerNorm(cfg.width)
        self.attn = CausalSelfAttention(cfg)
        self.ln2 = nn.LayerNorm(cfg.width)
        self.mlp = MLP(cfg)

    def forward(self, x: Tensor, cache: KVCache | None = None, layer: int = 0) -> Tensor:
        x = x + self.attn(self.ln1(x), cache, layer)
        return x + self.mlp(self.ln2(x))


# ------------------------------------------------------------------------------------------------------------
# Model
# ------------------------------------------------------------------------------------------------------------


def _variance_scaling_(weight: Tensor, scale: float) -> None:
    """Truncated normal (±2 std) with Var = scale / fan_in, fan_in = weight[0].numel() (Linear, Conv2d)."""
    std = math.sqrt(scale / weight[0].numel()) / 0.87962566103423978  # std of N(0,1) truncated to [-2, 2]
    nn.init.trunc_normal_(weight, std=std, a=-2 * std, b=2 * std)


class VectorEncoder(nn.Module):
    """Float observations (B, T, obs_size) -> e_0 (B, T, D) by one linear map (worlds with vector observations)."""

    def __init__(self, cfg: TransformerConfig):
        super().__init__()
        self.proj = nn.Linear(cfg.obs_size, cfg.width)

    def forward(self, obs: Tensor) -> Tensor:
        return self.proj(obs.to(self.proj.weight.dtype))


def make_encoder(cfg: TransformerConfig) -> nn.Module:
    """The observation encoder named by ``cfg.encoder``: (B, T, N) indices (or (B, T, obs_size) floats for
    ``vector``) -> e_0 (B, T, D)."""
    encoders = {
        "linear": EmbeddingSumEncoder,
        "dense": DenseEncoder,
        "conv": ConvEncoder,
        "egocentric": EgocentricEncoder,
        "vector": VectorEncoder,
    }
    return encoders[cfg.encoder](cfg)


def obs_head(cfg: TransformerConfig) -> nn.Module:
    """The next-observation head: O Bernoulli logits, or a Gaussian's [mean, log std] for vector observations."""
    return GaussianHead(cfg.width, cfg.obs_size) if cfg.encoder == "vector" else nn.Linear(cfg.width, cfg.obs_dim)


def init_encoder(encoder: nn.Module, cfg: TransformerConfig) -> None:
    """Initialise an encoder's own tables (fan_in = O, as the dense map they replace); Linear/Conv2d layers
    inside it are initialised by the model's loop over modules."""
    if isinstance(encoder, EgocentricEncoder):
        _variance_scaling_(encoder.absolute.T, cfg.init_scale)
        std = math.sqrt(cfg.init_scale / cfg.obs_dim) / 0.87962566103423978
        nn.init.trunc_normal_(encoder.relative, std=std, a=-2 * std, b=2 * std)
    elif isinstance(encoder, EmbeddingSumEncoder):
        _variance_scaling_(encoder.weight.T, cfg.init_scale)
        nn.init.zeros_(encoder.bias)
    elif isinstance(encoder, (DenseEncoder, ConvEncoder)):
        for m in encoder.modules():
            if isinstance(m, (nn.Linear, nn.Conv2d)):
                _variance_scaling_(m.weight, 2.0 if isinstance(m, nn.Conv2d) else cfg.init_scale)
                nn.init.zeros_(m.bias)


class Transformer(ResidualStreamModel):
    """Causal transformer over observations; see the module docstring for the residual split and the cache."""

    def __init__(self, cfg: TransformerConfig | None = None):
        super().__init__()
        self.cfg = cfg = cfg or TransformerConfig()
        self.encoder = make_encoder(cfg)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.depth))
        self.ln_f = nn.LayerNorm(cfg.width)
        self.action_head = action_head(cfg.action, cfg.width, cfg.num_actions)
        self.obs_head = obs_head(cfg)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for module in self.modules():
            if isinstance(module, (nn.Linear, nn.Conv2d)):
                scale = 2.0 if isinstance(module, nn.Conv2d) else self.cfg.init_scale
                _variance_scaling_(module.weight, scale)
                nn.init.zeros_(module.bias)
            elif isinstance(module, nn.LayerNorm):
                module.reset_parameters()
            elif isinstance(module, nn.Embedding):  # relative-position bias tables
                nn.init.zeros_(module.weight)
            elif isinstance(module, EgocentricEncoder):  # both tables: fan_in = O, as the dense map
                _variance_scaling_(module.absolute.T, self.cfg.init_scale)
                std = math.sqrt(self.cfg.init_scale / self.cfg.obs_dim) / 0.87962566103423978
                nn.init.trunc_normal_(module.relative, std=std, a=-2 * std, b=2 * std)
            elif isinstance(module, EmbeddingSumEncoder):
                _variance_scaling_(module.weight.T, self.cfg.init_scale)  # fan_in = O, as the dense map
                nn.init.zeros_(module.bias)

    def new_cache(
        self, batch_size: int, max_len: int, device: torch.device | str | None = None, dtype: torch.dtype | None = None
    ) -> KVCache:
        """Empty cache for ``batch_size`` sequences of up to ``max_len`` steps (default: model dtype)."""
        shape = (batch_size, self.cfg.heads, max_len, self.cfg.head_dim)  # (B, H, max_len, K)
        kw = {"device": device or self.device, "dtype": dtype or self.dtype}
        return KVCache([torch.zeros(shape, **kw) for _ in self.blocks], [torch.zeros(shape, **kw) for _ in self.blocks])
