import errno
from pathlib import Path

import pytest

EXIT = 2


def patch(monkeypatch: pytest.MonkeyPatch) -> None:
    write_bytes = Path.write_bytes
    written = []

    def fill_up(self: Path, data: bytes) -> int:
        if len(written) >= 5:
            raise OSError(errno.ENOSPC, "No space left on device", self.name)
        written.append(self)
        return write_bytes(self, data)

    monkeypatch.setattr(Path, "write_bytes", fill_up)
