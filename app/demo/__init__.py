"""Fictional demo data, adapted from the project's demo seed (app/demo/seed.json)."""
