"""RETURNN dataset dicts for the HDF files this setup writes and reads."""


def hdf_dataset(files, **options):
    """``HDFDataset`` over ``files`` (a tk.Path or a list of them), with RETURNN's in-memory cache switched off.

    ``cache_byte_size: 0`` is not an optimisation knob here: with the default cache, HDFDataset fills it from a
    background thread while the trainer reads from it, and with RETURNN 1.20261022 a fast network (the CNN-DNN
    baseline) then sometimes gets a batch whose targets are partly unfilled ("Received a label value of -1" at a
    random step). Without the cache the same training runs through, and faster. ``options`` (e.g.
    ``seq_ordering``) are added to the dict.
    """
    if not isinstance(files, (list, tuple)):
        files = [files]
    return {"class": "HDFDataset", "files": list(files), "cache_byte_size": 0, **options}
