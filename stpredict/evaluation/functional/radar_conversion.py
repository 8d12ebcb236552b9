"""Conversion of radar frames to physical values: reflectivity and rain rate.

Radar datasets store a frame as values in ``[0, 1]`` (after division by 255)
that stand for a physical quantity through a dataset-specific mapping. The
nowcasting metrics take their thresholds in physical units, so they convert
the frames first, with the small explicit spec of :class:`PixelConverter`:

- ``pixel_to_value=dict(type='linear', scale=s, offset=o, quantity='dbz')``
  maps a frame value ``p`` to ``s * p + o`` in the given quantity: ``'dbz'``
  (radar reflectivity in dBZ, e.g. HKO-7: ``dBZ = 70 * p - 10``) or
  ``'rain_rate'`` (mm/h).
- ``value='dbz'`` or ``value='rain_rate'``: the quantity wanted. Reflectivity
  and rain rate are related by a Z-R relation ``Z = a * R**b`` with
  ``Z = 10**(dBZ / 10)`` in mm^6 m^-3 and ``R`` in mm/h; by default the
  Marshall-Palmer one, ``a = 200``, ``b = 1.6`` (:data:`MARSHALL_PALMER`). The
  HKO-7 benchmark (Shi et al. 2017) uses ``a = 58.53``, ``b = 1.56``.

The element-wise functions accept torch tensors, numpy arrays and Python
floats, so the datasets and the visualisation can reuse them.
"""
import math
from typing import Any, Dict, Optional

import numpy as np
import torch

#: The Marshall-Palmer Z-R relation ``Z = 200 R**1.6`` (Marshall and Palmer,
#: 1948): the default of :func:`dbz_to_rain_rate` and :class:`PixelConverter`.
MARSHALL_PALMER = dict(a=200.0, b=1.6)
#: The physical quantities a frame can be converted to, with their units.
VALUE_UNITS = {'dbz': 'dBZ', 'rain_rate': 'mm/h'}
#: The short unit that names a threshold in a metric key (``csi_20dbz``,
#: ``csi_0.5mm``).
VALUE_KEY_SUFFIXES = {'dbz': 'dbz', 'rain_rate': 'mm'}
#: The types of ``pixel_to_value`` spec understood by :class:`PixelConverter`.
PIXEL_TO_VALUE_TYPES = ('linear', )


def _log10(x: Any) -> Any:
    """``log10`` of a tensor, array or float; ``log10(0) = -inf``."""
    if isinstance(x, torch.Tensor):
        return torch.log10(x)
    with np.errstate(divide='ignore'):
        result = np.log10(x)
    if isinstance(x, np.ndarray):
        return result
    return float(result)


def dbz_to_reflectivity(dbz: Any) -> Any:
    """Reflectivity factor ``Z = 10**(dBZ / 10)`` (mm^6 m^-3) from dBZ.

    Args:
        dbz (torch.Tensor | np.ndarray | float): Reflectivity in dBZ.

    Returns:
        Same type as ``dbz``: the reflectivity factor ``Z``.
    """
    return 10.0**(dbz / 10.0)


def reflectivity_to_dbz(reflectivity: Any) -> Any:
    """Reflectivity in dBZ, ``10 * log10(Z)``, from the factor ``Z``.

    Args:
        reflectivity (torch.Tensor | np.ndarray | float): ``Z`` in
            mm^6 m^-3, non-negative (``Z = 0`` gives ``-inf`` dBZ).

    Returns:
        Same type as ``reflectivity``: the reflectivity in dBZ.
    """
    return 10.0 * _log10(reflectivity)


def _check_zr(a: float, b: float) -> None:
    if not (isinstance(a, (int, float)) and isinstance(b, (int, float))
            and a > 0 and b > 0 and math.isfinite(a) and math.isfinite(b)):
        raise ValueError('The Z-R relation Z = a * R**b needs finite positive '
                         f'a and b, got a={a!r}, b={b!r}.')


