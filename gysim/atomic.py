"""Writing files so that an interrupted write never leaves a corrupt file behind.

Every file gysim writes goes first to a hidden temporary file in the same
folder (``.<name>.<pid>.<random>.tmp<suffix>``), is flushed to disk, and is
then renamed over the target with :func:`os.replace`, which is atomic on
POSIX and Windows within one file system. A reader therefore sees either
the old file or the complete new one, never half of it.

If the writer raises, the temporary file is removed and the old file is
untouched. If the process is killed outright (``SIGKILL``, power loss), it
cannot clean up after itself: the hidden temporary file stays, and the next
atomic write to the same target (or :func:`remove_stale`) removes every
temporary file of that target whose process is no longer running.

Examples
--------
>>> import tempfile, pathlib
>>> from gysim.atomic import atomic_write, write_text_atomic
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> write_text_atomic(folder / "notes.txt", "old")
PosixPath('...notes.txt')
>>> def failing(tmp):
...     tmp.write_text("half of the new conte")
...     raise RuntimeError("disk on fire")
>>> atomic_write(folder / "notes.txt", failing)
Traceback (most recent call last):
...
RuntimeError: disk on fire
>>> (folder / "notes.txt").read_text(), sorted(p.name for p in folder.iterdir())
('old', ['notes.txt'])
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any, Callable, Iterator

from .errors import DataError

__all__ = ["atomic_path", "atomic_write", "write_text_atomic", "write_bytes_atomic",
           "to_netcdf_atomic", "to_zarr_atomic", "savefig_atomic", "remove_stale",
           "create_directory_atomic", "pid_lock", "os_error_reason", "write_error"]

_UMASK_LOCK = threading.Lock()


def _default_mode() -> int:
    with _UMASK_LOCK:
        mask = os.umask(0o022)
        os.umask(mask)
    return 0o666 & ~mask


def _target(path: str | os.PathLike, directory: bool = False) -> Path:
    try:
        target = Path(os.fspath(path))
    except TypeError:
        raise DataError(f"output path must be a path or string, got {type(path).__name__}") from None
    if not target.name or target.name in (".", ".."):
        raise DataError(f"output path '{target}' must name a file, not a folder")
    if target.is_dir() != directory and target.exists():
        what = "an existing folder" if target.is_dir() else "an existing file, not a folder"
        raise DataError(f"cannot write '{target}': it is {what}")
    folder = target.parent
    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "does not exist"
        raise DataError(f"cannot write '{target}': the folder '{folder}' {what}")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise DataError(f"cannot write '{target}': the folder '{folder}' is not writable")
    return target


def _temp_pattern(target: Path) -> re.Pattern:
    stem = re.escape(f".{target.name}.")
    return re.compile(stem + r"(\d+)\.[A-Za-z0-9_]+\.tmp" + re.escape(target.suffix) + r"$")


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if pid <= 0:  # not a process id (os.kill would signal a process group)
        return False
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):  # no such process, or no such process id
        return False
    except (PermissionError, OSError):
        return True  # exists but is not ours, or we cannot tell: keep its file
    return True


def remove_stale(path: str | os.PathLike) -> list[Path]:
    """Remove temporary files a killed writer left next to `path`.

    Only temporary files of this target whose writing process no longer
    runs are removed.

    Returns
    -------
    list of pathlib.Path
        The files (or folders) removed.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> leftover = folder / ".result.nc.999999999.abc.tmp.nc"
    >>> _ = leftover.write_bytes(b"partial")
    >>> [p.name for p in remove_stale(folder / "result.nc")]
    ['.result.nc.999999999.abc.tmp.nc']
    """
    target = Path(os.fspath(path))
    pattern = _temp_pattern(target)
    removed = []
    try:
        entries = list(target.parent.iterdir())
    except OSError:
        return removed
    for entry in entries:
        match = pattern.match(entry.name)
        if not match or _alive(int(match.group(1))):
            continue
        try:
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
            removed.append(entry)
        except FileNotFoundError:
            pass
        except OSError:  # pragma: no cover - e.g. a read-only leftover
            pass
    return removed


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. Windows
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def _fsync_tree(path: Path) -> None:
    paths = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    for p in paths:
        try:
            with open(p, "rb+") as fh:
                os.fsync(fh.fileno())
        except OSError:  # pragma: no cover
            pass


def os_error_reason(err: OSError) -> str:
    """The cause of an ``OSError`` in words, with its errno name.

    Examples
    --------
    >>> import errno
    >>> os_error_reason(OSError(errno.ENOSPC, "No space left on device"))
    'no space left on the device (ENOSPC)'
    >>> os_error_reason(PermissionError(errno.EACCES, "Permission denied"))
    'Permission denied (EACCES)'
    """
    code = errno.errorcode.get(err.errno) if isinstance(err.errno, int) else None
    if err.errno == errno.ENOSPC:
        reason = "no space left on the device"
    elif err.errno == getattr(errno, "EDQUOT", None):
        reason = "disk quota exceeded"
    else:
        reason = err.strerror or " ".join(str(err).split()) or type(err).__name__
    return f"{reason} ({code})" if code else reason


def write_error(err: BaseException, target: str | os.PathLike) -> DataError | None:
    """A :class:`DataError` naming `target` for a failed write, or None if `err` is not one.

    An ``OSError`` (full disk, read-only folder, ...) is one, and so is the
    ``RuntimeError`` the netCDF library raises for a failed write
    (``NetCDF: HDF error``, often a full disk); its message then says how
    much space is left.

    Examples
    --------
    >>> import errno
    >>> print(write_error(OSError(errno.EROFS, "Read-only file system"), "out.nc"))
    cannot write 'out.nc': Read-only file system (EROFS)
    >>> write_error(KeyError("x"), "out.nc") is None
    True
    """
    if isinstance(err, DataError):
        return None
    if isinstance(err, OSError):
        return DataError(f"cannot write '{target}': {os_error_reason(err)}")
    if isinstance(err, RuntimeError) and str(err).startswith("NetCDF:"):
        try:
            free = shutil.disk_usage(Path(os.fspath(target)).parent or ".").free
            space = f"; {free / 2**20:.1f} MiB free on its disk"
        except OSError:
            space = ""
        return DataError(f"cannot write '{target}': the netCDF library failed ({err}){space}; "
                         f"check the disk has room and the folder is writable")
    return None


def _wrap_os_error(err: OSError, target: Path) -> DataError:
    return DataError(f"cannot write '{target}': {os_error_reason(err)}")


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, *, directory: bool = False,
                durable: bool = True) -> Iterator[Path]:
    """Context manager yielding a temporary path that replaces `path` on success.

    Parameters
    ----------
    path : str or path-like
        The file (or, with ``directory=True``, the folder, e.g. a zarr
        store) to write.
    directory : bool
        Write a folder: the temporary path does not exist yet; on success
        the old folder is moved aside, the new one renamed into place and
        the old one deleted (so there is a brief moment where neither is at
        `path`; a crash then leaves the old folder next to it).
    durable : bool
        Flush the new file to disk before the rename.

    Yields
    ------
    pathlib.Path
        Where to write, in the same folder and with the same suffix as
        `path`.

    Raises
    ------
    DataError
        If the folder does not exist or is not writable, or the file system
        refuses the write (an ``OSError``, e.g. a full disk), naming the
        path. Other errors of the code in the ``with`` block propagate
        unchanged. Either way the temporary file is removed first.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> with atomic_path(folder / "table.csv") as tmp:
    ...     _ = tmp.write_text("year,gdp\\n2005,500\\n")
    >>> (folder / "table.csv").read_text().splitlines()
    ['year,gdp', '2005,500']
    """
    target = _target(path, directory)
    remove_stale(target)
    prefix = f".{target.name}.{os.getpid()}."
    suffix = f".tmp{target.suffix}"
    try:
        if directory:
            tmp = Path(tempfile.mkdtemp(prefix=prefix, suffix=suffix, dir=target.parent))
            tmp.rmdir()  # writers such as zarr want to create the store themselves
        else:
            fd, name = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=target.parent)
            os.close(fd)
            tmp = Path(name)
    except OSError as err:
        raise _wrap_os_error(err, target) from None
    try:
        yield tmp
        if not tmp.exists():
            raise DataError(f"cannot write '{target}': the writer produced no output")
        if durable:
            _fsync_tree(tmp)
        if directory:
            _swap_directory(tmp, target)
        else:
            try:
                mode = target.stat().st_mode & 0o7777 if target.exists() else _default_mode()
                os.chmod(tmp, mode)
            except OSError:  # pragma: no cover - keep the temp file's mode
                pass
            os.replace(tmp, target)
        if durable:
            _fsync_dir(target.parent)
    except BaseException as exc:
        _discard(tmp)
        wrapped = write_error(exc, target)
        if wrapped is not None:
            raise wrapped from exc
        raise


def _discard(tmp: Path) -> None:
    try:
        if tmp.is_dir() and not tmp.is_symlink():
            shutil.rmtree(tmp, ignore_errors=True)
        elif tmp.exists() or tmp.is_symlink():
            tmp.unlink()
    except OSError:  # pragma: no cover - nothing more to do
        pass


def _swap_directory(tmp: Path, target: Path) -> None:
    if not target.exists():
        os.replace(tmp, target)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{target.name}.{os.getpid()}.",
                                suffix=f".tmp{target.suffix}", dir=target.parent))
    old.rmdir()
    os.replace(target, old)
    try:
        os.replace(tmp, target)
    except BaseException:
        os.replace(old, target)  # put the old one back
        raise
    shutil.rmtree(old, ignore_errors=True)


def create_directory_atomic(path: str | os.PathLike, writer: Callable[[Path], Any], *,
                            durable: bool = True) -> bool:
    """Create the folder `path` (e.g. a zarr store) whole, or not at all.

    ``writer(temporary_path)`` fills a temporary folder beside `path`, which
    is then renamed to `path` -- unless `path` exists by then (another
    process created it first): the new folder is discarded and the existing
    one left alone. A process killed while writing leaves only the hidden
    temporary folder, which the next call removes (see :func:`remove_stale`).

    Returns
    -------
    bool
        True if this call created `path`, False if it already existed.

    Raises
    ------
    DataError
        If the folder is not writable or the file system refuses the write
        (e.g. a full disk), naming the path and the cause.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> store = pathlib.Path(tempfile.mkdtemp()) / "runs.zarr"
    >>> create_directory_atomic(store, lambda tmp: (tmp.mkdir(), (tmp / "a").write_text("1")))
    True
    >>> create_directory_atomic(store, lambda tmp: (tmp.mkdir(), (tmp / "a").write_text("2")))
    False
    >>> (store / "a").read_text(), sorted(p.name for p in store.parent.iterdir())
    ('1', ['runs.zarr'])
    """
    target = _target(path, directory=True)
    remove_stale(target)
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.{os.getpid()}.",
                                    suffix=f".tmp{target.suffix}", dir=target.parent))
        tmp.rmdir()
    except OSError as err:
        raise _wrap_os_error(err, target) from None
    try:
        writer(tmp)
        if not tmp.exists():
            raise DataError(f"cannot write '{target}': the writer produced no output")
        if durable:
            _fsync_tree(tmp)
        try:
            os.rename(tmp, target)  # refuses a non-empty folder: the first creator wins
        except OSError as err:
            if err.errno in (errno.EEXIST, errno.ENOTEMPTY) or target.exists():
                _discard(tmp)
                return False
            raise
        if durable:
            _fsync_dir(target.parent)
        return True
    except BaseException as exc:
        _discard(tmp)
        wrapped = write_error(exc, target)
        if wrapped is not None:
            raise wrapped from exc
        raise


def _lock_holder(path: Path) -> int | None:
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() else None


@contextlib.contextmanager
def pid_lock(path: str | os.PathLike, *, what: str) -> Iterator[Path]:
    """Hold the lock file `path` (it holds this process's id) for the ``with`` block.

    The lock file appears whole (written aside, then hard-linked into
    place), so another process never reads it half-written. A lock whose
    process no longer runs (it was killed) is taken over.

    Parameters
    ----------
    path : str or path-like
        The lock file.
    what : str
        What the lock guards, for the message, e.g. ``"store 'runs.zarr'"``.

    Raises
    ------
    DataError
        If a running process holds the lock (naming it and the lock file),
        or the lock cannot be written (e.g. a read-only folder).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> lock = pathlib.Path(tempfile.mkdtemp()) / ".runs.zarr.lock"
    >>> with pid_lock(lock, what="store 'runs.zarr'"):
    ...     int(lock.read_text()) == os.getpid()
    True
    >>> lock.exists()
    False
    """
    lock = Path(os.fspath(path))
    mine = str(os.getpid())
    aside = lock.with_name(f"{lock.name}.{mine}.{threading.get_ident()}.new")
    try:
        aside.write_text(mine, encoding="ascii")
    except OSError as err:
        raise DataError(f"cannot lock {what}: cannot write '{lock}': "
                        f"{os_error_reason(err)}") from None
    try:
        for _ in range(5):
            try:
                os.link(aside, lock)
                break
            except FileExistsError:
                if lock.is_dir() and not lock.is_symlink():
                    raise DataError(f"cannot lock {what}: '{lock}' is a folder, not a lock "
                                    f"file; remove it") from None
                holder = _lock_holder(lock)
                if holder is not None and _alive(holder):
                    raise DataError(
                        f"{what} is in use by process {holder} (lock file '{lock}'); wait for "
                        f"it to finish or stop it (if no such process of yours runs, delete "
                        f"the lock file)") from None
                try:  # its process died: take over
                    lock.unlink()
                except FileNotFoundError:
                    pass
                except OSError as err:
                    raise DataError(f"cannot lock {what}: cannot remove the stale lock "
                                    f"'{lock}': {os_error_reason(err)}") from None
            except OSError as err:
                raise DataError(f"cannot lock {what}: cannot write '{lock}': "
                                f"{os_error_reason(err)}") from None
        else:  # pragma: no cover - another process keeps taking it
            raise DataError(f"cannot lock {what}: '{lock}' keeps changing; try again")
    finally:
        with contextlib.suppress(OSError):
            aside.unlink()
    try:
        yield lock
    finally:
        if _lock_holder(lock) == os.getpid():
            with contextlib.suppress(OSError):
                lock.unlink()


def atomic_write(path: str | os.PathLike, writer: Callable[[Path], Any], *,
                 durable: bool = True) -> Path:
    """Write a file through ``writer(temporary_path)``, then rename it to `path`.

    Parameters
    ----------
    path : str or path-like
        The file to write.
    writer : callable
        Called with the temporary path (same folder, same suffix); it must
        write the complete file there.
    durable : bool
        Flush the file to disk before the rename.

    Returns
    -------
    pathlib.Path
        `path`.

    Raises
    ------
    DataError
        If the folder is missing or not writable, or the file system refuses
        the write (an ``OSError`` of `writer` too). Any other exception
        raised by `writer` propagates unchanged; in every case the old file
        stays intact and the temporary file is removed.

    Examples
    --------
    >>> import tempfile, pathlib, json
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> out = atomic_write(folder / "fit.json", lambda p: p.write_text(json.dumps({"g": 0.1})))
    >>> json.loads(out.read_text())
    {'g': 0.1}
    >>> atomic_write(folder / "missing" / "fit.json", lambda p: None)
    Traceback (most recent call last):
    ...
    gysim.errors.DataError: cannot write '.../missing/fit.json': the folder '.../missing' does not exist
    """
    with atomic_path(path, durable=durable) as tmp:
        writer(tmp)
    return Path(os.fspath(path))


def write_text_atomic(path: str | os.PathLike, text: str, *, encoding: str = "utf-8") -> Path:
    """Write text to `path` atomically.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = write_text_atomic(pathlib.Path(tempfile.mkdtemp()) / "report.md", "# Fit\\n")
    >>> p.read_text()
    '# Fit\\n'
    """
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding=encoding))


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> Path:
    """Write bytes to `path` atomically.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> write_bytes_atomic(pathlib.Path(tempfile.mkdtemp()) / "x.bin", b"\\x00\\x01").read_bytes()
    b'\\x00\\x01'
    """
    return atomic_write(path, lambda tmp: tmp.write_bytes(data))


def to_netcdf_atomic(ds: Any, path: str | os.PathLike, **kwargs: Any) -> Path:
    """Write an xarray Dataset to a netCDF file atomically (``ds.to_netcdf(tmp, **kwargs)``).

    Examples
    --------
    >>> import tempfile, pathlib, xarray as xr
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "run.nc"
    >>> _ = to_netcdf_atomic(xr.Dataset({"gdp": ("time", [264.8, 302.7])}), p)
    >>> xr.load_dataset(p).gdp.values.tolist()
    [264.8, 302.7]
    """
    return atomic_write(path, lambda tmp: ds.to_netcdf(tmp, **kwargs))


def to_zarr_atomic(ds: Any, path: str | os.PathLike, **kwargs: Any) -> Path:
    """Write an xarray Dataset to a new zarr store atomically (see :func:`atomic_path`).

    Examples
    --------
    >>> import tempfile, pathlib, xarray as xr
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "runs.zarr"
    >>> _ = to_zarr_atomic(xr.Dataset({"x": ("run", [1.0, 2.0])}), p)
    >>> xr.open_zarr(p).x.values.tolist()
    [1.0, 2.0]
    """
    kwargs.setdefault("mode", "w")
    with atomic_path(path, directory=True) as tmp:
        ds.to_zarr(tmp, **kwargs)
    return Path(os.fspath(path))


def savefig_atomic(fig: Any, path: str | os.PathLike, **kwargs: Any) -> Path:
    """Save a matplotlib figure atomically; the format follows `path`'s suffix.

    Examples
    --------
    >>> import tempfile, pathlib, matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> p = savefig_atomic(fig, pathlib.Path(tempfile.mkdtemp()) / "gdp.png")
    >>> p.read_bytes()[:4]
    b'\\x89PNG'
    >>> plt.close(fig)
    """
    suffix = Path(os.fspath(path)).suffix.lstrip(".")
    if suffix and "format" not in kwargs:
        kwargs["format"] = suffix
    return atomic_write(path, lambda tmp: fig.savefig(tmp, **kwargs))
