"""RETURNN as Sisyphus jobs (i6_core-style names): ReturnnConfig, ReturnnTrainingJob, Checkpoint,
GetBestCheckpointJob, ReturnnEvalJob, ReturnnForwardJob; for RETURNN's PyTorch backend ReturnnTorchTrainingJob,
PtCheckpoint, GetBestPtCheckpointJob, ReturnnTorchForwardJob. Import them from their modules
(``recipe.returnn.config``, ``.training``, ``.evaluation``, ``.forward``, ``.torch_training``, ``.torch_forward``);
this package imports nothing heavy."""
