#!/usr/bin/env python3
"""Gemma 3 text decoder written directly in PyTorch ops (autograd does the backward): the independent
reference for SharpLM's hand-written training code, and its peer in the training benchmark.

Follows ../shared/spec/gemma3.md section 1 (the HF transformers semantics): embedding x sqrt(H) (rounded to
bf16 when asked), (1+w) RMSNorm with eps inside the sqrt, QK-norm before rotate-half RoPE, causal +
sliding-window GQA with query_pre_attn_scalar^-1/2, GeGLU with tanh GELU, pre- and post-norms, tied head.

Modes
  step  DIR [--dtype float32|float64]...
        reads DIR/manifest.json (config, tensors with offsets into DIR/weights.f32, batch) and writes
        DIR/out-<dtype>.json (loss) and DIR/grads-<dtype>.f32 (every gradient, same layout as the weights).
        Weights may instead come from an HF model.safetensors named in the manifest ("safetensors").
  bench --config JSON --batch B --seq T --steps N --threads K [--warmup W] [--profile]
        trains with AdamW on random tokens and prints one JSON line: tokens/s and peak RSS. --profile prints
        torch.profiler's per-op self CPU time of the timed steps to stderr (where PyTorch's step goes).
  gemm --shapes "M,N,K,aT,bT,acc;..." [--reps R]
        GFLOP/s of torch matmul on each shape (one thread, the calling thread's CPU time, best of R): the same
        products and layouts as SharpLM's train-gemm benchmark. Prints one comma-separated line.
"""
import argparse, json, math, os, resource, struct, sys, time

import numpy as np
import torch
import torch.nn.functional as F


def layer_is_global(cfg, i):
    types = cfg.get("layer_types")
    if types:
        return types[i] == "full_attention"
    p = cfg.get("sliding_window_pattern", 6)
    return p > 0 and (i + 1) % p == 0


def rms_norm(x, w, eps):
    # HF Gemma3RMSNorm: x * rsqrt(mean(x^2) + eps) * (1 + w), computed in the tensor's dtype here.
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * (1.0 + w)


def rope_tables(T, d, base, factor, dtype):
    inv = 1.0 / (base ** (torch.arange(0, d, 2, dtype=torch.float64) / d)) / factor
    ang = torch.arange(T, dtype=torch.float64)[:, None] * inv[None, :]
    emb = torch.cat([ang, ang], dim=-1)
    return emb.cos().to(dtype), emb.sin().to(dtype)


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat([-x[..., h:], x[..., :h]], dim=-1)


