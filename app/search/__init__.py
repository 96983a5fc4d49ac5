"""Search: the glue between the database and the Flask-free index in app/core/search_index.py."""
