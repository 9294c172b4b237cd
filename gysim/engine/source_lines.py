"""Generated source in tracebacks and debuggers: registering it with :mod:`linecache`.

The code generator ``exec``s the model's functions from a string under a
pseudo file name such as ``<gysim model 'population' #3>``. Python finds
the lines it shows in tracebacks, :mod:`pdb` and :mod:`inspect` through
:mod:`linecache`, which has no file to read for such a name. Registering
the source there makes a failing equation show the generated line.

Use a unique file name per compiled model (:func:`unique_filename`), so two
models, or two versions of one model, never show each other's lines.

Examples
--------
>>> import linecache
>>> name = unique_filename("demo")
>>> register_source(name, "def f(x):\\n    return 1 / x\\n")
>>> linecache.getline(name, 2).strip()
'return 1 / x'
"""

from __future__ import annotations

import itertools
import linecache

__all__ = ["register_source", "unique_filename"]

_counter = itertools.count(1)


def unique_filename(model_name: str) -> str:
    """A pseudo file name for the generated code of one compilation of a model.

    Parameters
    ----------
    model_name : str
        The model's name, shown in tracebacks.

    Returns
    -------
    str
        ``<gysim model 'name' #n>``, ``n`` counting compilations in this process.

    Examples
    --------
    >>> a, b = unique_filename("growth"), unique_filename("growth")
    >>> a.startswith("<gysim model 'growth' #"), a != b
    (True, True)
    """
    return f"<gysim model {model_name!r} #{next(_counter)}>"


def register_source(filename: str, source: str) -> None:
    """Make ``source`` the text :mod:`linecache` gives for ``filename``.

    Call it with the file name passed to :func:`compile` and the source
    compiled, before or after ``exec``. The entry has no modification time,
    so :func:`linecache.checkcache` (run by tracebacks and pdb) keeps it
    instead of looking for a file on disk, and registering under the same
    name again replaces the text.

    Parameters
    ----------
    filename : str
        The pseudo file name, e.g. from :func:`unique_filename`.
    source : str
        The generated source code.

    Raises
    ------
    TypeError
        If ``filename`` or ``source`` is not a string.

    Examples
    --------
    >>> import traceback
    >>> name = unique_filename("demo")
    >>> source = "def f(x):\\n    y = 1 / x\\n    return y\\n"
    >>> register_source(name, source)
    >>> namespace = {}
    >>> exec(compile(source, name, "exec"), namespace)
    >>> try:
    ...     namespace["f"](0)
    ... except ZeroDivisionError as err:
    ...     frame = traceback.extract_tb(err.__traceback__)[-1]
    >>> frame.lineno, frame.line
    (2, 'y = 1 / x')
    """
    if not isinstance(filename, str) or not isinstance(source, str):
        raise TypeError(f"`filename` and `source` must be strings, got "
                        f"{type(filename).__name__} and {type(source).__name__}")
    lines = source.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    # (size, mtime, lines, fullname): mtime None marks an entry that is not a file on
    # disk, which linecache.checkcache leaves in place
    linecache.cache[filename] = (len(source), None, lines, filename)