def dbz_to_rain_rate(dbz: Any,
                     a: float = MARSHALL_PALMER['a'],
                     b: float = MARSHALL_PALMER['b']) -> Any:
    """Rain rate (mm/h) from reflectivity (dBZ) with ``Z = a * R**b``.

    ``R = (Z / a)**(1 / b)`` with ``Z = 10**(dBZ / 10)``. With the default
    Marshall-Palmer relation 23 dBZ gives about 1 mm/h and 40 dBZ about
    11.5 mm/h.

    Args:
        dbz (torch.Tensor | np.ndarray | float): Reflectivity in dBZ.
        a (float): Coefficient of the Z-R relation. Defaults to 200.
        b (float): Exponent of the Z-R relation. Defaults to 1.6.

    Returns:
        Same type as ``dbz``: the rain rate in mm/h (always positive).
    """
    _check_zr(a, b)
    return (dbz_to_reflectivity(dbz) / a)**(1.0 / b)


def rain_rate_to_dbz(rain_rate: Any,
                     a: float = MARSHALL_PALMER['a'],
                     b: float = MARSHALL_PALMER['b']) -> Any:
    """Reflectivity (dBZ) from rain rate (mm/h) with ``Z = a * R**b``.

    ``dBZ = 10 * log10(a * R**b)``, the inverse of :func:`dbz_to_rain_rate`.
    A rain rate of 0 gives ``-inf``; negative rates are treated as 0.

    Args:
        rain_rate (torch.Tensor | np.ndarray | float): Rain rate in mm/h.
        a (float): Coefficient of the Z-R relation. Defaults to 200.
        b (float): Exponent of the Z-R relation. Defaults to 1.6.

    Returns:
        Same type as ``rain_rate``: the reflectivity in dBZ.
    """
    _check_zr(a, b)
    if isinstance(rain_rate, torch.Tensor):
        rain_rate = rain_rate.clamp(min=0)
    else:
        rain_rate = np.maximum(rain_rate, 0.0)
    return 10.0 * math.log10(a) + 10.0 * b * _log10(rain_rate)


