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

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from internal_rl.models.actions import action_head
from internal_rl.models.config import TransformerConfig
from internal_rl.models.egocentric import EgocentricEncoder
from internal_rl.models.encoders import EmbeddingSumEncoder, make_encoder, obs_head, variance_scaling_
from internal_rl.models.residual import ResidualStreamModel


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
    """Preallocated per-layer keys/values (B, H, max_len, K) and the number of positions filled per layer. Positions
    at or past a layer's length are never read (they hold whatever the memory held: buffers are not zero-filled)."""

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
        """A cache holding only ``rows`` (a bool mask or indices): = running those rows alone. Only the filled
        positions are copied."""

        def take(x: Tensor, filled: int) -> Tensor:
            part = x[:, :, :filled][rows]  # (b, H, filled, K)
            out = x.new_empty((part.shape[0], *x.shape[1:]))
            out[:, :, :filled] = part
            return out

        k = [take(x, n) for x, n in zip(self.k, self.lengths, strict=True)]
        out = KVCache(k, [take(x, n) for x, n in zip(self.v, self.lengths, strict=True)])
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
        mask = self.attention_bias(start, T, k.shape[2])  # (1, H, T, S)
        if q.dtype == torch.bfloat16 and q.device.type == "cpu":
            # Under CPU bf16 autocast the attention itself runs in fp32: PyTorch's CPU flash attention is ~2.7x
            # slower in bf16 than in fp32 (forward + backward at T = 31-100; docs/experiments.md E32).
            with torch.autocast("cpu", enabled=False):
                y = F.scaled_dot_product_attention(q.float(), k.float(), v.float(), attn_mask=mask.float())
        else:
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask.to(q.dtype))  # (B, H, T, K)
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
                variance_scaling_(module.weight, scale)
                nn.init.zeros_(module.bias)
            elif isinstance(module, nn.LayerNorm):
                module.reset_parameters()
            elif isinstance(module, nn.Embedding):  # relative-position bias tables
                nn.init.zeros_(module.weight)
            elif isinstance(module, EgocentricEncoder):  # both tables: fan_in = O, as the dense map
                variance_scaling_(module.absolute.T, self.cfg.init_scale)
                std = math.sqrt(self.cfg.init_scale / self.cfg.obs_dim) / 0.87962566103423978
                nn.init.trunc_normal_(module.relative, std=std, a=-2 * std, b=2 * std)
            elif isinstance(module, EmbeddingSumEncoder):
                variance_scaling_(module.weight.T, self.cfg.init_scale)  # fan_in = O, as the dense map
                nn.init.zeros_(module.bias)

    def new_cache(
        self, batch_size: int, max_len: int, device: torch.device | str | None = None, dtype: torch.dtype | None = None
    ) -> KVCache:
        """Empty cache for ``batch_size`` sequences of up to ``max_len`` steps (default: model dtype)."""
        shape = (batch_size, self.cfg.heads, max_len, self.cfg.head_dim)  # (B, H, max_len, K)
        kw = {"device": device or self.device, "dtype": dtype or self.dtype}
        return KVCache([torch.empty(shape, **kw) for _ in self.blocks], [torch.empty(shape, **kw) for _ in self.blocks])
