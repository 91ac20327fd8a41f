"""Console pages, one module per area; each has a `router` of ConsoleRoute routes."""
