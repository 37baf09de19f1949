#!/usr/bin/env python3
"""Continue a reformer-tui run (or start one from a preset) with HuggingFace's Trainer, on 1 or N processes.

One script for one process and for many (DDP, CPU or GPU):

    python scripts/train_hf.py --from runs/copy-seed0 --out hf-run --max-steps 500
    torchrun --nproc_per_node 4 scripts/train_hf.py --from runs/copy-seed0 --out hf-run --max-steps 500
    accelerate launch --num_processes 4 scripts/train_hf.py --from runs/copy-seed0 --out hf-run --max-steps 500

`--from DIR` takes a reformer-tui checkpoint folder (config.json, model.safetensors, optimizer.safetensors,
trainer_state.json), a checkpoint this script wrote (`OUT/checkpoint-N`, continued with its optimizer,
schedule and step count) or any HF Reformer folder; `--preset NAME` a fresh model from
assets/presets/NAME (HF's initialisation, seeded). The output is a standard Trainer `output_dir`:
`checkpoint-N/` folders that `reformer-tui sample/eval` open, TensorBoard events under `runs/` (what
`reformer-tui watch` follows), and the final model in OUT itself.

What carries over from a reformer-tui checkpoint, so that the HF run is the same run continued:
- the data: the copy task's `0 w 0 w` rows and the text task's random windows are drawn with the engine's
  own SplitMix64 streams, continued from the checkpoint's `dataGenerator` state, so the HF run's first
  global batch is bit for bit the batch `reformer-tui train --resume` would have drawn next (rows in
  order; under N processes rank r gets rows r·B … r·B + B − 1 of each global batch of N·B);
- the optimizer: AdamW with the run's β1, β2, ε and weight decay on every parameter (as the engine does,
  not HF's default of sparing biases and LayerNorms), the moments and step count from
  optimizer.safetensors, the run's gradient clipping (none when clip_norm is null);
- the schedule: the engine's warmup (lr·(k+1)/(W+1)) then constant or cosine to min_learning_rate,
  continued at the checkpoint's step; the cosine ends at (checkpoint step + --max-steps).
Not carried over: the LSH rotations (torch draws them; the engine's generator is its own) and the
engine's evaluation schedule (this script does not evaluate; `reformer-tui eval` does).

Tokens are what reformer-tui uses: copy-task symbols as they are; text as bytes (vocab 256), bytes + 2
(vocab 258, HF's enwik8 convention) or SentencePiece ids when the model folder holds spiece.model
(the whole file as one string, no special tokens, as HF's ReformerTokenizer).

Distributed settings the Reformer needs are built in: DDP with static_graph=True (the reversible
backward computes parameter gradients in backward passes of its own; measured with 2 CPU processes,
transformers 5.25 / torch 2.15: without a static graph DDP either fails with "Expected to mark a
variable ready only once" (find_unused_parameters=True) or, worse, reduces the first step's gradients
before they are complete — grad norm 1.654 instead of 1.159, parameters 1.9e-3 off after one step —
and then fails with "Expected to have finished reduction in the prior iteration"), and
find_unused_parameters=False (with a static graph the unused `lm_head.bias` needs no per-step graph
search; True gives the same update), never DataParallel (transformers #5778: several visible GPUs
without torchrun train on one), no gradient checkpointing (the Reformer is reversible already),
gradient accumulation 1, batches dispatched from rank 0 so that the N per-process
batches of a step are the consecutive rows of one global batch, the loss averaged over the global
batch's targets, and the layers' dropout/rotation seeds drawn from a stream that depends only on
(--seed, step), so every rank hashes with the same rotations — N processes compute the update one
process computes on the whole global batch (`make test-interop` checks this).
"""

import argparse
import json
import math
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
PRESETS = os.path.join(REPO, "assets", "presets")
RUN_FILE = "reformer_run.json"   # what this script adds to each checkpoint: the run's task, data and settings

MASK64 = (1 << 64) - 1
COPY_TRAINING = 0x636F_7079_2E74_726E   # DataStream.copyTraining, "copy.trn"
TEXT_TRAINING = 0x7465_7874_2E74_726E   # DataStream.textTraining, "text.trn"
LAYER_SEEDS = 0x6866_2E73_6565_6473     # this script's stream of per-layer torch seeds, "hf.seeds"
IGNORED_LABEL = -100


class InputError(Exception):
    """Bad input: one line naming the file, field or argument and what was expected."""


# ----------------------------------------------------------------------------------------------
# The engine's generator and data (Sources/ReformerEngine/Random, Data/CopyTask.swift, TextCorpus.swift)

class SplitMix64:
    """The engine's SplitMix64, value for value."""

    def __init__(self, state):
        self.state = state & MASK64

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        return z ^ (z >> 31)

    def next_int(self, bound):
        """Uniform in 0..<bound without modulo bias (rejection above the largest multiple of bound)."""
        limit = MASK64 - MASK64 % bound
        while True:
            x = self.next()
            if x < limit:
                return x % bound

    @staticmethod
    def stream(tag, seed):
        """DataStream.generator(seed:): the seed mixed with the stream's tag, then one draw."""
        mixer = SplitMix64(seed ^ tag)
        return SplitMix64(mixer.next())


