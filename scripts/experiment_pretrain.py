"""Pretraining experiment driver: python pre.py NAME encoder=.. depth=.. width=.. lr=.. steps=.. batch=.."""
import sys, json, time, torch
sys.argv.pop(0); name = sys.argv.pop(0)
kw = dict(a.split("=") for a in sys.argv)
torch.set_num_threads(int(kw.pop("threads", 1)))
from internal_rl.config import load_config
from internal_rl.models import Transformer
from internal_rl.models.egocentric import EgocentricEncoder
from internal_rl.models.pretrain import Pretrainer
from internal_rl.data import EpisodeDataset
from internal_rl.train.loop import Schedule, adamw, fit
import dataclasses
enc = kw.pop("encoder", "conv")
mc = dict(depth=int(kw.pop("depth", 4)), width=int(kw.pop("width", 128)), heads=int(kw.pop("heads", 4)),
          mlp=int(kw.pop("mlp", 256)), encoder=("egocentric" if enc == "ego" else enc),
          init_scale=float(kw.pop("init", 0.1)))
cfg = load_config("configs/cpu.yaml", [f"model.{k}={v}" for k, v in mc.items()])
torch.manual_seed(0)
model = Transformer(cfg.model)
steps, lr, bs = int(kw.pop("steps", 3000)), float(kw.pop("lr", 1e-3)), int(kw.pop("batch", 64))
obsw = float(kw.pop("obsw", 0.01)); ev = int(kw.pop("eval", 250))
tr = Pretrainer(model, EpisodeDataset("runs/exp/data/train"), EpisodeDataset("runs/exp/data/eval"),
                batch_size=bs, obs_weight=obsw, eval_episodes=512, seed=0, device=torch.device("cpu"))
t0 = time.time()
def evf():
    r = tr.evaluate(); r["elapsed"] = time.time() - t0
    print(name, json.dumps({k: round(v, 3) for k, v in r.items()}), flush=True); return r
import shutil; shutil.rmtree(f"/tmp/exp/ck_{name}", ignore_errors=True)
hist = fit(modules={"model": model}, optimizer=adamw([model], lr, 0.03),
           schedule=Schedule(steps=steps, lr=lr, weight_decay=0.03, warmup_steps=100, schedule="cosine",
                             grad_clip=1.0, checkpoint_every=10**9, eval_every=ev),
           batch_fn=tr.batch, loss_fn=tr.loss, eval_fn=evf, checkpoint_dir=f"/tmp/exp/ck_{name}", desc=name)
torch.save(model.state_dict(), f"/tmp/exp/{name}.pt")
