"""Transcript files (contract 4): one utterance per line, ``<seq_tag> <word> <word> ...``; and the labels JSON."""

import json

from recipe.file_path import path_string
from recipe.text_fields import numbered_fields


def read_transcripts(path):
    """{seq_tag: [words]} in file order; fails on a duplicate tag."""
    path = path_string(path)
    transcripts = {}
    for number, fields in numbered_fields(path):
        if fields[0] in transcripts:
            raise ValueError(f"{path}:{number}: sequence tag {fields[0]!r} appears twice; "
                             "each utterance must have exactly one line")
        transcripts[fields[0]] = fields[1:]
    return transcripts


def format_transcripts(transcripts):
    """Text of a transcript file for {seq_tag: [words]}."""
    return "".join(" ".join([tag] + list(words)) + "\n" for tag, words in transcripts.items())


def read_word_labels(path):
    """(labels, silence_index) from a labels JSON; fails unless the unit is words."""
    path = path_string(path)
    with open(path, encoding="utf-8") as file:
        description = json.load(file)
    unit = description.get("unit")
    if unit != "word":
        raise ValueError(f"{path}: label unit is {unit!r}; word decoding needs word labels (unit 'word'). "
                         "Train and forward with the corpus' word labels, or decode phones with a lexicon instead")
    labels = description["labels"]
    silence_index = description.get("silence_index", 0)
    if not 0 <= silence_index < len(labels):
        raise ValueError(f"{path}: silence_index {silence_index} is outside the {len(labels)} labels")
    return labels, silence_index
