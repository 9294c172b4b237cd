"""Units rules of the builtin functions: what a call's units are, given its arguments'.

Each rule is called by the unit checker of :mod:`gysim.units` as
``rule(c, args, u, where)``: ``c`` the checker (its ``same``, ``mul``,
``power``, ``dimensionless``, ``is_time`` ... methods), ``args`` the argument
trees, ``u`` their units and ``where`` the call as text for messages; it
returns the call's units or raises :class:`gysim.errors.UnitsError` through
the checker. The rows of :data:`gysim.builtins.BUILTINS` name their rule.

Examples
--------
>>> from gysim.builtins import BUILTINS
>>> BUILTINS["sqrt"].units.__name__, BUILTINS["xidz"].units.__name__
('sqrt_of', 'ratio')
"""

from __future__ import annotations

def first_argument(c, args, u, where):
    return u[0]


def shared_with(supply: int):
    """Units of an allocation: those of the requests, which the supply shares."""
    def rule(c, args, u, where):
        return c.same(u[0], u[supply], args[0], args[supply], f"request and supply of {where}")
    return rule


def all_same(c, args, u, where):
    out = u[0]
    for i in range(1, len(u)):
        out = c.same(out, u[i], args[0], args[i], f"arguments of {where}")
    return out


def dimensionless(c, args, u, where):
    for arg, ua in zip(args, u):
        c.dimensionless(ua, arg, f"argument of {where}")
    return c.dim1


def sqrt_of(c, args, u, where):
    return c.power(u[0], 0.5)


def branches(c, args, u, where):
    return c.same(u[1], u[2], args[1], args[2], f"the branches of {where}")


def ratio(c, args, u, where):
    ratio = c.mul(u[0], u[1], divide=True)
    if len(u) == 3:
        return c.same(ratio, u[2], f"`{c.side(args[0])} / {c.side(args[1])}`", args[2],
                      f"the fallback of {where}")
    return ratio


def step_of(c, args, u, where):
    c.is_time(u[1], args[1], f"start of {where}")
    return u[0]


def ramp_of(c, args, u, where):
    for i in range(1, len(u)):
        c.is_time(u[i], args[i], f"{'start' if i == 1 else 'end'} of {where}")
    return c.literal if u[0].literal else c.mul(u[0], c.time)


def pulse_of(c, args, u, where):
    for i in range(len(u)):
        c.is_time(u[i], args[i], f"argument {i + 1} of {where}")
    return c.dim1


def delay(c, args, u, where):
    c.is_time(u[1], args[1], f"delay time of {where}")
    out = u[0]
    if len(u) >= 3:
        out = c.same(u[0], u[2], args[0], args[2], f"input and initial value of {where}")
    if len(u) == 4:
        c.dimensionless(u[3], args[3], f"order of {where}")
    return out


def sample(c, args, u, where):
    return c.same(u[1], u[2], args[1], args[2], f"input and initial value of {where}")


def literal(c, args, u, where):
    return c.literal


def npv(c, args, u, where):
    c.dimensionless(u[3], args[3], f"factor of {where}")
    out = c.mul(u[0], c.time)
    return c.same(out, u[2], args[0], args[2], f"initial value of {where} (stream x time)")


def random_draw(same: tuple[int, ...], dimensionless: tuple[int, ...] = ()):
    """Units of a random draw: those of the arguments ``same`` (bounds, shift, stretch)."""
    def rule(c, args, u, where):
        out = u[same[0]]
        for i in same[1:]:
            out = c.same(out, u[i], args[same[0]], args[i], f"arguments of {where}")
        for i in dimensionless:
            c.dimensionless(u[i], args[i], f"argument of {where}")
        return out
    return rule


def pink_noise(c, args, u, where):
    c.is_time(u[2], args[2], f"correlation time of {where}")
    return c.same(u[0], u[1], args[0], args[1], f"mean and standard deviation of {where}")
