#!/usr/bin/env python3
"""Records a real HuggingFace Trainer run of a tiny Reformer, file by file, as a replay fixture for
`reformer-tui watch` (issue 15; INTEROP.md §4): every directory made, every file created, appended,
rewritten, renamed, chmod-ed or deleted in the output folder, with the time it was seen.

    python scripts/record_hf_run.py record --out Tests/Fixtures/watch/hf-single
    python scripts/record_hf_run.py record --out Tests/Fixtures/watch/hf-torchrun --nproc 2
    python scripts/record_hf_run.py train --output-dir DIR [--nproc 2]   # just the run (live watching)

Needs torch, transformers, safetensors and tensorboard (not needed by `make test`: the replay is
scripts/replay_run.sh). The run: a 2-layer (LSH, local) Reformer LM, hidden 16, vocabulary 16, on the
copy task `0 w 0 w` (|w| = 15, 32 tokens), 30 steps, a log every 2 steps, evaluation and a checkpoint
every 10 steps, save_total_limit 2 (rotation), TensorBoard on. Each step is held for --pace seconds
so that a watcher sees the run unfold at a human pace (the model itself trains in milliseconds).
Under torchrun (--nproc 2): CPU, gloo, ddp_static_graph=True, ddp_find_unused_parameters=False
(INTEROP.md §5).

The fixture (a folder): `ops.tsv`, one operation per line `<ms> <op> <path> [<args>]`
  mkdir P · append P <blob offset> <length> · write P <file offset> <blob offset> <length> (in place)
  · zeros P <length> (appended) · truncate P <size> · rename P <to> · chmod P <octal> · rm P · rmdir P
and `blobs.bin`, the appended bytes. Contents that a watcher never reads (optimizer.pt,
scheduler.pt, rng_state*.pth, training_args.bin, scaler.pt) are kept as their sizes only (`zeros`);
model.safetensors, the JSON files and the TensorBoard event files are kept byte for byte. The host
name is replaced by "host" in TensorBoard's folder and file names (not inside records: that would
change their lengths and CRCs).
"""

import argparse
import ctypes
import json
import os
import select
import shutil
import socket
import stat
import struct
import subprocess
import sys
import tempfile
import time

SIZE_ONLY = ("optimizer.pt", "scheduler.pt", "training_args.bin", "scaler.pt")


def size_only(name):
    return name in SIZE_ONLY or (name.startswith("rng_state") and name.endswith(".pth"))


# --- the run -----------------------------------------------------------------------------------

def train(args):
    import torch
    from transformers import ReformerConfig, ReformerModelWithLMHead, Trainer, TrainerCallback, TrainingArguments

    word = 15
    length = 2 * word + 2
    vocab = 16

    class CopyData(torch.utils.data.Dataset):
        """`0 w 0 w` with symbols in [2, vocab); only the second copy is scored."""

        def __init__(self, count, seed):
            g = torch.Generator().manual_seed(seed)
            self.rows = []
            for _ in range(count):
                w = torch.randint(2, vocab, (word,), generator=g)
                ids = torch.cat([torch.zeros(1, dtype=torch.long), w, torch.zeros(1, dtype=torch.long), w])
                labels = ids.clone()
                labels[: word + 2] = -100
                self.rows.append({"input_ids": ids, "labels": labels})

        def __len__(self):
            return len(self.rows)

        def __getitem__(self, i):
            return self.rows[i]

    class Pace(TrainerCallback):
        def on_step_end(self, a, state, control, **kwargs):
            time.sleep(args.pace)

    config = ReformerConfig(
        vocab_size=vocab, hidden_size=16, num_attention_heads=2, attention_head_size=8, feed_forward_size=32,
        attn_layers=["lsh", "local"], max_position_embeddings=length, axial_pos_embds=True,
        axial_pos_shape=[4, 8], axial_pos_embds_dim=[8, 8], lsh_attn_chunk_length=8, local_attn_chunk_length=8,
        lsh_num_chunks_before=1, lsh_num_chunks_after=0, local_num_chunks_before=1, local_num_chunks_after=0,
        num_buckets=4, num_hashes=2, is_decoder=True, hidden_dropout_prob=0.0,
        lsh_attention_probs_dropout_prob=0.0, local_attention_probs_dropout_prob=0.0, pad_token_id=0,
        eos_token_id=None, hidden_act="relu", tie_word_embeddings=False)
    torch.set_num_threads(1)   # a tiny model: more threads only contend
    torch.manual_seed(0)
    model = ReformerModelWithLMHead(config)
    distributed = int(os.environ.get("WORLD_SIZE", "1")) > 1
    training = TrainingArguments(
        output_dir=args.output_dir, max_steps=args.steps, per_device_train_batch_size=8, learning_rate=3e-3,
        logging_steps=2, eval_strategy="steps", eval_steps=10, save_steps=10, save_total_limit=2,
        report_to=["tensorboard"], use_cpu=True, dataloader_num_workers=0, seed=0, disable_tqdm=True,
        ddp_backend="gloo" if distributed else None,
        ddp_static_graph=True if distributed else None,
        ddp_find_unused_parameters=False if distributed else None)
    trainer = Trainer(model=model, args=training, train_dataset=CopyData(512, 1), eval_dataset=CopyData(16, 2),
                      callbacks=[Pace()])
    trainer.train()


