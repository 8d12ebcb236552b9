"""The errors a checkpoint file can cause."""


class CheckpointError(RuntimeError):
    """A checkpoint file could not be loaded (corrupt, truncated, unsafe)."""


class UnsafeCheckpointError(CheckpointError):
    """A checkpoint file asks to rebuild an object outside the allow-list."""


class ChecksumMismatchError(CheckpointError):
    """A checkpoint file does not match the checksum written with it."""


class WeightsMismatchError(CheckpointError):
    """A checkpoint's weights do not fit the model they are loaded into."""
