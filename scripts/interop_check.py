#!/usr/bin/env python3
"""`make test-interop`: scripts/train_hf.py computes our updates on 1 process and on 2, and we open its output.

Runs in the HF virtual environment (`make hf-venv`) against a release build of reformer-tui, CPU only:

    python scripts/interop_check.py --ours .build/release/reformer-tui [--steps 4] [--keep DIR]

Checks, one line each (PASS / FAIL / SKIP), then `interop: N passed, M failed`; the exit status is 1
when any check failed:
- data: train_hf.py's copy rows and text windows are reformer-tui's, bit for bit — `reformer-tui train`
  one step and `reformer-tui inspect` on the rows train_hf.py generates give the same loss, on a model
  whose attention does not hash (the loss then depends on weights and data only) and whose wide
  initialisation makes every row's loss different (the next batch's loss is shown for scale);
- first step from one of our checkpoints (`reformer-tui train`, a few steps; the copy preset, and a
  small text model with local and hashing LSH layers and axial positions): train_hf.py continues our
  data stream, learning-rate schedule and Adam moments, and its first loss and gradients equal
  `reformer-tui inspect --grads` on the same batch with the same LSH rotations (dumped by
  `train_hf.py --dump-first-batch`);
- equal update: K steps from that checkpoint on one process (batch 8) and on two (4 each) under
  `torchrun --nproc_per_node 2` and under `accelerate launch --multi_gpu --num_processes 2` (gloo): the
  logged losses and every parameter after each step agree within float tolerance; and the one-process
  run's middle checkpoint resumed under torchrun (Trainer's resume: optimizer, schedule, step, data
  position) ends where the one-process run ended;
- TensorBoard events of the torchrun run hold train/loss for every step (what `watch` follows);
- reformer-tui opens the newest checkpoint of the torchrun run: `sample`, `eval`, `train --from` (skipped,
  with the reason, when this binary has no such flag) and `watch` (in tmux: the newest checkpoint, an
  LSH layer and the finished state on screen, q → exit 0; skipped without tmux).
"""

import argparse
import glob
import json
import math
import os
import time
import shlex
import re
import shutil
import socket
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
TRAIN_HF = os.path.join(HERE, "train_hf.py")
sys.path.insert(0, HERE)
import train_hf  # noqa: E402  (the generators under test)

LOSS_TOLERANCE = 1e-5        # relative, between two float32 computations of one loss
GRADIENT_TOLERANCE = 1e-4    # max |Δg| over max |g|, per tensor
PARAMETER_TOLERANCE = 1e-6   # max |Δp| between 1 and 2 processes, absolute
HF_LEARNING_RATE = 0.05      # peak lr of the HF runs: the warmup then moves parameters by ~1e-3 per step


class Failed(Exception):
    """A step a check depends on did not work; the message says which and why."""


class Report:
    def __init__(self):
        self.passed = self.failed = self.skipped = 0

    def result(self, name, ok, detail):
        self.passed += ok
        self.failed += not ok
        print(f"{'PASS' if ok else 'FAIL'} {name}: {detail}", flush=True)

    def skip(self, name, reason):
        self.skipped += 1
        print(f"SKIP {name}: {reason}", flush=True)

    def run(self, name, body):
        """body() returns (ok, detail); a Failed or unexpected error is a failed check."""
        try:
            ok, detail = body()
        except Failed as e:
            ok, detail = False, str(e)
        except Exception as e:  # a broken check must say so on its own line, not stop the others
            ok, detail = False, f"{type(e).__name__}: {e}"
        self.result(name, ok, detail)
        return ok


