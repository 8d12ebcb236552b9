from .patching import frames_to_patches, patches_to_frames

__all__ = ['frames_to_patches', 'patches_to_frames']
