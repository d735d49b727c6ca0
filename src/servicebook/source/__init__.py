"""Reading sources: files and YAML as text that remembers positions."""