def watch_check(ours, out, newest, work):
    """`reformer-tui watch OUT` in a tmux pane at 160x48: the newest checkpoint's name, an LSH layer
    in the buckets panel and the finished state on one screen, then q → exit status 0."""
    if not out or not os.path.isdir(out):
        raise Failed("the torchrun run's output folder was not written")
    server = f"interop-watch-{os.getpid()}"
    name = os.path.basename(newest.rstrip("/"))
    tmux = ["tmux", "-L", server]
    wrapper = f"{shlex.quote(ours)} watch {shlex.quote(out)}; echo \"WATCH-EXIT=$? END\"; sleep 600"
    subprocess.run(tmux + ["new-session", "-d", "-s", "w", "-x", "160", "-y", "48", "-e", "LANG=C.UTF-8", wrapper], check=True)
    def screen():
        return subprocess.run(tmux + ["capture-pane", "-p", "-J", "-t", "w"], capture_output=True, text=True).stdout
    try:
        deadline, text = time.time() + 120, ""
        while time.time() < deadline:
            text = screen()
            if name in text and re.search(r"layer \d+/\d+ LSH", text) and "finished" in text:
                break
            time.sleep(0.1)
        else:
            raise Failed(f"within 120 s the screen never showed {name}, an LSH layer and 'finished'; it showed: "
                         + " | ".join(l.strip() for l in text.splitlines() if l.strip())[:600])
        step = re.search(r"step (\d+)/(\d+)", text)
        subprocess.run(tmux + ["send-keys", "-t", "w", "q"], check=True)
        deadline = time.time() + 60
        while time.time() < deadline:
            code = re.search(r"WATCH-EXIT=(\d+) END", screen())
            if code:
                break
            time.sleep(0.1)
        else:
            raise Failed("watch still running 60 s after q")
        return code.group(1) == "0", (f"{name} with an LSH layer in the buckets panel, {step.group(0) if step else 'no step'}, "
                                      f"finished; q → exit {code.group(1)}")
    finally:
        subprocess.run(tmux + ["kill-server"], capture_output=True)


def run(cmd, what, env=None, timeout=900):
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout, cwd=REPO)
    if done.returncode != 0:
        # stderr's last lines carry the error; stdout's last lines only say how far it got.
        tail = [l for l in done.stdout.strip().splitlines() if l.strip()][-2:] + \
            [l for l in done.stderr.strip().splitlines() if l.strip()][-4:]
        raise Failed(f"{what} exited {done.returncode}: {' | '.join(tail)}")
    return done


def relative(a, b):
    return abs(a - b) / max(abs(b), 1e-30)


def inspect_loss(ours, model, inputs, out, grads=False):
    cmd = [ours, "inspect", "--model", model, "--inputs", inputs, "--out", out] + (["--grads"] if grads else [])
    line = run(cmd, "reformer-tui inspect").stdout
    m = re.search(r"loss (\S+) over", line)
    if not m:
        raise Failed(f"reformer-tui inspect printed no loss: {line.strip()}")
    return float(m.group(1))


def write_batch(path, ids, labels):
    import torch
    from safetensors.torch import save_file
    save_file({"input_ids": torch.tensor(ids, dtype=torch.long), "labels": torch.tensor(labels, dtype=torch.long)}, path)


def write_config(base, path, **changes):
    """`base` with `changes`, written to `path` as a config.json."""
    config = dict(base)
    config.update(changes)
    with open(path, "w") as f:
        json.dump(config, f, indent=1)
    return path


