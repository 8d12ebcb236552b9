"""Reading frames, arrays and videos from disk (used by datasets and apis).

- :mod:`.arrays`: ``.npy`` / ``.npz`` arrays, memory-mapped, never unpickled.
- :mod:`.images`: frame images, frame file listings, frame sizes.
- :mod:`.videos`: a sequence from a folder of images or a video file.
"""
from .arrays import NPY_MAGIC, check_data_file, load_npy, open_array
from .images import (IMAGE_EXTENSIONS, check_positive_int, list_files,
                     list_subdirs, natural_sort_key, parse_image_size,
                     read_image, read_npy_frame, resize_frame)
from .videos import check_take, read_image_folder, read_video

__all__ = [
    'NPY_MAGIC', 'check_data_file', 'load_npy', 'open_array',
    'IMAGE_EXTENSIONS', 'check_positive_int', 'list_files', 'list_subdirs',
    'natural_sort_key', 'parse_image_size', 'read_image', 'read_npy_frame',
    'resize_frame', 'check_take', 'read_image_folder', 'read_video'
]
