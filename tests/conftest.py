import os
import socket

os.environ.setdefault("INTERNAL_RL_QUIET", "1")

import torch  # noqa: E402

torch.set_num_threads(1)


import pytest  # noqa: E402


@pytest.fixture
def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free now (MASTER_PORT for tests that start gloo ranks)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
