"""Reading ``.npy`` and ``.npz`` arrays: memory-mapped, never unpickled.

Every reader fails with a message that names the file, what is wrong with it
and how to make a readable one (a missing, empty, truncated or corrupt file,
an array of Python objects).

Members of ``.npz`` files written uncompressed (``np.savez``) are
memory-mapped like ``.npy`` files: the standard library's :mod:`zipfile`
lists the members and reads each member's ``.npy`` header; only the
position of the member's bytes in the file is taken from its 30-byte local
header (the layout :mod:`zipfile` itself uses, ``zipfile.structFileHeader``).
Mapping keeps opening a member O(1) whatever its size, and keeps
the member out of the memory of every dataloader worker.
"""
import os
import os.path as osp
import struct
import zipfile
from typing import Optional

import numpy as np

#: The first bytes of every ``.npy`` file.
NPY_MAGIC = b'\x93NUMPY'


def check_data_file(path: str, what: str = 'File',
                    help_text: str = '') -> None:
    """Fail with a clear message unless ``path`` is a readable, non-empty file.

    Args:
        path (str): The file.
        what (str): How to call the file in the message (``'Frame file'``,
            ``'Moving MNIST file'``). Defaults to ``'File'``.
        help_text (str): Appended to the message (the expected layout and
            the converter that makes the file).

    Raises:
        IsADirectoryError: When ``path`` is a directory.
        FileNotFoundError: When nothing exists at ``path``.
        PermissionError: When the file cannot be read (no read permission).
        ValueError: When the file is empty (0 bytes).
    """
    if osp.isdir(path):
        raise IsADirectoryError(
            f'{what} "{path}" is a directory, but a file is expected. '
            f'{help_text}'.strip())
    if not osp.isfile(path):
        raise FileNotFoundError(f'{what} "{path}" not found. {help_text}'
                                .strip())
    if not os.access(path, os.R_OK):
        raise PermissionError(
            f'{what} "{path}" cannot be read: no read permission (fix it '
            f'with chmod +r, or run as its owner). {help_text}'.strip())
    if osp.getsize(path) == 0:
        raise ValueError(
            f'{what} "{path}" is empty (0 bytes), e.g. an interrupted '
            f'download or conversion: make it again. {help_text}'.strip())


def _npy_problem(path: str, error: Exception) -> str:
    """Why a ``.npy`` file that starts with the signature cannot be mapped."""
    text = str(error)
    if 'object' in text.lower() or 'pickle' in text.lower():
        return ('it holds Python objects (dtype object), which are never '
                'loaded since unpickling can run code; save a numeric '
                'array, e.g. np.save(path, array.astype(np.uint8))')
    try:
        with open(path, 'rb') as file:
            version = np.lib.format.read_magic(file)
            if version == (1, 0):
                header = np.lib.format.read_array_header_1_0(file)
            else:
                header = np.lib.format.read_array_header_2_0(file)
            offset = file.tell()
    except (ValueError, OSError, EOFError):
        return ('it is truncated or corrupt: its header cannot be read '
                f'({text})')
    shape, _, dtype = header
    expected = offset + int(np.prod(shape)) * dtype.itemsize
    size = osp.getsize(path)
    if size < expected:
        return (f'it is truncated: its header announces a {dtype} array of '
                f'shape {tuple(shape)} ({expected} bytes with the header) but '
                f'the file has {size} bytes; write it again')
    return text


def load_npy(path: str, what: str = 'File', help_text: str = '') -> np.ndarray:
    """Memory-map a ``.npy`` file, with clear errors for damaged files.

    Never unpickles: a file of Python objects is refused.

    Args:
        path (str): The ``.npy`` file.
        what (str): How to call the file in messages. Defaults to
            ``'File'``.
        help_text (str): Appended to error messages.

    Returns:
        np.ndarray: The array, memory-mapped read-only.

    Raises:
        OSError: When the file is missing, a directory or not readable (see
            :func:`check_data_file`).
        ValueError: When the file is empty, not a ``.npy`` file, truncated
            or holds Python objects; the message names the file.
    """
    check_data_file(path, what, help_text)
    with open(path, 'rb') as file:
        magic = file.read(len(NPY_MAGIC))
    if magic != NPY_MAGIC:
        raise ValueError(
            f'{what} "{path}" is not a readable .npy file: it does not start '
            'with the .npy signature (corrupt, or another format under a '
            '.npy name); save arrays with np.save. '
            f'{help_text}'.strip())
    try:
        array = np.load(path, mmap_mode='r', allow_pickle=False)
    except (ValueError, OSError, EOFError) as error:
        raise ValueError(
            f'{what} "{path}" is not a readable .npy file '
            f'({_npy_problem(path, error)}). {help_text}'.strip()) from error
    return array


