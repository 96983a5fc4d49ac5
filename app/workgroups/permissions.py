"""This feature's permission rules live in app/policy.py; this module is its name for them."""

from app.policy import *  # noqa: F401, F403
