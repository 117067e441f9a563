"""The mission's two networks written in plain TF/Keras (what a user would write instead of RETURNN), trained on the
same HDF corpus with the same batching rule (``batch_size`` samples of padded audio, at most ``max_seqs`` sequences),
Adam and frame-wise CE: the reference that ``bench/training_throughput.py`` compares ReturnnTrainingJob against.

Same math as the RETURNN nets (setups/networks.py): conv_1 (no bias, abs), time padding 20+20, conv_2 as a 1-D
convolution over the 64 channels (what ``input_add_feature_dim`` + a (40, 64) filter computes), window 17 + lin_1 as
one 1-D convolution of width 17 (same multiply-adds as window + linear), dense ReLU layers, softmax CE masked to each
sequence's frames; the BLSTM is ``Bidirectional(LSTM)`` with the sequence mask (backward pass per sequence).

Run as ``python bench/plain_tf_training.py JSON``; prints one JSON line per epoch ({"epoch", "seconds", "frames"}).
"""

import json
import resource
import sys
import time

import numpy as np


def read_corpus(path):
    """(audio list of float32 [samples], label list of int32 [frames]) from a RETURNN HDF written by SimpleHDFWriter."""
    import h5py

    with h5py.File(path, "r") as file:
        lengths = file["seqLengths"][...]
        inputs = file["inputs"][...].reshape(-1)
        classes = file["targets/data/classes"][...].reshape(-1)
    audio, labels, audio_pos, label_pos = [], [], 0, 0
    for samples, frames in lengths:
        audio.append(inputs[audio_pos:audio_pos + samples])
        labels.append(classes[label_pos:label_pos + frames])
        audio_pos, label_pos = audio_pos + samples, label_pos + frames
    return audio, labels


def epoch_batches(audio, labels, batch_size, max_seqs, rng, bin_size=20):
    """Padded batches like RETURNN's laplace ordering: shuffled bins of ``bin_size`` sequences, sorted by length
    inside each bin (alternately up and down), cut greedily so that num_seqs * max_len <= batch_size."""
    order = list(rng.permutation(len(audio)))
    ordered = []
    for index, start in enumerate(range(0, len(order), bin_size)):
        chunk = sorted(order[start:start + bin_size], key=lambda i: len(audio[i]), reverse=bool(index % 2))
        ordered += chunk
    batches, current = [], []
    for seq in ordered:
        longest = max([len(audio[i]) for i in current + [seq]])
        if current and (len(current) + 1 > max_seqs or (len(current) + 1) * longest > batch_size):
            batches.append(current)
            current = []
        current.append(seq)
    if current:
        batches.append(current)
    result = []
    for seqs in batches:
        max_samples = max(len(audio[i]) for i in seqs)
        max_frames = max(len(labels[i]) for i in seqs)
        x = np.zeros((len(seqs), max_samples, 1), np.float32)
        y = np.zeros((len(seqs), max_frames), np.int32)
        n = np.zeros((len(seqs),), np.int32)
        for row, i in enumerate(seqs):
            x[row, :len(audio[i]), 0] = audio[i]
            y[row, :len(labels[i])] = labels[i]
            n[row] = len(labels[i])
        result.append((x, y, n))
    return result


def build_model(kind, sizes, num_classes):
    """The Keras model: ``model(audio [B, samples, 1], frame_mask [B, frames])`` gives logits [B, frames, classes]."""
    import keras
    import tensorflow as tf
    from keras import layers

    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.conv_1 = layers.Conv1D(sizes.get("conv_1_channels", 64), 400, strides=10, use_bias=False)
            self.conv_2 = layers.Conv1D(sizes.get("conv_2_channels", 128), 40, strides=16, use_bias=False)
            lin_dim, ff_dim = sizes.get("lin_dim", 512), sizes.get("ff_dim", 2000)
            if kind == "baseline":
                self.recurrent = None
                self.lin_1 = layers.Conv1D(lin_dim, sizes.get("window", 17), padding="same")  # window + linear
                self.ff = [layers.Dense(ff_dim, activation="relu")]
            else:
                self.recurrent = layers.Bidirectional(layers.LSTM(sizes.get("rnn_layer_nodes", 512),
                                                                  return_sequences=True))
                self.lin_1 = layers.Dense(lin_dim)
                self.ff = [layers.Dense(ff_dim, activation="relu") for _ in range(3)]
            self.out = layers.Dense(num_classes)

        def call(self, audio, mask):
            x = tf.abs(self.conv_1(audio))
            x = tf.pad(x, [[0, 0], [20, 20], [0, 0]])
            x = tf.abs(self.conv_2(x))
            if self.recurrent is not None:
                x = self.recurrent(x, mask=mask)
            x = self.lin_1(x)
            for layer in self.ff:
                x = layer(x)
            return self.out(x)

    return Net()


def train(spec):
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    for gpu in gpus:
        tf.config.experimental.set_memory_growth(gpu, True)  # as the jobs run RETURNN (allow_growth)
    # Both pools as large as ReturnnTrainingJob makes them for the same cpu rqmt (recipe/returnn/launcher.py).
    tf.config.threading.set_intra_op_parallelism_threads(spec["threads"])
    tf.config.threading.set_inter_op_parallelism_threads(spec["threads"])
    audio, labels = read_corpus(spec["train_hdf"])
    model = build_model(spec["network"], spec["sizes"], spec["num_classes"])
    optimizer = tf.keras.optimizers.Adam(spec["learning_rate"])
    model(np.zeros((1, 2000, 1), np.float32), np.ones((1, 11), bool))  # creates the variables

    @tf.function(input_signature=[tf.TensorSpec([None, None, 1], tf.float32), tf.TensorSpec([None, None], tf.int32),
                                  tf.TensorSpec([None], tf.int32)])
    def step(x, y, n):
        mask = tf.sequence_mask(n, tf.shape(y)[1])
        with tf.GradientTape() as tape:
            logits = model(x, mask)
            ce = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits)
            weights = tf.cast(mask, tf.float32)
            loss = tf.reduce_sum(ce * weights) / tf.reduce_sum(weights)
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    rng = np.random.default_rng(1)
    for epoch in range(1, spec["epochs"] + 1):
        start, start_cpu = time.perf_counter(), time.process_time()
        batches = epoch_batches(audio, labels, spec["batch_size"], spec["max_seqs"], rng)
        for x, y, n in batches:
            loss = step(x, y, n)
        float(loss)
        seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - start_cpu
        frames = int(sum(int(n.sum()) for _, _, n in batches))
        print(json.dumps({"epoch": epoch, "seconds": seconds, "cpu_seconds": cpu_seconds, "frames": frames,
                          "steps": len(batches)}), flush=True)
    peak = {"peak_rss_gb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2, 3),
            "peak_gpu_memory_gb": None}
    if gpus:
        peak["peak_gpu_memory_gb"] = round(tf.config.experimental.get_memory_info("GPU:0")["peak"] / 1024 ** 3, 3)
    print(json.dumps({"peak_memory": peak}), flush=True)


if __name__ == "__main__":
    train(json.loads(sys.argv[1]))