def copy_row(word_length, rng):
    """One `0 w 0 w` row (CopyTask.sample): tokens, and labels on the second copy only."""
    n = word_length
    tokens = [0] * (2 * n + 2)
    labels = [IGNORED_LABEL] * (2 * n + 2)
    for i in range(n):
        symbol = 1 + rng.next_int(127)
        tokens[1 + i] = symbol
        tokens[n + 2 + i] = symbol
        labels[n + 2 + i] = symbol
    return tokens, labels


def text_row(tokens, training_count, length, rng):
    """One training window (TextCorpus.trainingBatch): a uniform start in the training split."""
    start = rng.next_int(training_count - length + 1)
    window = tokens[start:start + length]
    return window, list(window)


def training_count(total, validation_fraction):
    """Tokens before the validation split: the last ⌊n·f⌋ validate (TextCorpus.init)."""
    return total - int(math.floor(total * validation_fraction))


class TaskRows:
    """The training rows of a run, in the engine's order, from a generator state."""

    def __init__(self, task, state, word_length=None, tokens=None, train_count=None, length=None):
        self.task, self.state = task, state
        self.word_length, self.tokens, self.train_count, self.length = word_length, tokens, train_count, length
        self.position = state

    def rows(self):
        """Rows forever; `position` is the generator state after the row last yielded."""
        rng = SplitMix64(self.state)
        while True:
            row = copy_row(self.word_length, rng) if self.task == "copy" else text_row(self.tokens, self.train_count, self.length, rng)
            self.position = rng.state
            yield row

    def batch(self, count):
        """The first `count` rows as ([count][T] tokens, [count][T] labels)."""
        ids, labels = [], []
        for _, (t, l) in zip(range(count), self.rows()):
            ids.append(t)
            labels.append(l)
        return ids, labels


# ----------------------------------------------------------------------------------------------
# Reading folders and presets

def read_json(path, what):
    try:
        with open(path, encoding="utf-8") as f:
            value = json.load(f)
    except FileNotFoundError:
        raise InputError(f"{path}: does not exist, expected {what}")
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder, expected {what}")
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: cannot be read ({e})")
    except json.JSONDecodeError as e:
        raise InputError(f"{path}: is not valid JSON ({e.msg} at line {e.lineno}), expected {what}")
    if not isinstance(value, dict):
        raise InputError(f"{path}: expected a JSON object at the top level ({what})")
    return value


TRAIN_DEFAULTS = {
    "steps": 1000, "batch_size": 8, "learning_rate": 1e-3, "warmup_steps": 0, "schedule": "constant",
    "min_learning_rate": 0.0, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8, "weight_decay": 0.0,
    "clip_norm": None, "seed": 0,
}


def train_settings(raw, source):
    """train.json (or a trainer_state.json's `settings`) with the engine's defaults, checked."""
    s = dict(TRAIN_DEFAULTS)
    s.update({k: v for k, v in raw.items() if k in TRAIN_DEFAULTS or k in ("task", "copy", "text")})
    task = s.get("task")
    if task not in ("copy", "text"):
        raise InputError(f"{source} (task): is {json.dumps(task)}, expected \"copy\" or \"text\"")

    def number(key, low, high=None, integer=False, allow_none=False):
        v = s[key]
        if v is None and allow_none:
            return
        ok = isinstance(v, int) if integer else isinstance(v, (int, float))
        if isinstance(v, bool) or not ok or not math.isfinite(v) or v < low or (high is not None and v >= high):
            kind = "an integer" if integer else "a number"
            bound = f" in [{low}, {high})" if high is not None else f" ≥ {low}"
            raise InputError(f"{source} ({key}): is {json.dumps(v)}, expected {kind}{bound}")

    number("steps", 1, integer=True)
    number("batch_size", 1, integer=True)
    number("learning_rate", 0)
    number("warmup_steps", 0, integer=True)
    number("min_learning_rate", 0)
    number("beta1", 0, 1)
    number("beta2", 0, 1)
    number("epsilon", 1e-300)
    number("weight_decay", 0)
    number("clip_norm", 1e-300, allow_none=True)
    number("seed", 0, integer=True)
    if s["schedule"] not in ("constant", "cosine"):
        raise InputError(f"{source} (schedule): is {json.dumps(s['schedule'])}, expected \"constant\" or \"cosine\"")
    copy = s.get("copy") or {}
    text = s.get("text") or {}
    if not isinstance(copy, dict) or not isinstance(text, dict):
        raise InputError(f"{source} (copy/text): expected JSON objects")
    s["copy"] = {"word_length": copy.get("word_length", 31)}
    s["text"] = {"data": text.get("data"), "validation_fraction": text.get("validation_fraction", 0.05),
                 "length": text.get("length")}
    wl = s["copy"]["word_length"]
    if isinstance(wl, bool) or not isinstance(wl, int) or wl < 1:
        raise InputError(f"{source} (copy.word_length): is {json.dumps(wl)}, expected an integer ≥ 1")
    vf = s["text"]["validation_fraction"]
    if isinstance(vf, bool) or not isinstance(vf, (int, float)) or not (0 <= vf < 1):
        raise InputError(f"{source} (text.validation_fraction): is {json.dumps(vf)}, expected a number in [0, 1)")
    ln = s["text"]["length"]
    if ln is not None and (isinstance(ln, bool) or not isinstance(ln, int) or ln < 1):
        raise InputError(f"{source} (text.length): is {json.dumps(ln)}, expected an integer ≥ 1 or null")
    return s


