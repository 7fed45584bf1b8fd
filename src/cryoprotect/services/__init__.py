"""Services: one module per resource; each use case runs in one transaction under an explicit actor."""