def tiny_text_config(length, lsh_chunk, initializer_range=0.02, axial=False):
    """A small byte-level model, local then LSH attention (hashing unless lsh_chunk covers the row)."""
    return {"architectures": ["ReformerModelWithLMHead"], "model_type": "reformer", "is_decoder": True,
            "attn_layers": ["local", "lsh"], "hidden_size": 32, "feed_forward_size": 32, "num_attention_heads": 2,
            "attention_head_size": 16, "hidden_act": "relu", "vocab_size": 256, "pad_token_id": 0, "eos_token_id": None,
            "max_position_embeddings": length, "axial_pos_embds": axial, "axial_pos_shape": [8, length // 8],
            "axial_pos_embds_dim": [16, 16], "axial_norm_std": 0.02, "local_attn_chunk_length": 16,
            "local_num_chunks_before": 1, "local_num_chunks_after": 0, "lsh_attn_chunk_length": lsh_chunk,
            "lsh_num_chunks_before": 1, "lsh_num_chunks_after": 0, "num_buckets": max(2, 2 * length // lsh_chunk),
            "num_hashes": 2, "hash_seed": None, "hidden_dropout_prob": 0.0, "lsh_attention_probs_dropout_prob": 0.0,
            "local_attention_probs_dropout_prob": 0.0, "initializer_range": initializer_range, "layer_norm_eps": 1e-12,
            "tie_word_embeddings": False}


def compare_gradients(hf_file, ours_file):
    """(worst max|Δg|/max|g| over the gradient tensors, its name, how many) between two dumps."""
    from safetensors.torch import load_file

    a, b = load_file(hf_file), load_file(ours_file)
    names = [k for k in a if k.startswith("grad.")]
    missing = [k for k in names if k not in b]
    if missing or not names:
        raise Failed(f"gradients missing on our side: {missing[:3]}" if missing else "train_hf dumped no gradients")
    ratios = {k: (a[k] - b[k]).abs().max().item() / max(b[k].abs().max().item(), 1e-30) for k in names}
    worst = max(ratios, key=ratios.get)
    return ratios[worst], worst[len("grad."):], len(names)


def text_first_step(ours, work):
    """Our tiny text run (axial positions, local + hashing LSH) → train_hf one step: loss and gradients."""
    folder = os.path.join(work, "text-run")
    os.makedirs(folder)
    config = write_config(tiny_text_config(64, lsh_chunk=16, axial=True), os.path.join(folder, "config.json"))
    data = train_hf.load_preset("text")[1]["text"]["data"]
    origin = os.path.join(folder, "ours")
    run([ours, "train", "--task", "text", "--config", config, "--data", data, "--steps", "3", "--headless",
         "--checkpoint", origin], "reformer-tui train --task text")
    dump = os.path.join(folder, "first-batch.safetensors")
    run([sys.executable, TRAIN_HF, "--from", origin, "--out", os.path.join(folder, "hf"), "--max-steps", "1",
         "--batch-size", "4", "--report", "none", "--logging-steps", "1", "--dump-first-batch", dump],
        "train_hf.py", env=dict(os.environ, OMP_NUM_THREADS="1", CUDA_VISIBLE_DEVICES=""))
    loss = inspect_loss(ours, origin, dump, os.path.join(folder, "first-batch-ours.safetensors"), grads=True)
    hf = log_losses(os.path.join(folder, "hf", "checkpoint-1"))[1]["loss"]
    ratio, worst, count = compare_gradients(dump, os.path.join(folder, "first-batch-ours.safetensors"))
    ok = relative(hf, loss) <= LOSS_TOLERANCE and ratio <= GRADIENT_TOLERANCE
    return ok, (f"4 windows of 64 bytes, local + LSH (2 hashes), axial positions: train_hf's step 1 loss {hf:.6f}, "
                f"reformer-tui inspect {loss:.6f}; {count} gradient tensors, largest max|Δg|/max|g| {ratio:.1e} ({worst})")


def check_data(ours, work, task):
    """Our train step 1 loss vs inspect on train_hf's rows, same init, same unhashed config."""
    folder = os.path.join(work, f"data-{task}")
    os.makedirs(folder)
    if task == "copy":
        preset = json.load(open(os.path.join(REPO, "assets", "presets", "copy", "config.json")))
        settings = train_hf.load_preset("copy")[1]
        length = 2 * settings["copy"]["word_length"] + 2
        config = write_config(preset, os.path.join(folder, "config.json"), lsh_attn_chunk_length=length, initializer_range=1.0)
        rows = train_hf.TaskRows("copy", train_hf.SplitMix64.stream(train_hf.COPY_TRAINING, 0).state,
                                 word_length=settings["copy"]["word_length"])
        extra = []
    else:
        settings = train_hf.load_preset("text")[1]
        length = 64
        tiny = tiny_text_config(length, lsh_chunk=length, initializer_range=1.0)
        config = write_config(tiny, os.path.join(folder, "config.json"))
        data = settings["text"]["data"]
        tokens, _, _ = train_hf.text_tokens(data, None, 256)
        count = train_hf.training_count(len(tokens), settings["text"]["validation_fraction"])
        rows = train_hf.TaskRows("text", train_hf.SplitMix64.stream(train_hf.TEXT_TRAINING, 0).state,
                                 tokens=tokens, train_count=count, length=length)
        extra = ["--data", data]
    batch = settings["batch_size"]
    run([ours, "train", "--task", task, "--config", config, "--steps", "1", "--seed", "0", "--headless",
         "--checkpoint", os.path.join(folder, "run")] + extra, "reformer-tui train")
    ours_loss = json.load(open(os.path.join(folder, "run", "trainer_state.json")))["history"][0]["loss"]
    run([ours, "init", "--config", config, "--seed", "0", "--out", os.path.join(folder, "init")], "reformer-tui init")
    ids, labels = rows.batch(2 * batch)
    write_batch(os.path.join(folder, "first.safetensors"), ids[:batch], labels[:batch])
    write_batch(os.path.join(folder, "second.safetensors"), ids[batch:], labels[batch:])
    first = inspect_loss(ours, os.path.join(folder, "init"), os.path.join(folder, "first.safetensors"), os.path.join(folder, "o1.safetensors"))
    second = inspect_loss(ours, os.path.join(folder, "init"), os.path.join(folder, "second.safetensors"), os.path.join(folder, "o2.safetensors"))
    what = f"{batch} row(s) of {length}" + (f" from {os.path.relpath(data, REPO)}" if task == "text" else "")
    ok = relative(first, ours_loss) <= LOSS_TOLERANCE and relative(second, ours_loss) > 100 * LOSS_TOLERANCE
    return ok, (f"{what}: loss on train_hf's first batch {first:.6f}, reformer-tui train's step 1 {ours_loss:.6f} "
                f"(train_hf's second batch: {second:.6f})")


def log_losses(folder):
    """The logged training losses by step from Trainer's trainer_state.json."""
    history = json.load(open(os.path.join(folder, "trainer_state.json")))["log_history"]
    return {e["step"]: e for e in history if "loss" in e}


def hf_run(work, name, launcher, origin, steps, batch, report="none", dump=None):
    out = os.path.join(work, name)
    cmd = launcher + [TRAIN_HF, "--from", origin, "--out", out, "--max-steps", str(steps), "--save-steps", "1",
                      "--batch-size", str(batch), "--learning-rate", str(HF_LEARNING_RATE), "--logging-steps", "1",
                      "--report", report] + (["--dump-first-batch", dump] if dump else [])
    env = dict(os.environ, OMP_NUM_THREADS="1", TOKENIZERS_PARALLELISM="false", CUDA_VISIBLE_DEVICES="")
    done = run(cmd, f"{' '.join(os.path.basename(c) for c in launcher[:1])} train_hf.py", env=env)
    return out, done.stdout


def compare_runs(start_folder, single, multi, steps, first=1):
    """Logged losses and parameters of two runs after each of the steps first…steps."""
    from safetensors.torch import load_file

    wanted = list(range(first, steps + 1))
    la, lb = log_losses(os.path.join(single, f"checkpoint-{steps}")), log_losses(os.path.join(multi, f"checkpoint-{steps}"))
    if not set(wanted) <= set(la) or not set(wanted) <= set(lb):   # a resumed run keeps the earlier history
        raise Failed(f"logged steps are {sorted(la)} and {sorted(lb)}, expected {wanted}")
    loss_diff = max(relative(lb[k]["loss"], la[k]["loss"]) for k in wanted)
    diffs, moved = [], 0.0
    start = load_file(os.path.join(start_folder, "model.safetensors"))
    for k in wanted:
        a = load_file(os.path.join(single, f"checkpoint-{k}", "model.safetensors"))
        b = load_file(os.path.join(multi, f"checkpoint-{k}", "model.safetensors"))
        if set(a) != set(b):
            raise Failed(f"checkpoint-{k}: the runs saved different tensors")
        diffs.append(max((a[n] - b[n]).abs().max().item() for n in a))
        moved = max(moved, max((a[n] - start[n]).abs().max().item() for n in a if n in start))
    ok = loss_diff <= LOSS_TOLERANCE and max(diffs) <= PARAMETER_TOLERANCE and moved > 100 * PARAMETER_TOLERANCE
    losses = ", ".join(f"{la[k]['loss']:.5f}" for k in wanted)
    return ok, (f"steps {first}…{steps}, global batch 8: losses {losses} (max relative difference {loss_diff:.1e}); "
                f"max |Δparameter| after each step {', '.join(f'{d:.1e}' for d in diffs)} "
                f"(parameters moved up to {moved:.1e} from the start)")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def subcommands(ours):
    """The subcommand names `reformer-tui help` lists."""
    text = subprocess.run([ours, "help"], capture_output=True, text=True).stdout
    section = text.split("SUBCOMMANDS:", 1)[-1]
    return set(re.findall(r"^  (\S+)", section, re.M))


def tensorboard_steps(folder):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    files = glob.glob(os.path.join(folder, "runs", "*", "events.out.tfevents.*"))
    if not files:
        raise Failed(f"no events.out.tfevents.* under {folder}/runs")
    steps = set()
    for f in files:
        acc = EventAccumulator(f)
        acc.Reload()
        if "train/loss" in acc.Tags().get("scalars", []):
            steps |= {e.step for e in acc.Scalars("train/loss")}
    return files, sorted(steps)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ours", required=True, help="the reformer-tui binary (release build)")
    parser.add_argument("--steps", type=int, default=4, help="steps of the equal-update runs (default 4)")
    parser.add_argument("--keep", help="work in this folder and keep it (default: a temporary folder, removed)")
    args = parser.parse_args()
    if not os.access(args.ours, os.X_OK):
        parser.error(f"--ours: {args.ours} is not an executable")
    if args.steps < 1:
        parser.error("--steps must be at least 1")
    ours = os.path.abspath(args.ours)
    bin_dir = os.path.dirname(sys.executable)
    torchrun = [os.path.join(bin_dir, "torchrun"), "--standalone", "--nproc_per_node", "2"]
    # The rendezvous port is picked right before each launch (a port found free at start-up may be
    # taken by then on a busy machine).
    def accelerate():
        return [os.path.join(bin_dir, "accelerate"), "launch", "--multi_gpu", "--num_processes", "2", "--num_machines", "1",
                "--mixed_precision", "no", "--dynamo_backend", "no", "--main_process_port", str(free_port())]
    if args.keep:
        work = os.path.abspath(args.keep)
        shutil.rmtree(work, ignore_errors=True)
        os.makedirs(work)
    else:
        work = tempfile.mkdtemp(prefix="reformer-interop-")
    import torch
    import transformers
    print(f"interop: transformers {transformers.__version__}, torch {torch.__version__} (CPU, gloo), {ours}; work in {work}", flush=True)

    r = Report()
    r.run("data: copy rows are reformer-tui's", lambda: check_data(ours, work, "copy"))
    r.run("data: text windows are reformer-tui's", lambda: check_data(ours, work, "text"))

    # One of our own runs, a few steps in (the copy preset: 1 LSH layer, 4 hash rounds).
    origin = os.path.join(work, "ours")
    state = {}
    try:
        run([ours, "train", "--task", "copy", "--steps", "5", "--checkpoint", origin, "--headless"], "reformer-tui train")
        state = json.load(open(os.path.join(origin, "trainer_state.json")))
    except Failed as e:
        origin_error = str(e)
    else:
        origin_error = None

    single = {}

    def first_step():
        if origin_error:
            raise Failed(f"no checkpoint of ours: {origin_error}")
        dump = os.path.join(work, "first-batch.safetensors")
        out, stdout = hf_run(work, "hf-1proc", [sys.executable], origin, args.steps, 8, dump=dump)
        single["out"], single["stdout"], single["dump"] = out, stdout, dump
        from safetensors.torch import load_file
        loss = inspect_loss(ours, origin, dump, os.path.join(work, "first-batch-ours.safetensors"), grads=True)
        hf = log_losses(os.path.join(out, "checkpoint-1"))[1]
        ok = relative(hf["loss"], loss) <= LOSS_TOLERANCE
        return ok, (f"from our checkpoint at step {state['step']}: train_hf's step 1 loss {hf['loss']:.6f}, "
                    f"reformer-tui inspect on its batch and rotations {loss:.6f}")

    def first_gradients():
        if "dump" not in single:
            raise Failed("the first-step run did not complete")
        ratio, worst, count = compare_gradients(single["dump"], os.path.join(work, "first-batch-ours.safetensors"))
        return ratio <= GRADIENT_TOLERANCE, f"{count} tensors, largest max|Δg|/max|g| {ratio:.1e} ({worst})"

    def continuation():
        if "dump" not in single:
            raise Failed("the first-step run did not complete")
        from safetensors.torch import load_file
        settings = state["settings"]
        rows = train_hf.TaskRows("copy", train_hf.parse_state(state["dataGenerator"], "trainer_state.json", "dataGenerator"),
                                 word_length=settings["copy"]["word_length"])
        ids, _ = rows.batch(8)
        dumped = load_file(single["dump"])["input_ids"].tolist()
        lr = log_losses(os.path.join(single["out"], "checkpoint-1"))[1]["learning_rate"]
        expected_lr = train_hf.engine_learning_rate(state["step"], dict(settings, learning_rate=HF_LEARNING_RATE), state["step"] + args.steps)
        m = re.search(r"(\d+) moment pairs from optimizer.safetensors", single["stdout"])
        ok = dumped == ids and relative(lr, expected_lr) <= 1e-6 and m is not None and int(m.group(1)) > 0
        return ok, (f"first batch {'=' if dumped == ids else '≠'} the rows after our dataGenerator {state['dataGenerator']}; "
                    f"lr {lr:.4e} (ours at step {state['step'] + 1}: {expected_lr:.4e}); "
                    f"{m.group(1) if m else 'no'} Adam moment pairs loaded")

    r.run("first step from our checkpoint: loss = reformer-tui's", first_step)
    r.run("first step from our checkpoint: gradients = reformer-tui's", first_gradients)
    r.run("first step from our checkpoint: data, schedule and moments continue", continuation)
    r.run("first step from our text checkpoint: loss and gradients = reformer-tui's", lambda: text_first_step(ours, work))

    multi = {}

    def equal_update(name, launcher, report):
        if "out" not in single:
            raise Failed("the one-process run did not complete")
        out, _ = hf_run(work, name, launcher, origin, args.steps, 4, report=report)
        multi[name] = out
        return compare_runs(origin, single["out"], out, args.steps)

    def resumed():
        if "out" not in single or args.steps < 2:
            raise Failed("the one-process run did not complete" if "out" not in single else "needs --steps 2 or more")
        middle = args.steps // 2
        out, _ = hf_run(work, "hf-resumed", torchrun, os.path.join(single["out"], f"checkpoint-{middle}"), args.steps - middle, 4)
        return compare_runs(origin, single["out"], out, args.steps, first=middle + 1)

    r.run("equal update: 1 process vs torchrun --nproc_per_node 2", lambda: equal_update("hf-torchrun", torchrun, "tensorboard"))
    r.run("equal update: 1 process vs accelerate launch --num_processes 2", lambda: equal_update("hf-accelerate", accelerate(), "none"))
    r.run("resume: the 1-process run's checkpoint continued by torchrun (2 processes)", resumed)

    def events():
        if "hf-torchrun" not in multi:
            raise Failed("the torchrun run did not complete")
        files, steps = tensorboard_steps(multi["hf-torchrun"])
        ok = steps == list(range(1, args.steps + 1))
        return ok, f"{len(files)} event file(s), train/loss at steps {steps}"

    r.run("tensorboard: train/loss of every step", events)

    newest = os.path.join(multi.get("hf-torchrun", os.path.join(work, "hf-torchrun")), f"checkpoint-{args.steps}")

    def sample():
        if not os.path.isdir(newest):
            raise Failed(f"{newest} was not written")
        out = run([ours, "sample", "--model", newest, "--prompt-ids", "0 5 17 99", "--tokens", "8", "--temperature", "0"],
                  "reformer-tui sample").stdout.split()
        ok = len(out) == 8 and all(t.isdigit() and int(t) < 128 for t in out)
        return ok, f"{os.path.relpath(newest, work)}: 8 greedy tokens after \"0 5 17 99\": {' '.join(out)}"

    def evaluate():
        if not os.path.isdir(newest):
            raise Failed(f"{newest} was not written")
        out = run([ours, "eval", "--model", newest, "--task", "copy"], "reformer-tui eval").stdout
        loss = re.search(r"^loss (\S+)", out, re.M)
        accuracy = re.search(r"^accuracy (\S+)", out, re.M)
        ok = loss is not None and accuracy is not None and math.isfinite(float(loss.group(1)))
        return ok, " ".join(out.split())

    r.run("reformer-tui sample opens the newest checkpoint", sample)
    r.run("reformer-tui eval opens the newest checkpoint", evaluate)

    train_help = subprocess.run([ours, "train", "--help"], capture_output=True, text=True).stdout
    if not re.search(r"--from\b", train_help):
        r.skip("reformer-tui train --from the newest checkpoint", "this reformer-tui has no `train --from` (another branch adds it)")
    else:
        def train_from():
            if not os.path.isdir(newest):
                raise Failed(f"{newest} was not written")
            back = os.path.join(work, "back-here")
            run([ours, "train", "--from", newest, "--task", "copy", "--steps", "2", "--checkpoint", back, "--headless"],
                "reformer-tui train --from")
            saved = json.load(open(os.path.join(back, "trainer_state.json")))
            return saved.get("step", 0) >= 1, f"continued {os.path.relpath(newest, work)} in reformer-tui to step {saved.get('step')}"
        r.run("reformer-tui train --from the newest checkpoint", train_from)

    if "watch" not in subcommands(ours):
        r.skip("reformer-tui watch follows the torchrun run", "this reformer-tui has no `watch` subcommand (another branch adds it)")
    elif shutil.which("tmux") is None:
        r.skip("reformer-tui watch follows the torchrun run", "no tmux to run the interactive watch in")
    else:
        r.run("reformer-tui watch opens the torchrun run", lambda: watch_check(ours, multi.get("hf-torchrun"), newest, work))

    print(f"interop: {r.passed} passed, {r.failed} failed" + (f" ({r.skipped} skipped)" if r.skipped else ""), flush=True)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if r.failed else 0


if __name__ == "__main__":
    sys.exit(main())