def load_preset(name):
    folder = os.path.join(PRESETS, name)
    if not os.path.isdir(folder):
        names = sorted(n for n in os.listdir(PRESETS) if os.path.isdir(os.path.join(PRESETS, n))) if os.path.isdir(PRESETS) else []
        raise InputError(f"--preset: {name!r} is not a folder in assets/presets, expected one of {', '.join(names) or '(none found)'}")
    settings = train_settings(read_json(os.path.join(folder, "train.json"), "a train.json"), os.path.join(folder, "train.json"))
    data = settings["text"]["data"]
    if data is not None and not os.path.isabs(data):
        settings["text"]["data"] = os.path.normpath(os.path.join(folder, data))
    return folder, settings


class Origin:
    """Where the model and the run come from."""

    def __init__(self):
        self.kind = None          # "preset", "ours", "hf-run" (this script's checkpoint), "hf"
        self.folder = None        # folder with config.json (+ weights unless a preset)
        self.settings = None      # train.json form
        self.step = 0             # updates done in the run before this script's Trainer steps
        self.data_state = None    # SplitMix64 state of the next training row, or None = fresh stream
        self.data_file = None
        self.data_bytes = None
        self.preset = None
        self.rows_done = 0            # rows of the data stream already trained on after data_state
        self.optimizer_file = None    # the engine's optimizer.safetensors
        self.resume_hf = False        # this script's checkpoint: Trainer's resume_from_checkpoint
        self.hf_step = 0              # then: Trainer's global_step in it


def read_origin(args):
    o = Origin()
    if args.preset:
        o.kind, o.preset = "preset", args.preset
        o.folder, o.settings = load_preset(args.preset)
        return o
    folder = args.from_dir.rstrip("/") or "/"
    if not os.path.isdir(folder):
        raise InputError(f"--from: {folder} is not a folder, expected a checkpoint folder with config.json and model.safetensors")
    for name in ("config.json",):
        if not os.path.isfile(os.path.join(folder, name)):
            raise InputError(f"{folder}: has no {name}, expected a checkpoint folder (config.json and model.safetensors)")
    if not any(os.path.isfile(os.path.join(folder, w)) for w in ("model.safetensors", "pytorch_model.bin", "model.safetensors.index.json")):
        raise InputError(f"{folder}: has no model.safetensors, expected the checkpoint's weights")
    o.folder = folder
    state_path = os.path.join(folder, "trainer_state.json")
    run_path = os.path.join(folder, RUN_FILE)
    if os.path.isfile(run_path):
        run = read_json(run_path, "this script's run description")
        o.kind = "hf-run"
        o.settings = train_settings(run.get("settings") or {}, f"{run_path} (settings)")
        for key in ("base_step", "hf_step", "data_hf_step", "rows_per_step"):
            v = run.get(key)
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise InputError(f"{run_path} ({key}): is {json.dumps(v)}, expected a non-negative integer")
        o.data_state = parse_state(run.get("data_state"), run_path, "data_state")
        o.data_file, o.data_bytes, o.preset = run.get("data_file"), run.get("data_bytes"), run.get("preset")
        # data_state is the stream's state at Trainer step data_hf_step (0 unless that run was itself resumed)
        o.rows_done = max(0, run["hf_step"] - run["data_hf_step"]) * run["rows_per_step"]
        # Trainer's own checkpoint-N resumes with its optimizer, scheduler and step; the final model in
        # OUT (no optimizer.pt) continues from its weights, the run's step and data position.
        o.resume_hf = os.path.isfile(state_path) and os.path.isfile(os.path.join(folder, "optimizer.pt"))
        o.hf_step = run["hf_step"] if o.resume_hf else 0
        o.step = run["base_step"] + (0 if o.resume_hf else run["hf_step"])
        return o
    if os.path.isfile(state_path):
        state = read_json(state_path, "a trainer state")
        if "formatVersion" in state:           # reformer-tui's
            o.kind = "ours"
            o.settings = train_settings(state.get("settings") or {}, f"{state_path} (settings)")
            if state.get("task") != o.settings["task"]:
                raise InputError(f"{state_path} (task): is {json.dumps(state.get('task'))}, but its settings say {o.settings['task']}")
            step = state.get("step")
            if isinstance(step, bool) or not isinstance(step, int) or step < 0:
                raise InputError(f"{state_path} (step): is {json.dumps(step)}, expected a non-negative integer")
            o.step = step
            o.data_state = parse_state(state.get("dataGenerator"), state_path, "dataGenerator")
            o.data_file, o.data_bytes, o.preset = state.get("dataFile"), state.get("dataBytes"), state.get("preset")
            if os.path.isfile(os.path.join(folder, "optimizer.safetensors")):
                o.optimizer_file = os.path.join(folder, "optimizer.safetensors")
            return o
    o.kind = "hf"   # a plain HF folder (or another Trainer's checkpoint): weights only, the task preset's settings
    task = "text" if args.data else "copy"
    o.preset = task
    _, o.settings = load_preset(task)
    o.settings["text"]["length"] = None   # windows of the model's max_position_embeddings, as `train --config`
    return o


