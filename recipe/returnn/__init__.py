"""RETURNN as Sisyphus jobs (i6_core-style names): ReturnnConfig, ReturnnTrainingJob, Checkpoint,
GetBestCheckpointJob, ReturnnEvalJob, ReturnnForwardJob. Import them from their modules
(``recipe.returnn.config``, ``.training``, ``.evaluation``, ``.forward``); this package imports nothing heavy."""