def launch_command(args, output_dir):
    script = os.path.abspath(__file__)
    common = ["train", "--output-dir", output_dir, "--steps", str(args.steps), "--pace", str(args.pace)]
    if args.nproc > 1:
        return [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", str(args.nproc),
                "--master_port", str(args.master_port), script] + common
    return [sys.executable, script] + common


# --- the recorder ------------------------------------------------------------------------------

IN_MODIFY, IN_ATTRIB, IN_MOVED_FROM, IN_MOVED_TO = 0x2, 0x4, 0x40, 0x80
IN_CREATE, IN_DELETE, IN_Q_OVERFLOW, IN_ISDIR = 0x100, 0x200, 0x4000, 0x40000000
WATCH_MASK = IN_MODIFY | IN_ATTRIB | IN_MOVED_FROM | IN_MOVED_TO | IN_CREATE | IN_DELETE


class Recorder:
    """Follows a folder tree through inotify and turns each change into an operation, reading a
    file's bytes when told it changed (so a half-written state is recorded as it was seen)."""

    def __init__(self, root, host):
        self.root = root
        self.host = host
        self.libc = ctypes.CDLL(None, use_errno=True)
        self.fd = self.libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if self.fd < 0:
            sys.exit(f"record: inotify_init1 failed (errno {ctypes.get_errno()})")
        self.watches = {}   # wd -> rel dir ("" = root)
        self.files = {}     # rel path -> [size, mode, content or None (size only)]
        self.dirs = set()
        self.ops = []       # (ms, op, path, args...)
        self.blobs = bytearray()
        self.start = time.monotonic()
        self.watch("")

    # -- operations --

    def clean(self, rel):
        """The host name out of TensorBoard's folder (`runs/<date>_<host>`) and file names."""
        parts = rel.split("/")
        for i, part in enumerate(parts):
            if part.endswith("_" + self.host):
                parts[i] = part[: -len(self.host)] + "host"
            elif part.startswith("events.out.tfevents."):
                parts[i] = part.replace("." + self.host + ".", ".host.")
        return "/".join(parts)

    def emit(self, op, path, *rest):
        ms = int((time.monotonic() - self.start) * 1000)
        self.ops.append((ms, op, self.clean(path)) + tuple(str(r) for r in rest))

    def append(self, rel, data):
        if len(data) > 16 and not data.strip(b"\0"):   # preallocated, not yet filled in
            self.emit("zeros", rel, len(data))
            return
        self.emit("append", rel, len(self.blobs), len(data))
        self.blobs += data

    # -- the tree --

    def full(self, rel):
        return os.path.join(self.root, rel) if rel else self.root

    def watch(self, rel):
        wd = self.libc.inotify_add_watch(self.fd, self.full(rel).encode(), WATCH_MASK)
        if wd >= 0:
            self.watches[wd] = rel
        # Whatever was made before the watch existed.
        try:
            entries = sorted(os.scandir(self.full(rel)), key=lambda e: e.stat(follow_symlinks=False).st_mtime_ns)
        except (FileNotFoundError, NotADirectoryError):
            return
        for entry in entries:
            child = os.path.join(rel, entry.name) if rel else entry.name
            if entry.is_dir(follow_symlinks=False):
                if child not in self.dirs:
                    self.created_dir(child)
            elif child not in self.files:
                self.created_file(child)
                self.changed(child)

    def created_dir(self, rel):
        self.dirs.add(rel)
        self.emit("mkdir", rel)
        self.watch(rel)

    def created_file(self, rel):
        keep = not size_only(os.path.basename(rel))
        self.files[rel] = [0, 0o644, b"" if keep else None]
        if keep:
            self.append(rel, b"")
        else:
            self.emit("zeros", rel, 0)

    def read(self, rel):
        """(bytes or None for size-only files, size, mode), or None when the file is gone."""
        path = self.full(rel)
        try:
            st = os.lstat(path)
            if self.files[rel][2] is None:
                return None, st.st_size, stat.S_IMODE(st.st_mode)
            with open(path, "rb") as f:
                return f.read(), st.st_size, stat.S_IMODE(st.st_mode)
        except (FileNotFoundError, PermissionError):
            return False

    def changed(self, rel, seen=None):
        """Brings the record of `rel` up to what is on disk now (or `seen`, read earlier)."""
        if rel not in self.files:
            return
        now = seen if seen is not None else self.read(rel)
        if now is False:
            return
        content, size, mode = now
        entry = self.files[rel]
        if mode != entry[1]:
            self.emit("chmod", rel, oct(mode)[2:])
            entry[1] = mode
        if content is None:
            if size > entry[0]:
                self.emit("zeros", rel, size - entry[0])
            elif size < entry[0]:
                self.emit("truncate", rel, size)
            entry[0] = size
            return
        old = entry[2]
        limit = min(len(old), len(content))
        same = next((i for i in range(limit) if old[i] != content[i]), limit)   # common prefix
        if len(content) < len(old):
            self.emit("truncate", rel, same)
            old = old[:same]
        if same < len(old):   # rewritten in place (a preallocated file filled in)
            end = len(old)
            while end > same and old[end - 1] == content[end - 1]:
                end -= 1
            self.emit("write", rel, same, len(self.blobs), end - same)
            self.blobs += content[same:end]
        if len(content) > len(old):
            self.append(rel, content[len(old):])
        entry[0], entry[2] = len(content), content

    def renamed(self, source, target, is_dir):
        if is_dir:
            self.emit("rename", source, target)
            prefix = source + "/"
            self.dirs = {target + d[len(source):] if d == source or d.startswith(prefix) else d for d in self.dirs}
            self.files = {(target + f[len(source):] if f.startswith(prefix) else f): v for f, v in self.files.items()}
            self.watches = {w: (target + d[len(source):] if d == source or d.startswith(prefix) else d)
                            for w, d in self.watches.items()}
            return
        if source not in self.files:
            self.created_file(target)
            self.changed(target)
            return
        # The bytes and mode the file has now were written before the rename (the temp-file-then-
        # rename of safetensors): record them on the old name, then the rename.
        self.files[target] = self.files.pop(source)
        now = self.read(target)
        self.files[source] = self.files.pop(target)
        if now is not False:
            self.changed(source, seen=now)
        if target in self.files:
            del self.files[target]
        self.emit("rename", source, target)
        self.files[target] = self.files.pop(source)

    def removed(self, rel, is_dir):
        if is_dir:
            if rel in self.dirs:
                self.dirs.discard(rel)
                self.emit("rmdir", rel)
        elif rel in self.files:
            del self.files[rel]
            self.emit("rm", rel)

    # -- events --

    def pump(self, timeout):
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return
        try:
            data = os.read(self.fd, 1 << 20)
        except BlockingIOError:
            return
        events, offset = [], 0
        while offset + 16 <= len(data):
            wd, mask, cookie, length = struct.unpack_from("iIII", data, offset)
            name = data[offset + 16: offset + 16 + length].split(b"\0", 1)[0].decode()
            offset += 16 + length
            events.append((wd, mask, cookie, name))
        pending_moves = {}
        for wd, mask, cookie, name in events:
            if mask & IN_Q_OVERFLOW:
                sys.exit("record: inotify queue overflowed; events were lost")
            if wd not in self.watches or not name:
                continue
            parent = self.watches[wd]
            rel = os.path.join(parent, name) if parent else name
            is_dir = bool(mask & IN_ISDIR)
            if mask & IN_CREATE:
                if is_dir:
                    self.created_dir(rel)
                elif rel not in self.files:
                    self.created_file(rel)
                    self.changed(rel)
            elif mask & (IN_MODIFY | IN_ATTRIB):
                self.changed(rel)
            elif mask & IN_MOVED_FROM:
                pending_moves[cookie] = (rel, is_dir)
            elif mask & IN_MOVED_TO:
                source = pending_moves.pop(cookie, None)
                if source is not None:
                    self.renamed(source[0], rel, is_dir)
                elif is_dir:
                    self.created_dir(rel)
                else:
                    self.created_file(rel)
                    self.changed(rel)
            elif mask & IN_DELETE:
                self.removed(rel, is_dir)
        for rel, is_dir in pending_moves.values():   # moved out of the tree
            self.removed(rel, is_dir)