class PixelConverter:
    """Maps frame values in ``[0, 1]`` to a physical quantity, and back.

    The spec is explicit and small, so that it can sit in a metric's config::

        # HKO-7: dBZ = 70 * p - 10; thresholds in mm/h via Z = 58.53 R**1.56
        PixelConverter(
            pixel_to_value=dict(type='linear', scale=70.0, offset=-10.0,
                                quantity='dbz'),
            value='rain_rate',
            zr_relation=dict(a=58.53, b=1.56))

    The frame value ``p`` first becomes ``scale * p + offset`` in the spec's
    ``quantity``; if ``value`` is the other quantity, the Z-R relation
    converts it (:func:`dbz_to_rain_rate` or :func:`rain_rate_to_dbz`). All
    the steps are increasing functions of ``p`` when ``scale > 0``.

    Args:
        pixel_to_value (dict): The dataset's mapping of frame values:
            ``type='linear'`` (the only type so far), ``scale`` (float,
            non-zero), ``offset`` (float, default 0) and ``quantity``
            (``'dbz'`` or ``'rain_rate'``, default ``'dbz'``).
        value (str): The quantity wanted, ``'dbz'`` or ``'rain_rate'``.
            Defaults to ``'dbz'``.
        zr_relation (dict, optional): ``dict(a=..., b=...)`` of
            ``Z = a * R**b``, used only to go between dBZ and rain rate.
            Defaults to None (Marshall-Palmer, ``a=200``, ``b=1.6``).

    Raises:
        ValueError: On an unknown type, quantity, key or invalid number, with
            the expected form of the spec.
    """

    SPEC_HELP = ("e.g. pixel_to_value=dict(type='linear', scale=70.0, "
                 "offset=-10.0, quantity='dbz') for HKO-7 (dBZ = 70 * p - 10)")

    def __init__(self,
                 pixel_to_value: Dict[str, Any],
                 value: str = 'dbz',
                 zr_relation: Optional[Dict[str, float]] = None) -> None:
        if not isinstance(pixel_to_value, dict):
            raise ValueError(
                'pixel_to_value must be a dict that maps frame values in '
                f'[0, 1] to a physical quantity, {self.SPEC_HELP}; got '
                f'{pixel_to_value!r}.')
        spec = dict(pixel_to_value)
        spec_type = spec.pop('type', None)
        if spec_type not in PIXEL_TO_VALUE_TYPES:
            raise ValueError(
                f'pixel_to_value type must be one of {PIXEL_TO_VALUE_TYPES}, '
                f'got {spec_type!r} ({self.SPEC_HELP}).')
        unknown = set(spec) - {'scale', 'offset', 'quantity'}
        if unknown or 'scale' not in spec:
            raise ValueError(
                "pixel_to_value of type 'linear' takes scale (required), "
                f'offset and quantity, got {sorted(pixel_to_value)} '
                f'({self.SPEC_HELP}).')
        scale, offset = spec['scale'], spec.get('offset', 0.0)
        for name, number in (('scale', scale), ('offset', offset)):
            if not isinstance(number, (int, float)) or isinstance(
                    number, bool) or not math.isfinite(number):
                raise ValueError(f'pixel_to_value {name} must be a finite '
                                 f'number, got {number!r}.')
        if scale == 0:
            raise ValueError('pixel_to_value scale must not be 0.')
        quantity = spec.get('quantity', 'dbz')
        for name, name_value in (('pixel_to_value quantity', quantity),
                                 ('value', value)):
            if name_value not in VALUE_UNITS:
                raise ValueError(f'{name} must be one of '
                                 f'{tuple(VALUE_UNITS)}, got {name_value!r}.')
        zr = dict(MARSHALL_PALMER if zr_relation is None else zr_relation)
        if set(zr) != {'a', 'b'}:
            raise ValueError('zr_relation must be dict(a=..., b=...) of '
                             f'Z = a * R**b, got {zr_relation!r}.')
        _check_zr(zr['a'], zr['b'])

        self.scale = float(scale)
        self.offset = float(offset)
        self.quantity = quantity
        self.value = value
        self.zr_relation = dict(a=float(zr['a']), b=float(zr['b']))

    @property
    def unit(self) -> str:
        """The unit of the converted values: ``'dBZ'`` or ``'mm/h'``."""
        return VALUE_UNITS[self.value]

    @property
    def key_suffix(self) -> str:
        """The unit in metric keys: ``'dbz'`` or ``'mm'``."""
        return VALUE_KEY_SUFFIXES[self.value]

    def __call__(self, pixels: Any) -> Any:
        """Convert frame values to the wanted quantity.

        Args:
            pixels (torch.Tensor | np.ndarray | float): Frame values, nominally
                in ``[0, 1]`` (values outside are converted the same way).

        Returns:
            Same type as ``pixels``: the values in :attr:`unit`.
        """
        values = self.scale * pixels + self.offset
        if self.quantity == self.value:
            return values
        if self.value == 'rain_rate':
            return dbz_to_rain_rate(values, **self.zr_relation)
        return rain_rate_to_dbz(values, **self.zr_relation)

    def to_pixel(self, values: Any) -> Any:
        """Convert physical values back to frame values (the inverse).

        Args:
            values (torch.Tensor | np.ndarray | float): Values in
                :attr:`unit`.

        Returns:
            Same type as ``values``: the frame values (not clipped to
            ``[0, 1]``).
        """
        if self.quantity != self.value:
            if self.value == 'rain_rate':
                values = rain_rate_to_dbz(values, **self.zr_relation)
            else:
                values = dbz_to_rain_rate(values, **self.zr_relation)
        return (values - self.offset) / self.scale

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(pixel_to_value=dict(type='linear', "
                f'scale={self.scale}, offset={self.offset}, '
                f'quantity={self.quantity!r}), value={self.value!r}, '
                f'zr_relation={self.zr_relation})')
