"""libespeak-ng through ctypes (the pip-only install from ``espeakng-loader``): audio plus exact phoneme timings.

The library runs in synchronous mode with phoneme events enabled, so one call returns the 22050 Hz samples and, for
every phoneme, the sample where it starts and the character position of the word it belongs to. The library keeps
global state: use one :class:`EspeakSynthesizer` per process (:func:`get_synthesizer`) and processes, not threads,
for parallelism.
"""

import ctypes
import os

from recipe.atomic_output import write_atomically

_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_PHONEME_EVENTS = 0x0001
_EVENT_LIST_TERMINATED, _EVENT_PHONEME = 0, 7
_PARAM_RATE, _PARAM_WORDGAP = 1, 7
_CHARS_UTF8, _POS_CHARACTER = 1, 1


class _EventId(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8)]


class _Event(ctypes.Structure):
    """``espeak_EVENT`` from speak_lib.h."""
    _fields_ = [("type", ctypes.c_int), ("unique_identifier", ctypes.c_uint), ("text_position", ctypes.c_int),
                ("length", ctypes.c_int), ("audio_position", ctypes.c_int), ("sample", ctypes.c_int),
                ("user_data", ctypes.c_void_p), ("id", _EventId)]


_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event))


class PhonemeEvent:
    """One phoneme as espeak-ng reports it: start sample, its mnemonic, 1-based character position of its word."""
    __slots__ = ("start", "name", "text_position")

    def __init__(self, start, name, text_position):
        self.start, self.name, self.text_position = start, name, text_position

    def __repr__(self):
        return f"PhonemeEvent({self.start}, {self.name!r}, {self.text_position})"


