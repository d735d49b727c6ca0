import errno
import tempfile

import pytest

EXIT = 2


def _read_only(*args: object, **kwargs: object) -> str:
    raise OSError(errno.EROFS, "Read-only file system", kwargs.get("dir"))


def patch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tempfile, "mkdtemp", _read_only)
