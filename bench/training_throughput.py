"""Steady-state training speed of the mission's two networks, against plain TF and against the machine's limit.

For the baseline CNN-DNN and the BLSTM, at the ``demo`` and ``full`` profile's sizes, this trains through
``ReturnnTrainingJob`` (the job's own config, launcher and thread settings; batching, optimizer and network from
setups/profiles.py as config/transfer.py builds them), in both formulations of setups/networks.py (``as_written``,
the user's layers and the default; ``fast``, the profile switch ``fast_formulation``), and the same model in plain
TF/Keras (``bench/plain_tf_training.py``), alternately (A B C ..., then ... C B A) and ``--repeats`` times, on a
synthetic HDF corpus of demo-like utterance lengths. Steady state: the first epoch (graph building, first steps) is
not counted; frames/s is real (unpadded) 10 ms frames of the later epochs per second of their training time.
GFLOP/s: the networks' multiply-adds per frame (:func:`training_flops_per_frame`) times frames/s, beside the
machine's float32 matmul GFLOP/s (numpy 2048x2048, with ``OPENBLAS_CORETYPE``/``OPENBLAS_L2_SIZE`` unset in that
measurement only, and TF's ``tf.matmul``), and beside the matmul the LSTM's recurrence runs each time step
(``[batch, n] x [n, 4n]``, one dependent step after the other), whose size caps what a BLSTM can reach on a CPU.

Threads: both sides get the same TensorFlow intra-op and inter-op pools, as large as the profile's train cpu rqmt
(what ReturnnTrainingJob sets, recipe/returnn/launcher.py; demo 1, full 4) or ``--threads``. (Before, the plain TF
side ran with TF's defaults, the machine's 2 cores, beside RETURNN's 1 or 4: the demo rows compared 1 thread against
2, and the full baseline's 87 % of an earlier README came from that and from one 4000-frame epoch measured.)

Clock: on a CPU shared with other work (the project's machine: 2 cores, often a load of 5-20) the wall time of a
training mostly says how much of the cores the scheduler gave it, and a process with more runnable threads gets
more; so on the CPU frames/s and matmul GFLOP/s are by default per N seconds of CPU time, N the cores a training
can use (its threads, at most the machine's cores): what an idle machine of N cores gives a training that keeps
them busy; it flatters one that cannot, e.g. a single-threaded LSTM kernel. Wall-clock figures are printed beside
them. On a GPU: wall time.

Usage: python bench/training_throughput.py [--networks baseline,blstm] [--sizes demo,full] [--repeats 2]
           [--formulations as_written,fast] [--units lstmp,standardlstm] [--device cpu|gpu] [--clock cpu|wall]
           [--epochs 3] [--frames-demo 20000] [--frames-full 5000] [--threads N]
``bench/gpu_training_check.sh`` runs it on a GPU at full sizes. Prints one line per run, then a summary per network
and size (median and spread over the repeats, % of plain TF, GFLOP/s, peak RSS and GPU memory) and, last:
``baseline A frames/s (B % of plain TF), blstm C frames/s (D % of plain TF)`` for the first size given and the last
formulation (a line before it for the other). Not a test.

What the figures say (README "Training speed" has them): the baseline as written spends most of a step in the
gradients of conv_2's 2-D convolution over an added feature axis and of the window layer (TF timeline); the fast
formulation computes the same function without them. The BLSTM is bound by the LSTM recurrence: RETURNN's lstmp
unit is NativeLstm2, whose CPU kernel runs CUDA-style thread blocks one after another (returnn/native_op.cpp,
_KernelLoop), and each time step multiplies only [batch of ~5 sequences, n] by [n, 4n]; at 512 cells the unit
``standardlstm`` (``--units standardlstm``, a profile choice: another network) comes close to Keras' LSTM.
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

NUM_CLASSES = 12
"""Word-unit labels of the synthetic digits corpus (11 digits + silence)."""

EPOCH_START = re.compile(r"^start epoch (\d+) with learning rate")
EPOCH_END = re.compile(r"^train epoch (\d+), finished after (\d+) steps")


# --- FLOPs -----------------------------------------------------------------------------------------------------------
def network_sizes(network, size):
    """The network keyword arguments of a profile (``setups/profiles.py``) for ``network`` in ``size``."""
    from setups import profiles

    return dict(profiles.get_profile(size)[network]["network"])


def training_flops_per_frame(network, sizes):
    """Floating-point operations of one training step per 10 ms output frame: 2 per multiply-add of every conv,
    LSTM and dense layer in the forward pass, times 3 for forward + backward (times 2 for conv_1: no input gradient).
    Elementwise work (activations, gates, softmax, Adam) is left out."""
    c1, c2 = sizes.get("conv_1_channels", 64), sizes.get("conv_2_channels", 128)
    lin, ff = sizes.get("lin_dim", 512), sizes.get("ff_dim", 2000)
    conv_1 = 16 * 400 * c1 * 2  # 16 conv_1 frames (stride 10) per output frame (stride 160)
    forward = 40 * c1 * c2 * 2
    if network == "baseline":
        forward += sizes.get("window", 17) * c2 * lin * 2 + lin * ff * 2 + ff * NUM_CLASSES * 2
    else:
        n = sizes.get("rnn_layer_nodes", 512)
        forward += 2 * 4 * n * (c2 + n) * 2 + 2 * n * lin * 2 + lin * ff * 2 + 2 * ff * ff * 2 + ff * NUM_CLASSES * 2
    return 2 * conv_1 + 3 * forward


# --- the machine's limit ---------------------------------------------------------------------------------------------
MATMUL_PROBE = r"""
import json, sys, time
import numpy as np
threads = int(sys.argv[1])
clock = time.process_time if sys.argv[2] == "cpu" else time.perf_counter
def best(fn, repeats, clock=time.perf_counter):
    fn(); times = []
    for _ in range(repeats):
        start = clock(); fn(); times.append(clock() - start)
    return min(times)
