"""What earlier runs computed, kept on disk."""
