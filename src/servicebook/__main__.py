"""`python -m servicebook`: the same program as the `servicebook` command."""

from servicebook.cli import main

if __name__ == "__main__":
    main(prog_name="servicebook")
