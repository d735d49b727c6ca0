"""`git archive`'s tar unpacked with tar's "data" extraction filter (PEP 706), whose refusals
(names outside the folder, links out of it, devices) make unpacking a past commit's or another
team's tree safe. Python 3.11.4 added the filters to tarfile; on 3.11.0-3.11.3 (Debian 12's
python3 is 3.11.2, without them) the same module comes from backports.tarfile, which the package's
metadata installs there."""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import IO

if sys.version_info >= (3, 11, 4):
    import tarfile
else:  # tests/test_dist.py installs the wheel into such a Python and builds releases with it
    from backports import tarfile  # type: ignore[no-redef]

TarError = tarfile.TarError
FilterError = tarfile.FilterError


def unpack(archive: bytes, dest: Path) -> None:
    """Write the files of the tar `archive` into the folder `dest`. Raises FilterError for a member
    the data filter refuses (its `tarinfo` names it), TarError for a damaged archive, OSError."""
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(dest, filter="data")


def unpack_stream(stream: IO[bytes], dest: Path) -> None:
    """`unpack` of a tar read from `stream` as it comes (tarfile's "r|": one member after another,
    a file's bytes a buffer at a time), not held whole first. Raises as `unpack` does."""
    with tarfile.open(fileobj=stream, mode="r|") as tar:
        tar.extractall(dest, filter="data")
