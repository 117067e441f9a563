"""Word error rate of hypotheses against references with jiwer (no Sisyphus).

:func:`score_transcripts` returns the summary dict written as ``ScoreWerJob.out_wer``::

    {"wer": float, "substitutions": int, "deletions": int, "insertions": int, "hits": int,
     "num_words": int (reference words), "num_sentences": int, "sentence_errors": int, "ser": float}

and one record per utterance (tag, reference, hypothesis, error counts, an aligned REF/HYP pair).
"""


def score_transcripts(references, hypotheses, allow_missing=False):
    """(summary, per_utterance) for {seq_tag: [words]} dicts. Every reference tag needs a hypothesis (else an
    error, or with ``allow_missing`` an empty hypothesis); hypotheses without a reference are an error."""
    import jiwer

    extra = sorted(set(hypotheses) - set(references))
    if extra:
        raise KeyError(f"{len(extra)} hypotheses have no reference, e.g. {extra[:3]}; score the hypotheses against "
                       "the transcripts of the same corpus split")
    missing = sorted(set(references) - set(hypotheses))
    if missing and not allow_missing:
        raise KeyError(f"{len(missing)} references have no hypothesis, e.g. {missing[:3]}; decode the whole split "
                       "or set allow_missing=True to count them as deleted")
    totals = {"substitutions": 0, "deletions": 0, "insertions": 0, "hits": 0}
    sentence_errors = 0
    per_utterance = []
    for tag, reference in references.items():
        hypothesis = list(hypotheses.get(tag, []))
        counts, reference_row, hypothesis_row = _align(jiwer, list(reference), hypothesis)
        for key in totals:
            totals[key] += counts[key]
        errors = counts["substitutions"] + counts["deletions"] + counts["insertions"]
        sentence_errors += errors > 0
        per_utterance.append({"tag": tag, "reference": " ".join(reference), "hypothesis": " ".join(hypothesis),
                              "errors": errors, **counts, "aligned_reference": reference_row,
                              "aligned_hypothesis": hypothesis_row})
    num_words = totals["substitutions"] + totals["deletions"] + totals["hits"]
    num_errors = totals["substitutions"] + totals["deletions"] + totals["insertions"]
    summary = {"wer": num_errors / num_words if num_words else float(num_errors > 0), **totals,
               "num_words": num_words, "num_sentences": len(references), "sentence_errors": sentence_errors,
               "ser": sentence_errors / len(references) if references else 0.0}
    return summary, per_utterance


def _align(jiwer, reference, hypothesis):
    """Error counts and equally wide REF/HYP strings (``***`` for gaps, upper case for errors)."""
    if not reference:
        counts = {"substitutions": 0, "deletions": 0, "insertions": len(hypothesis), "hits": 0}
        return counts, " ".join("*" * len(w) for w in hypothesis), " ".join(w.upper() for w in hypothesis)
    if not hypothesis:
        counts = {"substitutions": 0, "deletions": len(reference), "insertions": 0, "hits": 0}
        return counts, " ".join(w.upper() for w in reference), " ".join("*" * len(w) for w in reference)
    output = jiwer.process_words(" ".join(reference), " ".join(hypothesis))
    counts = {"substitutions": output.substitutions, "deletions": output.deletions,
              "insertions": output.insertions, "hits": output.hits}
    reference_words, hypothesis_words = [], []
    for chunk in output.alignments[0]:
        ref_part = reference[chunk.ref_start_idx:chunk.ref_end_idx]
        hyp_part = hypothesis[chunk.hyp_start_idx:chunk.hyp_end_idx]
        if chunk.type == "equal":
            pairs = list(zip(ref_part, hyp_part))
        elif chunk.type == "substitute":
            pairs = [(r.upper(), h.upper()) for r, h in zip(ref_part, hyp_part)]
        elif chunk.type == "delete":
            pairs = [(r.upper(), "") for r in ref_part]
        else:
            pairs = [("", h.upper()) for h in hyp_part]
        for ref_word, hyp_word in pairs:
            width = max(len(ref_word), len(hyp_word))
            reference_words.append(ref_word.ljust(width) if ref_word else "*" * width)
            hypothesis_words.append(hyp_word.ljust(width) if hyp_word else "*" * width)
    return counts, " ".join(reference_words), " ".join(hypothesis_words)


def format_per_utterance(summary, per_utterance):
    """Human-readable report: the summary, then REF/HYP pairs of every utterance (errors in upper case)."""
    lines = [f"WER {100 * summary['wer']:.2f} % ({summary['substitutions']} sub, {summary['deletions']} del, "
             f"{summary['insertions']} ins of {summary['num_words']} words); SER {100 * summary['ser']:.2f} % "
             f"({summary['sentence_errors']} of {summary['num_sentences']} sentences)", ""]
    for record in per_utterance:
        lines += [f"{record['tag']}  errors: {record['errors']}",
                  f"  REF: {record['aligned_reference']}", f"  HYP: {record['aligned_hypothesis']}"]
    return "\n".join(lines) + "\n"
