"""Decoder figures on real-looking data: WER of the greedy and Viterbi word decoders, and decoding speed.

Alignments, pauses and repeated digits come from the demo corpus (espeak-ng, generated here with the corpus
engineer's ``generate_corpus``); the posteriors are the dev alignments plus time-correlated noise at several
levels (reported as the frame error rate they give), so the true word strings are known. Durations and priors
are estimated from the train split, with and without its transcripts.

    .venv/bin/python bench/scoring_decoders.py [--utterances 400] [--seed 1]
"""

import argparse
import os
import sys
import tempfile
import time
import types

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--utterances", type=int, default=400)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    import jiwer
    import numpy as np

    from recipe.corpus.synthetic_digits import generate_corpus
    from recipe.scoring.alignment_statistics import alignment_statistics, duration_model, log_priors
    from recipe.scoring.returnn_hdf import read_hdf_sequences
    from recipe.scoring.synthetic_posteriors import noisy_posteriors
    from recipe.scoring.transcripts import read_transcripts, read_word_labels
    from recipe.scoring.word_search import greedy_words, to_log, viterbi_words

    workdir = tempfile.mkdtemp(prefix="bench_scoring_")
    params = types.SimpleNamespace(
        unit="word", num_utterances=args.utterances, seed=args.seed,
        split_fractions={"train": 0.65, "dev": 0.3, "test": 0.05}, speakers_per_split={"train": 12, "dev": 4, "test": 2},
        digits=(1, 7), speed_range=(0.9, 1.1), snr_db_range=(10.0, 40.0), noise_colors=("white", "pink", "brown"),
        silence_s_range=(0.1, 0.5), workers=2)
    started = time.time()
    paths = {split: os.path.join(workdir, f"{split}.hdf") for split in ("train", "dev", "test")}
    texts = {split: os.path.join(workdir, f"{split}.txt") for split in ("train", "dev", "test")}
    generate_corpus(params, paths, texts, os.path.join(workdir, "labels.json"), os.path.join(workdir, "summary.json"))
    labels, silence = read_word_labels(os.path.join(workdir, "labels.json"))
    print(f"corpus: {args.utterances} utterances in {time.time() - started:.1f} s ({workdir})")

    train_alignments = read_hdf_sequences(paths["train"], "classes")
    train_texts = read_transcripts(texts["train"])
    dev_alignments = read_hdf_sequences(paths["dev"], "classes")
    dev_texts = read_transcripts(texts["dev"])
    with_texts = alignment_statistics(train_alignments, labels, silence, train_texts)
    without_texts = alignment_statistics(train_alignments, labels, silence)
    repeats = sum(any(a == b for a, b in zip(w, w[1:])) for w in dev_texts.values())
    print(f"train: {len(train_alignments)} utts, merged repeat runs {with_texts['merged_runs']}, transcript "
          f"mismatches {with_texts['mismatched_transcripts']}; dev: {len(dev_alignments)} utts, {repeats} with a "
          f"repeated digit; median word run {np.median([d['median'] for k, d in with_texts['durations'].items() if k != labels[silence] and d['runs']]):.0f} frames")

    decoders = {
        "greedy (window 5, min 5)": lambda p: greedy_words(p, silence, 5, 5),
        "viterbi, min 5, no durations": lambda p: viterbi_words(to_log(p), silence,
                                                                duration_model(None, labels, silence, min_frames=5)),
        "viterbi, durations w/o transcripts": lambda p: viterbi_words(
            to_log(p), silence, duration_model(without_texts, labels, silence), duration_scale=2.0),
        "viterbi, durations (default job)": lambda p: viterbi_words(
            to_log(p), silence, duration_model(with_texts, labels, silence), duration_scale=2.0),
        "viterbi, durations + priors 0.3": lambda p: viterbi_words(
            to_log(p), silence, duration_model(with_texts, labels, silence), log_priors=log_priors(with_texts),
            prior_scale=0.3, duration_scale=2.0),
    }
    rng = np.random.default_rng(args.seed)
    references = [" ".join(dev_texts[tag]) for tag in dev_alignments]
    frames = sum(len(a) for a in dev_alignments.values())
    for noise in (0.5, 1.0, 1.5, 2.0):
        posteriors = [noisy_posteriors(rng, alignment, len(labels), noise=noise) for alignment in dev_alignments.values()]
        fer = sum(int((p.argmax(1) != a).sum()) for p, a in zip(posteriors, dev_alignments.values())) / frames
        print(f"\nnoise {noise}: frame error rate {100 * fer:.1f} %")
        for name, decode in decoders.items():
            started = time.time()
            hypotheses = [" ".join(labels[w] for w in decode(p)) for p in posteriors]
            seconds = time.time() - started
            out = jiwer.process_words(references, hypotheses)
            print(f"  {name:36s} WER {100 * out.wer:6.2f} %  (S {out.substitutions:3d} D {out.deletions:3d} "
                  f"I {out.insertions:3d})  {1000 * seconds / len(posteriors):6.1f} ms/utt "
                  f"({seconds / (frames / 100):.4f} s per s of audio)")


if __name__ == "__main__":
    main()
