"""REST API adapters (flask-smorest blueprints)."""
