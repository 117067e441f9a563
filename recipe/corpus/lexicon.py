"""The connected-digit vocabulary and the two label inventories (words, ARPAbet phones) of the synthetic corpus."""

DIGIT_WORDS = ("oh", "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
"""The eleven spoken digit words (TIDIGITS style: "oh" and "zero" are both zero)."""

SILENCE = "<sil>"

WORD_LABELS = (SILENCE,) + DIGIT_WORDS
"""12 word classes; index 0 is silence."""

PHONE_LABELS = (SILENCE, "AH", "AO", "AY", "EH", "EY", "F", "IH", "IY", "K", "N", "OW", "R", "S", "T", "TH", "UW",
                "V", "W", "Y", "Z")
"""21 phone classes: silence plus the 20 ARPAbet phones of the digit words in the English accents used."""

ESPEAK_TO_ARPABET = {
    "@": "AH", "0": "AH", "V": "AH", "o@": "AO", "O@": "AO", "O:": "AO", "aI": "AY", "aI2": "AY", "E": "EH",
    "eI": "EY", "f": "F", "I": "IH", "i": "IY", "i:": "IY", "i@": "IY", "k": "K", "n": "N", "oU": "OW", "r": "R",
    "r-": "R", "s": "S", "t": "T", "t[": "T", "T": "TH", "u:": "UW", "v": "V", "w": "W", ";": "Y", "z": "Z",
}
"""espeak-ng phoneme mnemonics (stress marks removed) of the digit words -> ARPAbet; ``;`` is the linking glide
espeak-ng inserts in e.g. "three oh"."""

FLITE_PRONUNCIATIONS = {
    "oh": ("ow",), "zero": ("z", "ih", "r", "ow"), "one": ("w", "ah", "n"), "two": ("t", "uw"),
    "three": ("th", "r", "iy"), "four": ("f", "ao", "r"), "five": ("f", "ay", "v"), "six": ("s", "ih", "k", "s"),
    "seven": ("s", "eh", "v", "ax", "n"), "eight": ("ey", "t"), "nine": ("n", "ay", "n"),
}
"""The phones flite (CMU lexicon) speaks for each digit word, in every one of its voices."""

FLITE_PAUSE = "pau"

STOP_PHONEMES = frozenset({"t", "t[", "k"})
"""Phonemes espeak-ng reports at their burst; their closure precedes the reported start."""

UNITS = {"word": WORD_LABELS, "phone": PHONE_LABELS}


def labels_for_unit(unit):
    """The label inventory of ``unit`` ("word" or "phone")."""
    if unit not in UNITS:
        raise ValueError(f"unknown label unit {unit!r}: use one of {sorted(UNITS)}")
    return UNITS[unit]


def strip_stress(espeak_phoneme):
    """espeak-ng 1.52 puts stress marks (' and ,) into phoneme names: ``'i:`` -> ``i:``."""
    return espeak_phoneme.lstrip("',")


def is_pause(espeak_phoneme):
    """espeak-ng pause phonemes (``_``, ``_:``, ``_!`` ...) are silence."""
    return espeak_phoneme.startswith("_")


def arpabet(espeak_phoneme, accent):
    """ARPAbet phone of an espeak-ng phoneme; a clear error for one outside the digit words."""
    name = strip_stress(espeak_phoneme)
    if name not in ESPEAK_TO_ARPABET:
        raise ValueError(f"espeak-ng phoneme {espeak_phoneme!r} (accent {accent}) has no ARPAbet mapping: add it to "
                         f"recipe/corpus/lexicon.py ESPEAK_TO_ARPABET")
    return ESPEAK_TO_ARPABET[name]


def flite_arpabet(flite_phone):
    """ARPAbet phone of a flite phone (flite's are lower-case ARPAbet; its schwa ``ax`` becomes AH)."""
    name = "AH" if flite_phone == "ax" else flite_phone.upper()
    if name not in PHONE_LABELS[1:]:
        raise ValueError(f"flite phone {flite_phone!r} is not among the phone labels: add it to "
                         f"recipe/corpus/lexicon.py PHONE_LABELS")
    return name