def coalesce(ops):
    """Merges runs of appends (contiguous blob bytes) or zeros to one file seen within 2 ms."""
    out = []
    for op in ops:
        if out:
            last = out[-1]
            if op[1] == last[1] == "zeros" and op[2] == last[2] and op[0] - last[0] <= 2 and last[3] != "0":
                out[-1] = last[:3] + (str(int(last[3]) + int(op[3])),)
                continue
            if (op[1] == last[1] == "append" and op[2] == last[2] and op[0] - last[0] <= 2 and last[4] != "0"
                    and int(last[3]) + int(last[4]) == int(op[3])):
                out[-1] = last[:4] + (str(int(last[4]) + int(op[4])),)
                continue
        out.append(op)
    return out


def record(args):
    host = socket.gethostname()
    work = tempfile.mkdtemp(prefix="hf-record-")
    try:
        root = os.path.join(work, "run")
        os.mkdir(root)
        recorder = Recorder(root, host)
        log = open(os.path.join(work, "train.log"), "w")
        process = subprocess.Popen(launch_command(args, "run"), cwd=work, stdout=log, stderr=subprocess.STDOUT)
        while process.poll() is None:
            recorder.pump(0.05)
        deadline = time.monotonic() + 0.5
        while time.monotonic() < deadline:
            recorder.pump(0.05)
        log.close()
        if process.returncode != 0:
            sys.stdout.write(open(os.path.join(work, "train.log")).read()[-4000:])
            sys.exit(f"record: the training run failed (exit {process.returncode})")
        if not recorder.ops:
            sys.exit("record: the run wrote nothing")
        # Time counts from the first operation: the minutes of imports before it are not replayed.
        first = recorder.ops[0][0]
        recorder.ops = coalesce([(op[0] - first,) + op[1:] for op in recorder.ops])
        os.makedirs(args.out, exist_ok=True)
        with open(os.path.join(args.out, "ops.tsv"), "w") as f:
            for op in recorder.ops:
                f.write("\t".join(str(x) for x in op) + "\n")
        with open(os.path.join(args.out, "blobs.bin"), "wb") as f:
            f.write(recorder.blobs)
        counts = {}
        for op in recorder.ops:
            counts[op[1]] = counts.get(op[1], 0) + 1
        print(f"record: {len(recorder.ops)} operations over {recorder.ops[-1][0] / 1000:.1f} s "
              f"({', '.join(f'{k} {v}' for k, v in sorted(counts.items()))}), {len(recorder.blobs)} blob bytes → {args.out}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="mode", required=True)
    for name in ("record", "train"):
        p = sub.add_parser(name)
        p.add_argument("--steps", type=int, default=30)
        p.add_argument("--pace", type=float, default=0.3, help="seconds each step is held")
        p.add_argument("--nproc", type=int, default=1, help="processes (torchrun) when > 1")
        p.add_argument("--master-port", type=int, default=29533)
        if name == "record":
            p.add_argument("--out", required=True, help="fixture folder to write")
        else:
            p.add_argument("--output-dir", required=True)
    args = parser.parse_args()
    if args.mode == "record":
        record(args)
    elif args.nproc > 1 and "WORLD_SIZE" not in os.environ:
        sys.exit(subprocess.call(launch_command(args, args.output_dir)))
    else:
        train(args)


if __name__ == "__main__":
    main()
