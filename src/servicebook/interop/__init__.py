"""Formats spoken by other tools: OpenSLO, Sloth, Pyrra; export, import and the drift check."""