class EspeakSynthesizer:
    """Synthesizes text with a voice file; returns int16 samples at :attr:`sample_rate` and the phoneme events."""

    def __init__(self):
        try:
            import espeakng_loader
        except ImportError as exc:
            raise RuntimeError("the synthetic corpus needs espeak-ng: pip install espeakng-loader "
                               "(listed in requirements.txt)") from exc
        self._lib = ctypes.CDLL(espeakng_loader.get_library_path())
        self._libc = ctypes.CDLL(None)  # espeak-ng also draws from libc rand()
        self._lib.espeak_ng_SetRandSeed.argtypes = [ctypes.c_long]
        self._libc.srand.argtypes = [ctypes.c_uint]
        self._lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        self._lib.espeak_SetVoiceByFile.argtypes = [ctypes.c_char_p]
        self._lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        self._lib.espeak_Synth.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int,
                                           ctypes.c_uint, ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p]
        self.data_path = espeakng_loader.get_data_path()
        self.sample_rate = self._lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, self.data_path.encode(),
                                                       _INITIALIZE_PHONEME_EVENTS)
        if self.sample_rate <= 0:
            raise RuntimeError(f"espeak_Initialize failed ({self.sample_rate}) with data at {self.data_path}")
        self._chunks, self._events = [], []
        self._voice_dir = None
        self._callback = _CALLBACK(self._collect)  # keep a reference: the library calls it later
        self._lib.espeak_SetSynthCallback(self._callback)

    def _collect(self, wav, num_samples, events):
        if num_samples > 0:
            self._chunks.append(ctypes.string_at(wav, 2 * num_samples))
        i = 0
        while events[i].type != _EVENT_LIST_TERMINATED:
            event = events[i]
            if event.type == _EVENT_PHONEME:
                self._events.append(PhonemeEvent(event.sample, event.id.string.decode("ascii", "replace"),
                                                 event.text_position))
            i += 1
        return 0

    def _voice_file(self, voice_definition):
        """A file holding ``voice_definition``. espeak-ng lower-cases the path it is given, so the file lives in a
        private temporary folder whose absolute path is all lower case."""
        import atexit
        import hashlib
        import os
        import shutil
        import tempfile

        if self._voice_dir is None:
            for parent in (tempfile.gettempdir(), "/tmp", "/var/tmp", "/dev/shm"):
                if parent == parent.lower() and os.access(parent, os.W_OK):
                    self._voice_dir = tempfile.mkdtemp(prefix="espeak-voices-", dir=parent).lower()
                    if os.path.isdir(self._voice_dir):
                        atexit.register(shutil.rmtree, self._voice_dir, True)
                        break
                    self._voice_dir = None
            else:
                raise RuntimeError("espeak-ng lower-cases voice file paths: set TMPDIR to a writable folder whose "
                                   "path is all lower case")
        path = os.path.join(self._voice_dir, "v" + hashlib.sha1(voice_definition.encode()).hexdigest()[:16])
        if not os.path.exists(path):
            write_atomically(path, voice_definition)
        return path

    def synthesize(self, text, voice_definition, words_per_minute=175, word_gap=0, random_seed=1):
        """Speak ``text`` with a voice given as the text of an espeak-ng voice file; ``word_gap`` adds pauses
        between words in units of 10 ms; ``random_seed`` seeds espeak-ng's noise generators (it otherwise seeds
        them from the clock).

        Returns ``(samples, phonemes)``: int16 numpy array and a list of :class:`PhonemeEvent`.
        """
        import numpy

        voice_file = self._voice_file(voice_definition)
        status = self._lib.espeak_SetVoiceByFile(voice_file.encode())
        if status != 0:
            raise RuntimeError(f"espeak-ng could not load voice file {voice_file} (error {status})")
        self._lib.espeak_SetParameter(_PARAM_RATE, int(words_per_minute), 0)
        self._lib.espeak_SetParameter(_PARAM_WORDGAP, int(word_gap), 0)
        self._lib.espeak_ng_SetRandSeed(int(random_seed) & 0x7FFFFFFF)
        self._libc.srand(int(random_seed) & 0x7FFFFFFF)
        self._chunks, self._events = [], []
        data = text.encode("utf-8")
        status = self._lib.espeak_Synth(data, len(data) + 1, 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None)
        if status != 0:
            raise RuntimeError(f"espeak_Synth failed (error {status}) for text {text!r}")
        samples = numpy.frombuffer(b"".join(self._chunks), dtype=numpy.int16).copy()
        return samples, self._events


_synthesizer = None
_synthesizer_pid = None


def get_synthesizer():
    """The process-wide synthesizer (created on first use)."""
    global _synthesizer, _synthesizer_pid
    if _synthesizer is None or _synthesizer_pid != os.getpid():
        _synthesizer, _synthesizer_pid = EspeakSynthesizer(), os.getpid()
    return _synthesizer


def reset_synthesizer():
    """Unload libespeak-ng from this process, so the next :func:`get_synthesizer` starts from a fresh library state
    (espeak-ng's output depends on what it synthesized before). Call in a forked child before synthesizing."""
    global _synthesizer, _synthesizer_pid
    import _ctypes

    if _synthesizer is not None:
        handle = _synthesizer._lib._handle
        _synthesizer._lib = None
        _synthesizer = _synthesizer_pid = None
        _ctypes.dlclose(handle)


def language_file(data_path, accent):
    """Path of the espeak-ng language file for ``accent`` (e.g. ``en-US``) inside ``data_path``."""
    import pathlib

    matches = sorted(pathlib.Path(data_path, "lang").rglob(accent))
    if not matches:
        raise ValueError(f"espeak-ng has no language {accent!r} under {data_path}/lang; pick one of its en* files")
    return matches[0]


def data_path():
    """espeak-ng's data folder from ``espeakng-loader`` (without loading the library into this process)."""
    try:
        import espeakng_loader
    except ImportError as exc:
        raise RuntimeError("the synthetic corpus needs espeak-ng: pip install espeakng-loader "
                           "(listed in requirements.txt)") from exc
    return espeakng_loader.get_data_path()
