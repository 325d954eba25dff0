import os

os.environ.setdefault("INTERNAL_RL_QUIET", "1")

import torch  # noqa: E402

torch.set_num_threads(1)
