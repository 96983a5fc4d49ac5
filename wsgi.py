"""WSGI entry point: `gunicorn wsgi:app`. The only module with a module-level app."""

from app import create_app

app = create_app()
