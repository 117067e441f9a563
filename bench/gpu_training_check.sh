#!/bin/bash
# GPU check of the `full` profile: both networks at the user's sizes, a few hundred training steps each (3 epochs of
# ~100 batches), through ReturnnTrainingJob (as written and fast_formulation) and in plain TF/Keras, printing the
# figures of bench/training_throughput.py (frames/s, % of plain TF, GFLOP/s against tf.matmul, peak RSS; the GPU
# memory each training recorded is in its job's output/peak_memory.json). Meant to end within 10 minutes on one GPU.
#
# Usage: bench/gpu_training_check.sh [more options of bench/training_throughput.py]
# Needs a TensorFlow that sees the GPU in $PYTHON (default .venv/bin/python): requirements.txt installs
# tensorflow-cpu; for a GPU run install the CUDA build beside the rest: `.venv/bin/pip install 'tensorflow[and-cuda]'`.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
if ! "$PYTHON" -c "import sys, tensorflow as tf; sys.exit(0 if tf.config.list_physical_devices('GPU') else 1)" \
        2>/dev/null; then
    echo "bench/gpu_training_check.sh: the TensorFlow of $PYTHON sees no GPU (or is missing). Install the CUDA" \
         "build: $PYTHON -m pip install 'tensorflow[and-cuda]', then run this again." >&2
    exit 2
fi
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
export PYTHONUNBUFFERED=1
exec timeout 570 "$PYTHON" bench/training_throughput.py --device gpu --sizes full --repeats 1 --epochs 3 \
    --frames-full 100000 --threads 4 "$@"
