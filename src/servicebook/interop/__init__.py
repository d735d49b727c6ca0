"""Formats spoken by other tools: exports from the model, imports to catalog fragments, and the
SLO drift check."""