class Gemma3(torch.nn.Module):
    def __init__(self, cfg, dtype):
        super().__init__()
        self.cfg = cfg
        H, I = cfg["hidden_size"], cfg["intermediate_size"]
        nH, nKV, d = cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["head_dim"]
        self.p = torch.nn.ParameterDict()
        def add(name, *shape):
            self.p[name.replace(".", "__")] = torch.nn.Parameter(torch.zeros(*shape, dtype=dtype))
        add("model.embed_tokens.weight", cfg["vocab_size"], H)
        for i in range(cfg["num_hidden_layers"]):
            q = f"model.layers.{i}."
            add(q + "input_layernorm.weight", H)
            add(q + "self_attn.q_proj.weight", nH * d, H)
            add(q + "self_attn.k_proj.weight", nKV * d, H)
            add(q + "self_attn.v_proj.weight", nKV * d, H)
            add(q + "self_attn.o_proj.weight", H, nH * d)
            add(q + "self_attn.q_norm.weight", d)
            add(q + "self_attn.k_norm.weight", d)
            add(q + "post_attention_layernorm.weight", H)
            add(q + "pre_feedforward_layernorm.weight", H)
            add(q + "mlp.gate_proj.weight", I, H)
            add(q + "mlp.up_proj.weight", I, H)
            add(q + "mlp.down_proj.weight", H, I)
            add(q + "post_feedforward_layernorm.weight", H)
        add("model.norm.weight", H)
        self.dtype = dtype
        self._ropes = {}

    def w(self, name):
        return self.p[name.replace(".", "__")]

    def names(self):
        return [k.replace("__", ".") for k in self.p.keys()]

    def rope(self, T, glob):
        key = (T, glob)
        if key not in self._ropes:
            c = self.cfg
            if glob:
                base = c.get("rope_theta", 1e6)
                sc = c.get("rope_scaling") or {}
                factor = sc.get("factor", 1.0) if sc else 1.0
            else:
                base, factor = c.get("rope_local_base_freq", 1e4), 1.0
            self._ropes[key] = rope_tables(T, c["head_dim"], base, factor, self.dtype)
        return self._ropes[key]

    def forward(self, tokens, targets):
        c = self.cfg
        B, T = tokens.shape
        H, nH, nKV, d = c["hidden_size"], c["num_attention_heads"], c["num_key_value_heads"], c["head_dim"]
        eps = c.get("rms_norm_eps", 1e-6)
        scale = math.sqrt(H)
        if c.get("_embed_scale_mode", "bf16") == "bf16":
            scale = float(torch.tensor(scale, dtype=torch.float32).to(torch.bfloat16).float())
        E = self.w("model.embed_tokens.weight")
        h = F.embedding(tokens, E) * scale
        pos = torch.arange(T)
        causal = pos[None, :] <= pos[:, None]
        for i in range(c["num_hidden_layers"]):
            q_ = f"model.layers.{i}."
            glob = layer_is_global(c, i)
            mask = causal if glob else causal & (pos[:, None] - pos[None, :] < c["sliding_window"])
            cos, sin = self.rope(T, glob)
            a = rms_norm(h, self.w(q_ + "input_layernorm.weight"), eps)
            q = (a @ self.w(q_ + "self_attn.q_proj.weight").T).view(B, T, nH, d)
            k = (a @ self.w(q_ + "self_attn.k_proj.weight").T).view(B, T, nKV, d)
            v = (a @ self.w(q_ + "self_attn.v_proj.weight").T).view(B, T, nKV, d)
            q = rms_norm(q, self.w(q_ + "self_attn.q_norm.weight"), eps).transpose(1, 2)
            k = rms_norm(k, self.w(q_ + "self_attn.k_norm.weight"), eps).transpose(1, 2)
            v = v.transpose(1, 2)
            q = q * cos + rotate_half(q) * sin
            k = k * cos + rotate_half(k) * sin
            k = k.repeat_interleave(nH // nKV, dim=1)
            v = v.repeat_interleave(nH // nKV, dim=1)
            s = (q @ k.transpose(-1, -2)) * (c["query_pre_attn_scalar"] ** -0.5)
            s = s.masked_fill(~mask, float("-inf"))
            o = (torch.softmax(s, dim=-1) @ v).transpose(1, 2).reshape(B, T, nH * d)
            o = o @ self.w(q_ + "self_attn.o_proj.weight").T
            h = h + rms_norm(o, self.w(q_ + "post_attention_layernorm.weight"), eps)
            m = rms_norm(h, self.w(q_ + "pre_feedforward_layernorm.weight"), eps)
            g = F.gelu(m @ self.w(q_ + "mlp.gate_proj.weight").T, approximate="tanh")
            m = (g * (m @ self.w(q_ + "mlp.up_proj.weight").T)) @ self.w(q_ + "mlp.down_proj.weight").T
            h = h + rms_norm(m, self.w(q_ + "post_feedforward_layernorm.weight"), eps)
        h = rms_norm(h, self.w("model.norm.weight"), eps)
        logits = h @ E.T
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=-1)


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    dt = {"F32": np.float32, "F16": np.float16}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        if info["dtype"] == "BF16":
            raw = np.frombuffer(data[a:b], dtype=np.uint16).astype(np.uint32) << 16
            arr = raw.view(np.float32)
        else:
            arr = np.frombuffer(data[a:b], dtype=dt[info["dtype"]]).astype(np.float32)
        out[name] = arr.reshape(info["shape"])
    return out


def step(args):
    d = args.dir
    man = json.load(open(os.path.join(d, "manifest.json")))
    cfg = dict(man["config"])
    cfg["_embed_scale_mode"] = man.get("embed_scale_mode", "bf16")
    B, T = man["batch"], man["seq"]
    tokens = torch.tensor(man["inputs"], dtype=torch.long).view(B, T)
    targets = torch.tensor(man["targets"], dtype=torch.long).view(B, T)
    if "safetensors" in man:
        st = read_safetensors(os.path.join(d, man["safetensors"]))
        weights = None
    else:
        weights = np.fromfile(os.path.join(d, "weights.f32"), dtype=np.float32)
    for dtype_name in args.dtype:
        dtype = {"float32": torch.float32, "float64": torch.float64}[dtype_name]
        model = Gemma3(cfg, dtype)
        with torch.no_grad():
            for t in man["tensors"]:
                if weights is not None:
                    n = int(np.prod(t["shape"]))
                    arr = weights[t["offset"]:t["offset"] + n].reshape(t["shape"])
                else:
                    arr = st[t["name"]]
                    assert list(arr.shape) == list(t["shape"]), (t["name"], arr.shape, t["shape"])
                model.w(t["name"]).copy_(torch.from_numpy(np.ascontiguousarray(arr)).to(dtype))
        loss = model(tokens, targets)
        loss.backward()
        total = max(t["offset"] + int(np.prod(t["shape"])) for t in man["tensors"])
        grads = np.zeros(total, dtype=np.float64 if dtype == torch.float64 else np.float32)
        for t in man["tensors"]:
            g = model.w(t["name"]).grad.detach().numpy().reshape(-1)
            grads[t["offset"]:t["offset"] + g.size] = g
        grads.astype(np.float64).tofile(os.path.join(d, f"grads-{dtype_name}.f64"))
        json.dump({"loss": float(loss.item()), "torch": torch.__version__},
                  open(os.path.join(d, f"out-{dtype_name}.json"), "w"))


def bench(args):
    torch.set_num_threads(args.threads)
    cfg = json.load(open(args.config)) if os.path.exists(args.config) else json.loads(args.config)
    model = Gemma3(cfg, torch.float32)
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for name, p in model.p.items():
            if p.dim() == 2:
                p.normal_(0, 0.02, generator=g)
    decay = [p for p in model.p.values() if p.dim() == 2]
    nodecay = [p for p in model.p.values() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": nodecay, "weight_decay": 0.0}],
                            lr=1e-3, betas=(0.9, 0.95), eps=1e-8)
    V = cfg["vocab_size"]
    data = torch.randint(0, V, (args.steps + args.warmup, args.batch, args.seq + 1), generator=g)
    times = []
    losses = []
    prof = None
    for s in range(args.warmup + args.steps):
        if args.profile and s == args.warmup:
            prof = torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU])
            prof.__enter__()
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = model(data[s, :, :-1], data[s, :, 1:])
        loss.backward()
        opt.step()
        dt = time.perf_counter() - t0
        losses.append(float(loss.item()))
        if s >= args.warmup:
            times.append(dt)
    if prof is not None:
        prof.__exit__(None, None, None)
        print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=30), file=sys.stderr)
    tok = args.batch * args.seq
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"peer": "pytorch", "torch": torch.__version__, "threads": args.threads,
                      "step_s": times, "tokens_per_s": tok * len(times) / sum(times),
                      "peak_rss_mb": rss_kb / 1024.0, "loss_first": losses[0], "loss_last": losses[-1]}))


