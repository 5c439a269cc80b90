"""Faults under mpiexec: argv[1] says what rank 1 does while rank 0 waits in a collective."""
import datetime
import os
import signal
import sys
import time

import ember
import ember.distributed as dist
from _say import say
from ember import nn
from ember.nn.parallel import DistributedDataParallel as DDP

mode = sys.argv[1]
dist.init_process_group(timeout=datetime.timedelta(seconds=float(sys.argv[2]) if len(sys.argv) > 2 else 60))
rank = dist.get_rank()

if mode == "mismatch":
    model = nn.Sequential(nn.Linear(4, 3 if rank == 0 else 5), nn.ReLU())
    try:
        DDP(model)
    except RuntimeError as e:
        say(f"MISMATCH {rank}: {e}")
    dist.destroy_process_group()
    sys.exit(0)

say(f"READY {rank}")
if rank == 1:
    if mode == "raise":
        raise ValueError("boom on rank 1")
    if mode == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    if mode == "hang":
        time.sleep(120)
dist.all_reduce(ember.ones(4))
say(f"UNREACHABLE {rank}")
