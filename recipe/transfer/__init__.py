"""Transfer of trained layers (the conv front-end) from one RETURNN model into another.

``recipe.transfer.transfer_spec``: TransferSpec (which target layer or variable gets which source's values; renames,
globs, excludes, several checkpoints, a one-line form).
``recipe.transfer.extraction``: ExtractLayerVariablesJob (slim checkpoint + .npz + manifest).
``recipe.transfer.validation``: ValidateTransferJob (target shapes vs manifest, before any training).
``recipe.transfer.transfer_config``: build_transfer_config (one of four loading methods, frozen or fine-tuned).
``recipe.transfer.returnn_code``: the functions written into those RETURNN configs.
``recipe.transfer.torch_conversion``: ConvertTfToTorchJob (TF variables into a RETURNN PyTorch-backend model's
parameters, layouts converted).
This package imports nothing heavy at module level.
"""
