"""One module per command, each a thin click declaration that hands its work to the pipeline.

`servicebook.cli` loads a command's module only when that command runs (see cli.COMMANDS), so each
module imports what it needs at the top.
"""