result = {}
a = np.random.rand(2048, 2048).astype(np.float32); b = np.random.rand(2048, 2048).astype(np.float32)
result["numpy_2048"] = 2 * 2048 ** 3 / best(lambda: a @ b, 5) / 1e9
result["numpy_2048_cpu"] = threads * 2 * 2048 ** 3 / best(lambda: a @ b, 5, time.process_time) / 1e9
try:
    from threadpoolctl import threadpool_info
    result["blas"] = ", ".join(f"{i['internal_api']} {i.get('architecture')} {i['num_threads']} threads"
                               for i in threadpool_info() if i["user_api"] == "blas")
except ImportError:
    result["blas"] = "threadpoolctl not installed"
import tensorflow as tf
tf.config.threading.set_intra_op_parallelism_threads(threads)
tf.config.threading.set_inter_op_parallelism_threads(1)
device = "/GPU:0" if tf.config.list_physical_devices("GPU") else "/CPU:0"
with tf.device(device):
    size = 8192 if device == "/GPU:0" else 2048
    ta, tb = tf.random.uniform([size, size]), tf.random.uniform([size, size])
    product = tf.function(lambda: tf.reduce_sum(tf.matmul(ta, tb)))
    result["tf_size"] = size
    result["tf_2048"] = 2 * size ** 3 / best(lambda: product().numpy(), 5) / 1e9
    result["tf_2048_cpu"] = threads * 2 * size ** 3 / best(lambda: product().numpy(), 5, time.process_time) / 1e9
    for batch, n in ((8, 128), (32, 128), (8, 512), (32, 512)):
        x, w = tf.random.normal([batch, n]), tf.random.normal([n, 4 * n])
        step = tf.function(lambda x, w: tf.matmul(x, w))
        loop = tf.function(lambda x, w: tf.foldl(lambda acc, _: tf.tanh(tf.matmul(acc, w)[:, :n]), tf.range(200), x))
        seconds = best(lambda: loop(x, w).numpy(), 3, clock) / 200
        result[f"tf_step_{batch}x{n}"] = 2 * batch * n * 4 * n / seconds / 1e9  # a chain of steps: one core
