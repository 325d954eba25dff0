"""E57: one-query attention over a prefix view k[:, :, :t] of a cache with capacity C (B = 1024, one thread): the
fused kernel is fast only on contiguous keys and values (C = t). Prints [t, (C, ms), ...]."""

import torch, time
import torch.nn.functional as F

torch.set_num_threads(1)
B, H, K = 1024, 4, 32
q = torch.randn(B, H, 1, K)


def tm(f, n=20):
    f()
    t = time.perf_counter()
    for _ in range(n):
        f()
    return round((time.perf_counter() - t) / n * 1000, 2)


for end in (20, 40, 60):
    row = [end]
    for cap in (end, end + 8, end + 16, 2 * end, 101):
        buf = torch.randn(B, H, cap, K)
        vbuf = torch.randn(B, H, cap, K)
        k = buf[:, :, :end]
        v = vbuf[:, :, :end]
        mask = torch.zeros(1, H, 1, end)
        row.append((cap, tm(lambda: F.scaled_dot_product_attention(q, k, v, attn_mask=mask))))
    print(row)