def gemm(args):
    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(1)
    rates = []
    for spec in args.shapes.split(";"):
        M, N, K, aT, bT, acc = (int(v) for v in spec.split(","))
        a = torch.rand((K, M) if aT else (M, K), generator=g) - 0.5
        b = torch.rand((N, K) if bT else (K, N), generator=g) - 0.5
        c = torch.zeros(M, N)
        A = a.t() if aT else a
        Bm = b.t() if bT else b
        def run():
            if acc:
                c.addmm_(A, Bm)
            else:
                torch.mm(A, Bm, out=c)
        run()
        best = float("inf")
        for _ in range(args.reps):
            t0 = time.thread_time()
            run()
            best = min(best, time.thread_time() - t0)
        rates.append(2.0 * M * N * K / best / 1e9)
    print(",".join(f"{r:.3f}" for r in rates))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="mode", required=True)
    s = sub.add_parser("step")
    s.add_argument("dir")
    s.add_argument("--dtype", nargs="+", default=["float32", "float64"])
    b = sub.add_parser("bench")
    b.add_argument("--config", required=True)
    b.add_argument("--batch", type=int, required=True)
    b.add_argument("--seq", type=int, required=True)
    b.add_argument("--steps", type=int, default=10)
    b.add_argument("--warmup", type=int, default=2)
    b.add_argument("--threads", type=int, default=2)
    b.add_argument("--profile", action="store_true")
    m = sub.add_parser("gemm")
    m.add_argument("--shapes", required=True)
    m.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()
    torch.set_num_threads(getattr(args, "threads", 2) if args.mode != "gemm" else 1)
    {"step": step, "bench": bench, "gemm": gemm}[args.mode](args)


if __name__ == "__main__":
    main()