def parse_state(value, path, field):
    try:
        return int(value, 16) & MASK64 if isinstance(value, str) else int(value) & MASK64
    except (TypeError, ValueError):
        raise InputError(f"{path} ({field}): is {json.dumps(value)}, expected a hexadecimal generator state")


def text_tokens(path, folder, vocab):
    """The file's tokens for the model: SentencePiece (spiece.model in `folder`), bytes + 2 (vocab 258) or bytes."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        raise InputError(f"--data: {path} does not exist, expected a text file")
    except IsADirectoryError:
        raise InputError(f"--data: {path} is a folder, expected a text file")
    except OSError as e:
        raise InputError(f"--data: {path} cannot be read ({e.strerror})")
    if not data:
        raise InputError(f"--data: {path} is empty, expected a text file")
    spiece = os.path.join(folder, "spiece.model") if folder else None
    if spiece and os.path.isfile(spiece):
        try:
            import sentencepiece
        except ImportError:
            raise InputError(f"{spiece}: needs the sentencepiece package (pip install sentencepiece)")
        try:
            sp = sentencepiece.SentencePieceProcessor(model_file=spiece)
        except (RuntimeError, OSError) as e:
            raise InputError(f"{spiece}: is not a SentencePiece model ({e})")
        if sp.get_piece_size() > vocab:
            raise InputError(f"{spiece}: has {sp.get_piece_size()} pieces, more than the model's vocab_size {vocab}")
        return sp.encode(data.decode("utf-8", errors="replace")), "sentencepiece", len(data)
    if vocab == 258:
        return [b + 2 for b in data], "bytes + 2", len(data)
    if vocab >= 256:
        return list(data), "bytes", len(data)
    raise InputError(f"config.json (vocab_size): is {vocab} and the folder has no spiece.model; expected at least 256 for bytes")


# ----------------------------------------------------------------------------------------------
# The engine's schedule and optimizer state

def engine_learning_rate(step, s, total):
    """LearningRate.at(step:): warmup lr·(k+1)/(W+1), then constant or cosine to the floor at `total`."""
    peak, warmup = s["learning_rate"], s["warmup_steps"]
    if step < warmup:
        return peak * (step + 1) / (warmup + 1)
    if s["schedule"] == "constant":
        return peak
    floor = s["min_learning_rate"]
    if step >= total:
        return floor
    progress = (step - warmup) / (total - warmup)
    return floor + (peak - floor) * 0.5 * (1 + math.cos(math.pi * progress))


def load_engine_moments(optimizer, model, path, step):
    """optimizer.safetensors (exp_avg.<name>, exp_avg_sq.<name>, metadata step) into torch's AdamW state."""
    import torch
    from safetensors import safe_open

    try:
        f = safe_open(path, framework="pt")
    except Exception as e:  # safetensors raises its own error types for a bad header
        raise InputError(f"{path}: is not a safetensors file ({e})")
    with f:
        saved_step = (f.metadata() or {}).get("step")
        if saved_step != str(step):
            raise InputError(f"{path} (__metadata__.step): is {json.dumps(saved_step)}, but trainer_state.json says {step}")
        names = set(f.keys())
        loaded = 0
        for name, p in model.named_parameters():
            m_name, v_name = "exp_avg." + name, "exp_avg_sq." + name
            if m_name not in names and v_name not in names:
                continue
            if m_name not in names or v_name not in names:
                raise InputError(f"{path} ({m_name if m_name not in names else v_name}): is missing, expected both moments of {name}")
            m, v = f.get_tensor(m_name), f.get_tensor(v_name)
            if tuple(m.shape) != tuple(p.shape) or tuple(v.shape) != tuple(p.shape):
                raise InputError(f"{path} ({m_name}): has shape {list(m.shape)}, expected {list(p.shape)} like {name}")
            if not (torch.isfinite(m).all() and torch.isfinite(v).all() and (v >= 0).all()):
                raise InputError(f"{path} ({m_name}): holds non-finite values or a negative second moment")
            if not m.any() and not v.any():
                continue    # never updated (HF's unused lm_head.bias): torch keeps no state for it either
            optimizer.state[p] = {"step": torch.tensor(float(step)), "exp_avg": m.to(p.device, p.dtype).clone(),
                                  "exp_avg_sq": v.to(p.device, p.dtype).clone()}
            loaded += 1
    return loaded


