"""servicebook: a platform team's service catalog, published as a static, versioned website."""

__version__ = "0.3.0.dev0"
