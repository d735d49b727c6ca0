"""`servicebook import pyrra`."""

from __future__ import annotations

from servicebook.commands.import_formats import import_command

command = import_command("pyrra")
