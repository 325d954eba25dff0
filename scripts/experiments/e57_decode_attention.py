"""E57: one-query attention over a prefix view k[:, :, :t] of a cache with capacity C (B = 1024, one thread): the
fused kernel is fast only on contiguous keys and values (C = t). Prints [t, (C, ms), ...] per t.

Usage: .venv/bin/python scripts/experiments/e57_decode_attention.py   (on otherwise idle cores)
"""

import time

import torch
import torch.nn.functional as F

torch.set_num_threads(1)
B, H, K = 1024, 4, 32


def milliseconds(q, k, v, mask, n: int = 20) -> float:
    F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    start = time.perf_counter()
    for _ in range(n):
        F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    return round((time.perf_counter() - start) / n * 1000, 2)


q = torch.randn(B, H, 1, K)
for end in (20, 40, 60):
    row: list = [end]
    for cap in (end, end + 8, end + 16, 2 * end, 101):
        keys, values = torch.randn(B, H, cap, K), torch.randn(B, H, cap, K)
        row.append((cap, milliseconds(q, keys[:, :, :end], values[:, :, :end], torch.zeros(1, H, 1, end))))
    print(row)