print(json.dumps(result))
"""


def machine_limits(threads, clock):
    """Matmul GFLOP/s: numpy 2048x2048 (OPENBLAS_CORETYPE/L2_SIZE unset), tf.matmul 2048x2048 (each per second of
    wall time and per ``threads`` seconds of CPU time, ``*_cpu``), and one time step of an LSTM-sized recurrence
    (tf, 200 dependent steps; by ``clock``) for a few batch/cell sizes."""
    env = {key: value for key, value in os.environ.items() if key not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    env.update({"OMP_NUM_THREADS": str(threads), "OPENBLAS_NUM_THREADS": str(threads), "TF_CPP_MIN_LOG_LEVEL": "2"})
    output = subprocess.run([sys.executable, "-c", MATMUL_PROBE, str(threads), clock], env=env, check=True,
                            capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


# --- corpus ----------------------------------------------------------------------------------------------------------
def write_corpus(path, total_frames, seed=1, min_frames=80, max_frames=400):
    """A train HDF of noise audio and random labels, utterances of ``min_frames``..``max_frames`` frames (the demo
    corpus's 1-7 digits), ``total_frames`` frames in all. Returns the frame count."""
    import numpy as np
    from returnn.datasets.hdf import SimpleHDFWriter

    from recipe.corpus.frontend_geometry import samples_for_frames

    rng = np.random.default_rng(seed)
    writer = SimpleHDFWriter(path, dim=1, ndim=2, extra_type={"classes": (NUM_CLASSES, 1, "int32")})
    frames_written, index = 0, 0
    while frames_written < total_frames:
        frames = int(rng.integers(min_frames, max_frames + 1))
        samples = samples_for_frames(frames)
        audio = (0.1 * rng.standard_normal(samples)).astype("float32")
        labels = rng.integers(0, NUM_CLASSES, size=frames).astype("int32")
        writer.insert_batch(audio[None, :, None], seq_len=[samples], seq_tag=[f"train/utt{index}"],
                            extra={"classes": labels[None, :]})
        frames_written, index = frames_written + frames, index + 1
    writer.close()
    return frames_written


# --- one training ----------------------------------------------------------------------------------------------------
class _Corpus:
    """What config/transfer.py's returnn_settings reads of a corpus job: ``out_hdf``."""

    def __init__(self, train_hdf):
        from recipe.sis_api import tk

        self.out_hdf = {"train": tk.Path(train_hdf), "dev": tk.Path(train_hdf)}


def returnn_config(spec):
    """The training config config/transfer.py builds for this network and profile (without the dev set)."""
    from config.transfer import returnn_settings
    from recipe.returnn.config import ReturnnConfig
    from setups import networks, profiles

    profile = profiles.get_profile(spec["size"])
    hyper = profile[spec["network"]]
    settings = returnn_settings(profile, _Corpus(spec["train_hdf"]), hyper)
    settings.pop("dev")
    sizes = {**hyper["network"], "fast_formulation": spec["fast_formulation"]}
    if spec["network"] == "baseline":
        net = networks.baseline_network(profile["batch_independent"], **sizes)
    else:
        net = networks.blstm_network(batch_independent=profile["batch_independent"],
                                     **{**sizes, "lstm_unit": spec["unit"]})
    return ReturnnConfig({**settings, "network": net}), profile


def children_cpu_seconds():
    """User + system CPU seconds of this process's living child processes (RETURNN, started by the job)."""
    import psutil

    total = 0.0
    for child in psutil.Process().children(recursive=True):
        try:
            times = child.cpu_times()
            total += times.user + times.system
        except psutil.Error:
            continue
    return total


class _TimedLines:
    """A text stream that remembers when each line arrived (RETURNN's output, copied line by line), and for the
    epoch start/end lines also the CPU seconds RETURNN had used by then."""

    def __init__(self):
        self.lines, self._partial = [], ""

    def write(self, text):
        now = time.perf_counter()
        self._partial += text
        *complete, self._partial = self._partial.split("\n")
        for line in complete:
            marks = EPOCH_START.match(line) or EPOCH_END.match(line)
            self.lines.append((now, children_cpu_seconds() if marks else None, line))
        return len(text)

    def flush(self):
        pass


def run_returnn_job(spec):
    """Train through ReturnnTrainingJob in a fresh setup directory; prints one JSON line per epoch."""
    os.chdir(spec["workdir"])
    from sislite import global_constants

    global_constants.BASE_DIR = spec["workdir"]
    from recipe.returnn.training import ReturnnTrainingJob
    from tests.recipe.returnn.tiny_setup import run_task

    config, profile = returnn_config(spec)
    rqmt = profile["rqmt"]["train"]
    job = ReturnnTrainingJob(config, num_epochs=spec["epochs"], log_verbosity=4, device=spec["device"],
                             cpu_rqmt=spec["threads"], mem_rqmt=rqmt["mem"])
    log = _TimedLines()
    try:
        run_task(job, "run", stdout=log)
    except Exception:
        sys.stderr.write("\n".join(line for _, _, line in log.lines[-60:]) + "\n")
        raise
    starts = {int(m.group(1)): (t, cpu) for t, cpu, m in ((t, cpu, EPOCH_START.match(line))
                                                          for t, cpu, line in log.lines) if m}
    for t, cpu, line in log.lines:
        match = EPOCH_END.match(line)
        if match:
            epoch = int(match.group(1))
            print(json.dumps({"epoch": epoch, "seconds": t - starts[epoch][0], "cpu_seconds": cpu - starts[epoch][1],
                              "frames": spec["frames"], "steps": int(match.group(2))}), flush=True)
    record = os.path.join(job._sis_path(abspath=True), "output", "peak_memory.json")
    if os.path.exists(record):
        with open(record) as file:
            print(json.dumps({"peak_memory": json.load(file)}), flush=True)


# --- the driver ------------------------------------------------------------------------------------------------------
def run_worker(kind, spec):
    """One training in a subprocess; returns (epoch dicts, other dicts it printed: its peak memory)."""
    script = os.path.join(REPO, "bench", "plain_tf_training.py") if kind == "plain_tf" else os.path.abspath(__file__)
    args = [sys.executable, script] + (["--worker"] if kind == "returnn" else []) + [json.dumps(spec)]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONPATH": REPO,
           "OMP_NUM_THREADS": str(spec["threads"])}
    if spec["device"] == "cpu":
        env.update({"CUDA_VISIBLE_DEVICES": "", "DISABLE_CUDA": "1"})
    process = subprocess.run(args, env=env, capture_output=True, text=True)
    if process.returncode != 0:
        raise RuntimeError(f"{kind} training failed ({spec['network']}, {spec['size']}):\n{process.stderr[-4000:]}")
    records = [json.loads(line) for line in process.stdout.splitlines() if line.startswith("{")]
    return [r for r in records if "epoch" in r], [r for r in records if "epoch" not in r]


