"""The catalog: its model, format (schema), validation, upgrades and SLO arithmetic."""
