import os
import socket
import subprocess

os.environ.setdefault("INTERNAL_RL_QUIET", "1")

import torch  # noqa: E402

torch.set_num_threads(1)


import pytest  # noqa: E402


@pytest.fixture
def two_ranks():
    """``start(cmd, **popen_kwargs)``: ``cmd`` as two gloo ranks, with the environment torchrun gives its workers
    (init_distributed reads it; MASTER_PORT a port on 127.0.0.1 that is free now); returns the two processes."""

    def start(cmd: list[str], **kwargs) -> list[subprocess.Popen]:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        env = {
            **os.environ,
            "OMP_NUM_THREADS": "1",
            "INTERNAL_RL_QUIET": "1",
            "WORLD_SIZE": "2",
            "MASTER_ADDR": "127.0.0.1",
            "MASTER_PORT": str(port),
        }
        return [subprocess.Popen(cmd, env={**env, "RANK": str(r), "LOCAL_RANK": str(r)}, **kwargs) for r in (0, 1)]

    return start