# ----------------------------------------------------------------------------------------------
# Training

def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                epilog="Launch with python, `torchrun --nproc_per_node N` or `accelerate launch`.")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--from", dest="from_dir", metavar="DIR", help="a reformer-tui or HF checkpoint folder")
    src.add_argument("--preset", metavar="NAME", help="a fresh model from assets/presets/NAME")
    p.add_argument("--data", metavar="FILE", help="text to train on (default: the run's or the preset's; none: the copy task)")
    p.add_argument("--out", required=True, metavar="DIR", help="Trainer output_dir (checkpoint-N/, runs/, final model)")
    p.add_argument("--max-steps", type=int, metavar="N", help="updates in this run (default: the run's steps still to do, else the preset's)")
    p.add_argument("--save-steps", type=int, default=100, metavar="N", help="save checkpoint-N every N updates (default 100, and at the end)")
    p.add_argument("--batch-size", type=int, metavar="B", help="sequences per process and update (default: the run's batch over the processes)")
    p.add_argument("--learning-rate", type=float, metavar="LR", help="peak learning rate (default: the run's or the preset's)")
    p.add_argument("--report", choices=["tensorboard", "none"], default="tensorboard", help="live curves under OUT/runs (default tensorboard)")
    p.add_argument("--logging-steps", type=int, default=10, metavar="N", help="log the loss every N updates (default 10)")
    p.add_argument("--seed", type=int, metavar="S", help="seed of a fresh model and of the layers' rotation/dropout seeds (default: the run's)")
    p.add_argument("--dump-first-batch", metavar="FILE",
                   help="one process only: write the first batch (input_ids, labels), the rotations each LSH layer drew, "
                        "the loss and the gradients to FILE (safetensors) — what `reformer-tui inspect` reads")
    args = p.parse_args(argv)
    for name in ("max_steps", "save_steps", "batch_size", "logging_steps"):
        v = getattr(args, name)
        if v is not None and v < 1:
            p.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.learning_rate is not None and not (math.isfinite(args.learning_rate) and args.learning_rate >= 0):
        p.error("--learning-rate must be a finite value ≥ 0")
    if args.seed is not None and args.seed < 0:
        p.error("--seed must not be negative")
    return args


def main(argv=None):
    args = parse_args(argv)
    try:
        return train(args)
    except InputError as e:
        print(f"train_hf: error: {e}", file=sys.stderr)
        return 1


def is_main_process():
    return int(os.environ.get("RANK", "0")) == 0


def say(line):
    if is_main_process():
        print(f"train_hf: {line}", flush=True)


