"""Training throughput (frames/s) of the mission's baseline CNN-DNN: through ReturnnTrainingJob (job code, config
writing, launcher, learning-curve plot) versus the same RETURNN config run by hand, so the job overhead shows.

Usage: python bench/returnn_throughput.py [--seqs 40] [--epochs 2] [--threads 2] [--small]
Prints wall time and frames/s for both ways. Synthetic data (tiny_setup's tone task); not a test.
"""

import argparse
import io
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seqs", type=int, default=40, help="training sequences (20-40 frames each)")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--small", action="store_true", help="shrunk network instead of the mission's sizes")
    args = parser.parse_args()

    setup = tempfile.mkdtemp(prefix="returnn_bench_")
    os.chdir(setup)
    from sislite import global_constants

    global_constants.BASE_DIR = setup
    from recipe.returnn.training import ReturnnTrainingJob
    from setups.networks import baseline_network
    from tests.recipe.returnn import tiny_setup

    corpus = os.path.join(setup, "corpus")
    os.makedirs(corpus)
    tiny_setup.write_tiny_hdf(os.path.join(corpus, "train.hdf"), args.seqs, 1, "train")
    tiny_setup.write_tiny_hdf(os.path.join(corpus, "dev.hdf"), 2, 2, "dev")
    import h5py

    with h5py.File(os.path.join(corpus, "train.hdf"), "r") as file:
        frames = int(file["targets/data/classes"].shape[0])
    network = tiny_setup.tiny_network() if args.small else baseline_network()
    config = tiny_setup.tiny_config(corpus, network=network)  # threads: the job's, from cpu_rqmt

    job = ReturnnTrainingJob(config, num_epochs=args.epochs, cpu_rqmt=args.threads)
    start = time.time()
    tiny_setup.run_all_tasks(job, stdout=io.StringIO())
    job_seconds = time.time() - start

    by_hand = os.path.join(setup, "by_hand")
    os.makedirs(by_hand)
    command = [sys.executable, "-m", "returnn", job.out_returnn_config_file.get_path(),
               "++model", os.path.join(by_hand, "epoch"), "++learning_rate_file", os.path.join(by_hand, "lr")]
    env = {**os.environ, "DISABLE_CUDA": "1", "OMP_NUM_THREADS": str(args.threads), "CLICOLOR": "0"}
    start = time.time()
    subprocess.run(command, cwd=by_hand, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    hand_seconds = time.time() - start

    total = frames * args.epochs
    print(f"network: {'tiny' if args.small else 'mission baseline'}, {args.seqs} seqs, {frames} frames/epoch "
          f"({frames / 100:.1f} s audio), {args.epochs} epochs, {args.threads} threads")
    print(f"ReturnnTrainingJob (all tasks): {job_seconds:7.1f} s  {total / job_seconds:9.0f} frames/s")
    print(f"RETURNN by hand (same config):  {hand_seconds:7.1f} s  {total / hand_seconds:9.0f} frames/s")
    print(f"job overhead: {job_seconds - hand_seconds:+.1f} s")


if __name__ == "__main__":
    main()
