"""`servicebook measure`: what Prometheus measured for each SLO that says how (catalog
`measurement`), over the SLO's own window, kept as snapshot files under measurements/."""