def train(args):
    world = int(os.environ.get("WORLD_SIZE", "1"))
    origin = read_origin(args)
    s = origin.settings
    run_task = s["task"]
    if args.learning_rate is not None:
        s["learning_rate"] = args.learning_rate
    if args.seed is not None:
        s["seed"] = args.seed
    if args.dump_first_batch and world > 1:
        raise InputError("--dump-first-batch: needs a single process (one process's batch is not the global batch)")

    config_path = os.path.join(origin.folder, "config.json")
    config_raw = read_json(config_path, "a Reformer config.json")
    vocab = config_raw.get("vocab_size", 320)
    if isinstance(vocab, bool) or not isinstance(vocab, int) or vocab < 1:
        raise InputError(f"{config_path} (vocab_size): is {json.dumps(vocab)}, expected a positive integer")

    # The task and its rows, in the engine's order.
    task = "text" if args.data else run_task
    if task != run_task:      # a copy run continued on text: the text preset's split, the model's window
        s["text"] = dict(load_preset("text")[1]["text"], length=None)
    s["task"] = task
    data_file = data_bytes = None
    if task == "copy":
        wl = s["copy"]["word_length"]
        length = 2 * wl + 2
        if vocab < 128:
            raise InputError(f"{config_path} (vocab_size): is {vocab}, expected at least 128 for the copy task")
        rows = dict(task="copy", word_length=wl)
        data_desc = f"copy task, |w| = {wl}, length {length}"
    else:
        data_file = args.data or origin.data_file or s["text"]["data"]
        if data_file is None:
            raise InputError("--data: is required for a text model without a default corpus")
        if not args.data and not os.path.exists(data_file) and os.path.exists(os.path.join(REPO, data_file)):
            data_file = os.path.join(REPO, data_file)   # a run's relative path, trained from the checkout
        tokens, tokenizer, data_bytes = text_tokens(data_file, origin.folder, vocab)
        length = s["text"]["length"] or config_raw.get("max_position_embeddings", 4096)
        count = training_count(len(tokens), s["text"]["validation_fraction"])
        if count < length:
            raise InputError(f"--data: {data_file} has {count} training tokens ({tokenizer}), shorter than one window of {length}")
        rows = dict(task="text", tokens=tokens, train_count=count, length=length)
        data_desc = f"{data_file}, {len(tokens)} tokens ({tokenizer}), windows of {length}"
    continuing = origin.data_state is not None and task == run_task and (task == "copy" or origin.data_bytes in (None, data_bytes))
    if continuing:
        task_rows = TaskRows(state=origin.data_state, **rows)
        rng_rows = task_rows.rows()
        for _ in range(origin.rows_done):       # past the rows the HF run already trained on
            next(rng_rows)
        task_rows.state = task_rows.position
    else:
        task_rows = TaskRows(state=SplitMix64.stream(COPY_TRAINING if task == "copy" else TEXT_TRAINING, s["seed"]).state, **rows)
        if origin.data_state is not None:
            say(f"data: not the run's stream ({'another task' if task != run_task else 'another file'}): a fresh stream of seed {s['seed']}")
    data_state = task_rows.state

    # Steps and batch.
    done = origin.step + origin.hf_step
    remaining = s["steps"] - done
    max_steps = args.max_steps or (remaining if remaining > 0 else s["steps"])
    if args.batch_size:
        per_process = args.batch_size
    elif s["batch_size"] % world == 0:
        per_process = s["batch_size"] // world
    else:
        raise InputError(f"--batch-size: the run's batch of {s['batch_size']} does not split over {world} processes; give a batch per process")
    schedule_total = done + max_steps

    import torch
    import transformers
    from torch.utils.data import IterableDataset
    from transformers import ReformerConfig, ReformerModelWithLMHead, Trainer, TrainerCallback, TrainingArguments

    targs = TrainingArguments(
        output_dir=args.out,
        max_steps=origin.hf_step + max_steps,
        per_device_train_batch_size=per_process,
        gradient_accumulation_steps=1,
        learning_rate=s["learning_rate"],
        max_grad_norm=s["clip_norm"] or 0.0,
        save_strategy="steps",
        save_steps=args.save_steps,
        logging_strategy="steps",
        logging_steps=args.logging_steps,
        logging_first_step=True,
        report_to=[] if args.report == "none" else ["tensorboard"],
        seed=s["seed"],
        use_cpu=not accelerator_available(torch),   # CPU processes: DDP over gloo (otherwise no DDP at all)
        dataloader_num_workers=0,
        dataloader_pin_memory=accelerator_available(torch),
        remove_unused_columns=False,
        ddp_static_graph=True,
        ddp_find_unused_parameters=False,
        average_tokens_across_devices=True,
        accelerator_config={"dispatch_batches": True, "split_batches": False},
        ignore_data_skip=True,
        disable_tqdm=not sys.stderr.isatty(),
    )
    if targs.n_gpu > 1:   # several GPUs, one process: Trainer would use DataParallel, which the Reformer does not survive
        say(f"{targs.n_gpu} GPUs visible but one process: training on one; use torchrun --nproc_per_node {targs.n_gpu} for all")
        targs._n_gpu = 1

    # The model.
    if origin.kind == "preset":
        transformers.set_seed(s["seed"])
        model = ReformerModelWithLMHead(ReformerConfig.from_json_file(config_path))
    else:
        try:
            model = ReformerModelWithLMHead.from_pretrained(origin.folder)
        except (OSError, ValueError, RuntimeError) as e:
            raise InputError(f"{origin.folder}: HF cannot load it as a Reformer LM ({str(e).splitlines()[0]})")
    check_trainable(model.config, length, config_path)
    model.to(targs.device)   # before the optimizer: the moments loaded below must live where the parameters do
    layer_seeds = LayerSeedStream(s["seed"])
    layer_seeds.install(model)

    # The engine's AdamW on every parameter and its warmup/cosine schedule, continued at the run's step.
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=s["learning_rate"], betas=(s["beta1"], s["beta2"]), eps=s["epsilon"],
                                  weight_decay=s["weight_decay"])
    peak, offset = s["learning_rate"], origin.step
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda k: engine_learning_rate(k + offset, s, schedule_total) / peak if peak > 0 else 0.0)
    moments = load_engine_moments(optimizer, model, origin.optimizer_file, origin.step) if origin.optimizer_file else 0

    class Rows(IterableDataset):
        def __iter__(self):
            for t, l in TaskRows(state=data_state, **rows).rows():
                # Position 0's label is never a target (the causal loss shifts by one), but Trainer counts
                # every label that is not −100 when it averages over the batch's targets, and would
                # divide a text row's loss by T instead of T − 1.
                l[0] = IGNORED_LABEL
                yield {"input_ids": torch.tensor(t, dtype=torch.long), "labels": torch.tensor(l, dtype=torch.long)}

    run_info = {
        "task": task, "preset": origin.preset, "settings": s, "base_step": origin.step,
        "data_state": f"{data_state:x}", "data_hf_step": origin.hf_step, "rows_per_step": world * per_process,
        "data_file": data_file, "data_bytes": data_bytes, "origin": origin.folder, "origin_kind": origin.kind,
    }
    dump = FirstBatchDump(model, args.dump_first_batch) if args.dump_first_batch else None
    callbacks = make_callbacks(TrainerCallback, layer_seeds, run_info, origin.folder, dump)
    trainer = Trainer(model=model, args=targs, train_dataset=Rows(), optimizers=(optimizer, scheduler), callbacks=callbacks)

    what = {"preset": f"preset {origin.preset} (fresh, HF's initialisation, seed {s['seed']})",
            "ours": f"reformer-tui checkpoint {origin.folder} at step {origin.step}",
            "hf-run": f"train_hf checkpoint {origin.folder} at run step {done}"
                      + (" (Trainer resume)" if origin.resume_hf else " (weights; a fresh optimizer)"),
            "hf": f"HF folder {origin.folder} (weights; preset {origin.preset}'s settings)"}[origin.kind]
    say(f"{what}; {sum(p.numel() for p in params)} parameters; transformers {transformers.__version__}, torch {torch.__version__}")
    say(f"data: {data_desc}; {'the run' + chr(39) + 's stream continued' if continuing else 'seed ' + str(s['seed'])}")
    say(f"{world} process(es) on {targs.device.type} × batch {per_process} = {world * per_process} per update, {max_steps} updates; "
        f"lr {s['learning_rate']:g} ({s['schedule']}, warmup {s['warmup_steps']}, from run step {done}), "
        f"AdamW β {s['beta1']:g}/{s['beta2']:g} ε {s['epsilon']:g} wd {s['weight_decay']:g}, clip {s['clip_norm'] or 'none'}"
        + (f"; {moments} moment pairs from optimizer.safetensors" if origin.optimizer_file else ""))
    trainer.train(resume_from_checkpoint=origin.folder if origin.resume_hf else None)
    if dump is not None:
        dump.write()
    trainer.save_model(args.out)
    if trainer.is_world_process_zero():
        write_run_files(args.out, run_info, origin.folder, trainer.state.global_step)
        newest = os.path.join(args.out, f"checkpoint-{trainer.state.global_step}")
        say(f"done: run step {origin.step + trainer.state.global_step}; newest checkpoint {newest}")
        say(f"back here: reformer-tui sample --model {newest} …  |  reformer-tui eval --model {newest}"
            + (" --task copy" if task == "copy" else f" --data {data_file}"))
    return 0


