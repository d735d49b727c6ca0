"""Policy pages: the one Markdown pipeline and the rules for links between pages."""