def steady_frames_per_second(epochs, cores=None):
    """Frames/s over the epochs after the first: per second of wall time, or with ``cores`` per ``cores`` seconds
    of CPU time (what the training would reach on that many otherwise idle cores: CPU time hardly grows when other
    processes share the cores, wall time does)."""
    later = [epoch for epoch in epochs if epoch["epoch"] > 1] or epochs
    seconds = sum(epoch["cpu_seconds"] / cores if cores else epoch["seconds"] for epoch in later)
    return sum(epoch["frames"] for epoch in later) / seconds


def load():
    with open("/proc/loadavg") as file:
        return "load " + " ".join(file.read().split()[:3])


def plan(args):
    """[(size, network, variant)] of one repeat; variant is "plain_tf" or (formulation, unit)."""
    runs = []
    for size in args.sizes.split(","):
        for network in args.networks.split(","):
            runs.append((size, network, "plain_tf"))
            units = args.units.split(",") if network == "blstm" else ["-"]
            runs += [(size, network, (formulation, unit)) for formulation in args.formulations.split(",")
                     for unit in units]
    return runs


def label(network, variant):
    if variant == "plain_tf":
        return f"{network} plain TF"
    formulation, unit = variant
    return f"{network}{'' if unit == '-' else f'[{unit}]'} {formulation}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--networks", default="baseline,blstm")
    parser.add_argument("--sizes", default="demo,full")
    parser.add_argument("--formulations", default="as_written,fast",
                        help="as_written (the user's layers) and/or fast (the profile's fast_formulation)")
    parser.add_argument("--units", default="lstmp", help="BLSTM rec units to measure (comma separated)")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=3, help="epochs per training; the first is warm-up")
    parser.add_argument("--frames-demo", type=int, default=20000, help="frames per epoch at demo sizes")
    parser.add_argument("--frames-full", type=int, default=5000, help="frames per epoch at full sizes")
    parser.add_argument("--device", default="cpu", choices=("cpu", "gpu"))
    parser.add_argument("--threads", type=int, default=None, help="cpu threads (default: the profile's cpu rqmt)")
    parser.add_argument("--clock", choices=("cpu", "wall"), default=None,
                        help="frames/s per second of wall time, or per --threads seconds of CPU time (default: cpu "
                             "on the CPU, where other processes share the cores; wall on a GPU)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("spec", nargs="?", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        run_returnn_job(json.loads(args.spec))
        return
    from setups import profiles

    sizes = args.sizes.split(",")
    threads = {size: args.threads or profiles.get_profile(size)["rqmt"]["train"]["cpu"] for size in sizes}
    cores_of = {size: min(threads[size], os.cpu_count()) for size in sizes}  # what the clock divides CPU time by
    cores = max(cores_of.values())
    clock = args.clock or ("wall" if args.device == "gpu" else "cpu")
    print(f"# {load()}, {os.cpu_count()} cpus, device {args.device}", flush=True)
    limits = machine_limits(cores, clock)
    print(f"# matmul float32: numpy 2048x2048 {limits['numpy_2048']:.1f} GFLOP/s wall, "
          f"{limits['numpy_2048_cpu']:.1f} per {cores} CPU-s ({limits['blas']}); tf {limits['tf_size']}x"
          f"{limits['tf_size']} {limits['tf_2048']:.1f} wall, {limits['tf_2048_cpu']:.1f} per {cores} CPU-s",
          flush=True)
    print(f"# one LSTM time step's matmul [batch, n] x [n, 4n] in a 200-step loop (tf, by {clock} time): " +
          ", ".join(f"{key[8:]} {value:.1f}" for key, value in limits.items() if key.startswith("tf_step_")) +
          " GFLOP/s", flush=True)
    reference_name = "tf.matmul (GPU)" if args.device == "gpu" else "numpy matmul"
    reference = limits["tf_2048"] if args.device == "gpu" else limits["numpy_2048" + ("_cpu" if clock == "cpu" else "")]
    print("# threads (TF intra- and inter-op pools, both sides): " +
          ", ".join(f"{size} {threads[size]} (CPU time per {cores_of[size]} cores)" for size in sizes), flush=True)
    base = tempfile.mkdtemp(prefix="training_throughput_")
    corpora = {size: os.path.join(base, f"{size}.hdf") for size in sizes}
    frames = {size: write_corpus(corpora[size], getattr(args, f"frames_{size}")) for size in sizes}
    results = {}
    for repeat in range(args.repeats):
        runs = plan(args)
        for size, network, variant in (runs if repeat % 2 == 0 else runs[::-1]):  # A B ..., then ... B A
            training = profiles.get_profile(size)["training"]
            formulation, unit = ("as_written", "lstmp") if variant == "plain_tf" else variant
            spec = {"network": network, "size": size, "unit": "lstmp" if unit == "-" else unit,
                    "fast_formulation": formulation == "fast", "train_hdf": corpora[size], "frames": frames[size],
                    "epochs": args.epochs, "device": args.device,
                    "threads": threads[size],
                    "workdir": tempfile.mkdtemp(dir=base), "sizes": network_sizes(network, size),
                    "num_classes": NUM_CLASSES, "learning_rate": profiles.get_profile(size)[network]["learning_rate"],
                    "batch_size": training["batch_size"], "max_seqs": training.get("max_seqs", 32)}
            start = time.perf_counter()
            epochs, extra = run_worker("plain_tf" if variant == "plain_tf" else "returnn", spec)
            wall_fps = steady_frames_per_second(epochs)
            cpu_fps = steady_frames_per_second(epochs, cores_of[size]) if args.device == "cpu" else None
            fps = cpu_fps if clock == "cpu" else wall_fps
            entry = results.setdefault((size, network, variant), {"fps": [], "rss": [], "gpu": []})
            entry["fps"].append(fps)
            for peak in (r["peak_memory"] for r in extra if "peak_memory" in r):
                entry["rss"].append(peak["peak_rss_gb"])
                entry["gpu"] += [peak["peak_gpu_memory_gb"]] if peak.get("peak_gpu_memory_gb") is not None else []
            gflops = fps * training_flops_per_frame(network, spec["sizes"]) / 1e9
            cpu_text = "" if cpu_fps is None else f" ({cpu_fps:7.0f} per {cores_of[size]} CPU-s)"
            print(f"{size:5s} {label(network, variant):30s} repeat {repeat + 1}: {wall_fps:7.0f} frames/s wall"
                  f"{cpu_text}, {gflops:6.1f} GFLOP/s ({epochs[-1]['steps']} steps/epoch, "
                  f"{time.perf_counter() - start:5.1f} s, {load()})", flush=True)
    print(f"# {load()}")
    print(f"\nframes/s per {'second of wall time' if clock == 'wall' else 'N seconds of CPU time (N: cores used)'}, "
          f"median (min-max) over {args.repeats} repeats; GFLOP/s from the median")
    print(f"size  {'training':30s} {'frames/s':>26s} {'% of plain TF (min-max)':>24s} "
          f"{'GFLOP/s':>8s} {'% of ' + reference_name:>20s} {'peak RSS':>9s} {'peak GPU':>9s}")
    summary = {}
    for (size, network, variant), entry in results.items():
        ours, theirs = entry["fps"], results[(size, network, "plain_tf")]["fps"]
        ratios = [100 * a / b for a, b in zip(ours, theirs)]
        gflops = statistics.median(ours) * training_flops_per_frame(network, network_sizes(network, size)) / 1e9
        limit = reference if args.device == "gpu" else reference * cores_of[size] / cores  # matmul on those cores
        print(f"{size:5s} {label(network, variant):30s} {_spread(ours, '.0f'):>26s} {_spread(ratios, '.0f'):>24s} "
              f"{gflops:8.1f} {100 * gflops / limit:19.0f}% "
              f"{max(entry['rss'], default=0):8.2f}G "
              f"{max(entry['gpu'], default=0):8.2f}G")
        summary[(size, network, variant)] = (statistics.median(ours), statistics.median(ratios))
    formulations, unit = args.formulations.split(","), args.units.split(",")[0]
    for formulation in formulations:
        try:
            baseline = summary[(sizes[0], "baseline", (formulation, "-"))]
            blstm = summary[(sizes[0], "blstm", (formulation, unit))]
        except KeyError:
            continue
        prefix = "" if formulation == formulations[-1] else f"# {sizes[0]} sizes, {formulation}: "
        print(f"{prefix}baseline {baseline[0]:.0f} frames/s ({baseline[1]:.0f} % of plain TF), "
              f"blstm {blstm[0]:.0f} frames/s ({blstm[1]:.0f} % of plain TF)")


def _spread(values, spec):
    if not values:
        return "-"
    return f"{statistics.median(values):{spec}} ({min(values):{spec}}-{max(values):{spec}})"


if __name__ == "__main__":
    main()