def accelerator_available(torch):
    """A GPU (or another torch accelerator) this process can train on."""
    if hasattr(torch, "accelerator"):
        return torch.accelerator.is_available()
    return torch.cuda.is_available()


def check_trainable(c, length, config_path):
    """HF's training rules for the Reformer: a causal LM whose positions and chunk grid fit the rows."""
    if not c.is_decoder:
        raise InputError(f"{config_path} (is_decoder): is false, expected a causal LM (true)")
    if length > c.max_position_embeddings:
        raise InputError(f"{config_path} (max_position_embeddings): is {c.max_position_embeddings}, but training rows have {length} tokens")
    if c.axial_pos_embds and math.prod(c.axial_pos_shape) != length:
        raise InputError(f"{config_path} (axial_pos_shape): {list(c.axial_pos_shape)} covers {math.prod(c.axial_pos_shape)} "
                         f"positions; training needs exactly {length}")
    chunks = {"lsh": c.lsh_attn_chunk_length, "local": c.local_attn_chunk_length}
    kinds = set(c.attn_layers)
    if not kinds <= set(chunks):
        raise InputError(f"{config_path} (attn_layers): is {c.attn_layers}, expected only \"lsh\" and \"local\"")
    multiple = math.lcm(*(chunks[k] for k in kinds))
    if length > max(chunks[k] for k in kinds) and length % multiple != 0:
        raise InputError(f"{config_path} (lsh_attn_chunk_length): chunk lengths need a length multiple of {multiple}, "
                         f"but training rows have {length} tokens")


class LayerSeedStream:
    """Replaces HF's `torch.seed()` in each layer's dropout/rotation seeding with seeds from one stream
    that depends only on (seed, global step, call order): every process draws the same rotations."""

    def __init__(self, seed):
        self.seed = seed
        self.rng = None
        self.set_step(0)

    def set_step(self, step):
        self.rng = SplitMix64.stream(LAYER_SEEDS, (self.seed * 0x1_0000_0001 + step) & MASK64)

    def next_seed(self):
        return self.rng.next() >> 1   # torch.manual_seed takes a non-negative 63-bit value

    def install(self, model):
        import torch

        stream = self

        def attention_seed(layer):
            layer.attention_seed = stream.next_seed()
            torch.manual_seed(layer.attention_seed)

        def feed_forward_seed(layer):
            layer.feed_forward_seed = stream.next_seed()
            torch.manual_seed(layer.feed_forward_seed)

        for layer in model.reformer.encoder.layers:
            layer._init_attention_seed = attention_seed.__get__(layer)
            layer._init_feed_forward_seed = feed_forward_seed.__get__(layer)