def _read_npy_header(file) -> Optional[tuple]:
    """``(shape, fortran_order, dtype)`` of the ``.npy`` stream ``file``,
    or None for a header version numpy does not describe publicly."""
    version = np.lib.format.read_magic(file)
    if version == (1, 0):
        return np.lib.format.read_array_header_1_0(file)
    if version == (2, 0):
        return np.lib.format.read_array_header_2_0(file)
    return None


def _member_data_offset(file, info: zipfile.ZipInfo) -> Optional[int]:
    """Where the bytes of the stored member ``info`` start in ``file``."""
    file.seek(info.header_offset)
    header = file.read(zipfile.sizeFileHeader)
    if len(header) != zipfile.sizeFileHeader or header[:4] != b'PK\x03\x04':
        return None
    fields = struct.unpack(zipfile.structFileHeader, header)
    name_length, extra_length = fields[-2:]
    return (info.header_offset + zipfile.sizeFileHeader + name_length +
            extra_length)


def _npz_member_memmap(archive: zipfile.ZipFile, path: str,
                       member: str) -> Optional[np.ndarray]:
    """Memory-map an uncompressed member of an open ``.npz`` archive, or
    None when it cannot be mapped (compressed, object dtype, unknown
    header version)."""
    info = archive.getinfo(member)
    if info.compress_type != zipfile.ZIP_STORED:
        return None
    with archive.open(info) as stream:
        header = _read_npy_header(stream)
        header_length = stream.tell()
    if header is None:
        return None
    shape, fortran, dtype = header
    if dtype.hasobject:
        return None
    with open(path, 'rb') as file:
        start = _member_data_offset(file, info)
        if start is None:
            return None
        file.seek(start)
        if file.read(len(NPY_MAGIC)) != NPY_MAGIC:
            return None
    if int(np.prod(shape)) == 0:
        return np.zeros(shape, dtype)
    return np.memmap(
        path, dtype=dtype, mode='r', offset=start + header_length,
        shape=shape, order='F' if fortran else 'C')


def open_array(path: str, key: Optional[str] = None,
               help_text: str = '') -> np.ndarray:
    """Open an array of a ``.npy`` or ``.npz`` file without reading it.

    ``.npy`` files are memory-mapped; so are the members of ``.npz`` files
    written uncompressed (``np.savez``). Members of compressed files
    (``np.savez_compressed``) cannot be mapped and are read into memory
    (once per process).

    Args:
        path (str): The file.
        key (str, optional): The member of a ``.npz`` file; may be None when
            the file holds one array.
        help_text (str): Appended to error messages.

    Returns:
        np.ndarray: The array (often a read-only memory map).
    """
    if path.lower().endswith('.npz'):
        check_data_file(path, 'File', help_text)
        try:
            archive = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as error:
            raise ValueError(f'File "{path}" is not a readable .npz file '
                             f'({error}). {help_text}'.strip()) from error
        with archive:
            return _open_npz_member(archive, path, key, help_text)
    array = load_npy(path, 'File', help_text)
    if not isinstance(array, np.ndarray):
        raise ValueError(f'File "{path}" does not hold a single array. '
                         f'{help_text}'.strip())
    return array


def _open_npz_member(archive: zipfile.ZipFile, path: str,
                     key: Optional[str], help_text: str) -> np.ndarray:
    """The array ``key`` of an open ``.npz`` archive (see
    :func:`open_array`)."""
    members = [name[:-4] for name in archive.namelist()
               if name.endswith('.npy')]
    if key is None:
        if len(members) != 1:
            raise ValueError(
                f'File "{path}" holds the arrays {members}; say which '
                f'one to use (the key argument). {help_text}'.strip())
        key = members[0]
    if key not in members:
        raise ValueError(
            f'File "{path}" has no array "{key}"; it holds {members}. '
            f'{help_text}'.strip())
    try:
        array = _npz_member_memmap(archive, path, key + '.npy')
        if array is None:  # compressed: read into memory
            with archive.open(key + '.npy') as stream:
                array = np.lib.format.read_array(stream, allow_pickle=False)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as error:
        raise ValueError(
            f'Array "{key}" of "{path}" cannot be read ({error}). '
            f'{help_text}'.strip()) from error
    return array