def make_callbacks(TrainerCallback, stream, run_info, origin_folder, dump):
    """The Trainer callbacks: layer seeds per step, run files in every checkpoint, the first-batch dump."""

    class SeedStep(TrainerCallback):
        def on_train_begin(self, args, state, control, **kwargs):
            # Trainer's resume reloads logging/save intervals from the checkpoint; this run's flags win.
            state.logging_steps, state.save_steps = args.logging_steps, args.save_steps

        def on_step_begin(self, args, state, control, **kwargs):
            stream.set_step(state.global_step)

    class RunFiles(TrainerCallback):
        def on_save(self, args, state, control, **kwargs):
            folder = os.path.join(args.output_dir, f"checkpoint-{state.global_step}")
            if state.is_world_process_zero and os.path.isdir(folder):
                write_run_files(folder, run_info, origin_folder, state.global_step)

    class Capture(TrainerCallback):
        def on_pre_optimizer_step(self, args, state, control, **kwargs):
            dump.capture_gradients()

    return [SeedStep(), RunFiles()] + ([Capture()] if dump else [])


def write_run_files(folder, run_info, origin_folder, hf_step):
    """reformer_run.json (the run's task, data and settings) and the origin's spiece.model into `folder`."""
    info = dict(run_info, hf_step=hf_step, run_step=run_info["base_step"] + hf_step)
    temp = os.path.join(folder, RUN_FILE + ".tmp")
    with open(temp, "w", encoding="utf-8") as f:
        json.dump(info, f, indent=1, sort_keys=True)
    os.replace(temp, os.path.join(folder, RUN_FILE))
    spiece = os.path.join(origin_folder, "spiece.model") if origin_folder else None
    if spiece and os.path.isfile(spiece) and not os.path.exists(os.path.join(folder, "spiece.model")):
        shutil.copyfile(spiece, os.path.join(folder, "spiece.model"))


class FirstBatchDump:
    """The first training step as `reformer-tui inspect` input: input_ids, labels, every LSH layer's
    rotations (lsh.layer{i}.rotations, HF's [heads, head size, rounds, buckets/2]), plus the loss HF
    computed and the gradients of that loss before clipping (grad.<name>). CPU only (the rotations are
    recomputed from the CPU generator's state)."""

    def __init__(self, model, path):
        import torch

        self.model, self.path = model, path
        self.tensors = {}
        self.active = True
        self.hooks = []
        self.hooks.append(model.register_forward_pre_hook(self._inputs, with_kwargs=True))
        self.hooks.append(model.register_forward_hook(self._outputs, with_kwargs=True))
        # Gradients as the backward leaves them, before Trainer clips them (the engine's inspect --grads
        # writes unclipped ones); the reversible backward accumulates each parameter's in nested calls.
        for name, p in model.named_parameters():
            self.hooks.append(p.register_post_accumulate_grad_hook(self._gradient_hook(name)))
        for i, layer in enumerate(model.reformer.encoder.layers):
            attention = layer.attention.self_attention
            if hasattr(attention, "_hash_vectors"):
                original = attention._hash_vectors

                def hashed(vectors, num_hashes, *rest, _i=i, _original=original, _attention=attention, **kw):
                    if self.active:
                        generator = torch.Generator()
                        generator.set_state(torch.get_rng_state())
                        if _attention.hash_seed is not None:
                            generator.manual_seed(_attention.hash_seed)
                        buckets = _attention.num_buckets
                        size = buckets if isinstance(buckets, int) else sum(buckets)
                        shape = (_attention.num_attention_heads, vectors.shape[-1], num_hashes, size // 2)
                        self.tensors[f"lsh.layer{_i}.rotations"] = torch.randn(shape, generator=generator, dtype=vectors.dtype)
                    return _original(vectors, num_hashes, *rest, **kw)

                attention._hash_vectors = hashed

    def _gradient_hook(self, name):
        def hook(param):
            if self.active:
                self.tensors["grad." + name] = param.grad.detach().clone()
        return hook

    def _inputs(self, module, args, kwargs):
        if self.active and module.training:
            self.tensors["input_ids"] = kwargs["input_ids"].detach().clone()
            self.tensors["labels"] = kwargs["labels"].detach().clone()

    def _outputs(self, module, args, kwargs, output):
        if self.active and module.training:
            self.tensors["loss"] = output.loss.detach().reshape(1).clone()

    def capture_gradients(self):
        """Called before the first optimizer step: the hooks have seen the whole backward."""
        self.active = False

    def write(self):
        from safetensors.torch import save_file

        for h in self.hooks:
            h.remove()
        tensors = {k: v.contiguous() for k, v in self.tensors.items()}
        save_file(tensors, self.path, metadata={"producer": "scripts/train_hf.py --dump-first-batch"})
        say(f"first batch, rotations, loss {float(tensors['loss'][0]):.6f} and {sum(k.startswith('grad.') for k in tensors)} gradients → {self.path}")


if __name__ == "__main__":
    sys.exit(main())
